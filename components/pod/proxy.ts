// The TLS proxy sidecar: its arguments, their defaults, its flags, its container, and the checks of its arguments at
// the foot. TlsSidecarApp's pods and a pod of your own given the sidecar by withTlsSidecar() both get it from here.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkBoolean, checkEnum, checkIntegerRange, checkPositiveInteger, ConfigError, Problems } from "../validation";
import { checkResources, ContainerResources, resourceRequirements, RESTRICTED, withDefaultResources } from "./containers";
import { checkDuration, durationNanos } from "./duration";

/** Whether the proxy asks clients for a certificate, verified against the Secret's `ca.crt`. */
export enum ClientAuth {
    None = "none",
    Request = "request",
    Require = "require",
}

/** What the proxy speaks to the app on its plain port. */
export enum UpstreamProtocol {
    /** HTTP/1.1 (clients' h2 requests are sent on as HTTP/1.1). */
    Http1 = "http1",
    /** HTTP/2 with prior knowledge ("h2c"), as gRPC servers speak on a plain port: trailers and streams pass through. */
    H2c = "h2c",
}

/** The lowest TLS version the proxy accepts. */
export enum TlsMinVersion {
    /** TLS 1.2 and 1.3. The default. */
    Tls12 = "1.2",
    Tls13 = "1.3",
}

/** The TLS 1.2 cipher suites, by Mozilla's server-side TLS profiles. */
export enum TlsProfile {
    /** Mozilla "intermediate": TLS 1.3, and TLS 1.2 with ECDHE and AEAD suites only. The default. */
    Intermediate = "intermediate",
    /** Mozilla "modern": TLS 1.3 only. */
    Modern = "modern",
}

/** A token bucket: requests per second, and how many may come at once. An over-limit request gets 429 with Retry-After. */
export interface ClientRateLimit {
    /** 0 (the default): no limit. */
    requestsPerSecond?: number;
    /** Requests that may come at once. 0 (the default): as many as `requestsPerSecond`. */
    burst?: number;
}

/** Request rate limits of the pod's proxy; health and admin traffic are never limited. */
export interface RateLimit extends ClientRateLimit {
    /** A bucket per client, by TCP peer address (never a header the client sets). */
    perClient?: ClientRateLimit;
}

/** The proxy's timeouts, as durations such as "500ms", "10s" or "2m" (0 to 24h). */
export interface ProxyTimeouts {
    /** A client's TLS handshake, from the accept. Default "10s". */
    tlsHandshake?: string;
    /** Reading a request's headers. Default "10s". */
    requestHeader?: string;
    /** A client connection's keep-alive idle time. Default "2m0s". */
    idle?: string;
    /** Connecting to the app. Default "5s". */
    upstreamConnect?: string;
    /** The app's response headers, from the request's end. Default "0": none. */
    upstreamResponse?: string;
}

/** One JSON line per request on the proxy's stdout: never a header value, cookie or body. */
export interface AccessLog {
    /** Default false. */
    enabled?: boolean;
    /** Keep the query string in `path`. Default false. */
    includeQuery?: boolean;
}

/** Which TLS the proxy speaks. */
export interface TlsPolicy {
    /** Default `TlsMinVersion.Tls12`. */
    minVersion?: TlsMinVersion;
    /** Default `TlsProfile.Intermediate`; `Modern` is TLS 1.3 only. */
    profile?: TlsProfile;
    /** Key-exchange groups in order of preference, e.g. ["X25519MLKEM768", "X25519"]. Default: the TLS library's order, hybrid post-quantum first. */
    groups?: string[];
}

/** A `Strict-Transport-Security` header on responses that lack one. */
export interface Hsts {
    /** `max-age`, as a duration such as "8760h" (one year). Default "0": no header. */
    maxAge?: string;
    /** Default false. */
    includeSubdomains?: boolean;
    /** Default false; needs `maxAge` of at least a year and `includeSubdomains` (the preload list's rules). */
    preload?: boolean;
}

/** The TLS proxy sidecar. */
export interface TlsProxy {
    /** Port the proxy terminates TLS on. Default 8443. */
    port?: pulumi.Input<number>;
    /** Port of the proxy's /healthz, /readyz and /metrics (HTTPS). Default 9901. */
    adminPort?: pulumi.Input<number>;
    /** Client-certificate authentication. Default none. */
    clientAuth?: ClientAuth;
    /** What the proxy speaks to the app: http1 (default), or h2c for a gRPC app. */
    upstreamProtocol?: UpstreamProtocol;
    /** Default: 10m CPU and 20Mi requested, 64Mi memory limit, no CPU limit. */
    resources?: ContainerResources;
    /** How long the proxy drains in-flight requests on SIGTERM. Default 25. */
    shutdownTimeoutSeconds?: number;
    /** Default: no limit. */
    rateLimit?: RateLimit;
    /**
     * Client connections served at once: "auto" (the default: sized to the memory limit) or a count from 1 to 1048576,
     * as a string (the cross-language schema cannot carry a number-or-string). Beyond it new connections wait in the
     * listen backlog.
     */
    maxConnections?: string;
    /** HTTP/2 streams per client connection, 1 to 1000. Default 100. */
    maxConcurrentStreams?: number;
    timeouts?: ProxyTimeouts;
    accessLog?: AccessLog;
    tlsPolicy?: TlsPolicy;
    hsts?: Hsts;
}

/** @deprecated Renamed `TlsProxy`: every SDK adds its own `Args` (Python `TlsProxyArgs`). Kept for existing TypeScript programs. */
export type ProxyArgs = TlsProxy;

/**
 * 10m CPU and 20Mi requested. A memory limit but no CPU limit: CFS throttling of a proxy adds latency to every
 * request of the app behind it.
 */
export const DEFAULT_PROXY_RESOURCES: ContainerResources = { cpuRequest: "10m", memoryRequest: "20Mi", memoryLimit: "64Mi" };

export const PROXY_DEFAULTS = {
    port: 8443,
    adminPort: 9901,
    clientAuth: ClientAuth.None,
    upstreamProtocol: UpstreamProtocol.Http1,
    shutdownTimeoutSeconds: 25,
} as const;

export const PROXY_CONTAINER = "tls-proxy";
/** Where the proxy reads `tls.crt`, `tls.key` and `ca.crt`: the proxy's default `--tls-dir`. */
export const TLS_MOUNT_PATH = "/etc/sidecar/tls";
/** Name of the Secret volume in the pod; prefixed so it cannot clash with the app's own volumes. */
export const TLS_VOLUME = "tls-sidecar-certs";
/** UID/GID the proxy runs as (the image's own non-root user). */
export const PROXY_UID = 65532;

/** The proxy's arguments with their defaults applied. */
export interface ResolvedProxy {
    port: pulumi.Input<number>;
    adminPort: pulumi.Input<number>;
    clientAuth: ClientAuth;
    upstreamProtocol: UpstreamProtocol;
    resources: ContainerResources;
    shutdownTimeoutSeconds: number;
    /** The traffic controls as given: each becomes a flag only when set, so pods that set none do not roll. */
    traffic: TrafficControls;
}

/** The proxy's rate and connection limits, timeouts, access log, TLS policy and HSTS. */
export type TrafficControls = Pick<TlsProxy, "rateLimit" | "maxConnections" | "maxConcurrentStreams" | "timeouts" | "accessLog" | "tlsPolicy" | "hsts">;

export function resolveProxy(given: TlsProxy | undefined): ResolvedProxy {
    return {
        port: given?.port ?? PROXY_DEFAULTS.port,
        adminPort: given?.adminPort ?? PROXY_DEFAULTS.adminPort,
        clientAuth: given?.clientAuth ?? PROXY_DEFAULTS.clientAuth,
        upstreamProtocol: given?.upstreamProtocol ?? PROXY_DEFAULTS.upstreamProtocol,
        resources: withDefaultResources(DEFAULT_PROXY_RESOURCES, given?.resources),
        shutdownTimeoutSeconds: given?.shutdownTimeoutSeconds ?? PROXY_DEFAULTS.shutdownTimeoutSeconds,
        traffic: {
            rateLimit: given?.rateLimit,
            maxConnections: given?.maxConnections,
            maxConcurrentStreams: given?.maxConcurrentStreams,
            timeouts: given?.timeouts,
            accessLog: given?.accessLog,
            tlsPolicy: given?.tlsPolicy,
            hsts: given?.hsts,
        },
    };
}

/** A flag for each value given: `--name=value`, lists comma-joined. */
function flagsOf(values: [string, string | number | boolean | string[] | undefined][]): pulumi.Output<string>[] {
    return values.filter(([, v]) => v !== undefined).map(([name, v]) => pulumi.output(`--${name}=${Array.isArray(v) ? v.join(",") : v}`));
}

/** The traffic controls' flags, in the order of the proxy's reference; none for what is not set. */
export function trafficFlags(t: TrafficControls): pulumi.Output<string>[] {
    return flagsOf([
        ["rate-limit-rps", t.rateLimit?.requestsPerSecond],
        ["rate-limit-burst", t.rateLimit?.burst],
        ["client-rate-limit-rps", t.rateLimit?.perClient?.requestsPerSecond],
        ["client-rate-limit-burst", t.rateLimit?.perClient?.burst],
        ["max-connections", t.maxConnections],
        ["max-concurrent-streams", t.maxConcurrentStreams],
        ["tls-handshake-timeout", t.timeouts?.tlsHandshake],
        ["read-header-timeout", t.timeouts?.requestHeader],
        ["idle-timeout", t.timeouts?.idle],
        ["upstream-connect-timeout", t.timeouts?.upstreamConnect],
        ["upstream-response-timeout", t.timeouts?.upstreamResponse],
        ["access-log", t.accessLog?.enabled],
        ["access-log-query", t.accessLog?.includeQuery],
        ["tls-min-version", t.tlsPolicy?.minVersion],
        ["tls-profile", t.tlsPolicy?.profile],
        ["tls-groups", t.tlsPolicy?.groups],
        ["hsts-max-age", t.hsts?.maxAge],
        ["hsts-include-subdomains", t.hsts?.includeSubdomains],
        ["hsts-preload", t.hsts?.preload],
    ]);
}

/** What the proxy needs from the pod around it. */
export interface ProxyPlace {
    image: pulumi.Input<string>;
    /** The app's plain port, which the proxy forwards to over loopback. */
    appPort: pulumi.Input<number>;
    /** Seconds a deleted pod keeps serving, drained through the app's preStop hook (`--drain-delay`); 0 for none. */
    drainSeconds: number;
    /** Started before the app and stopped after it, as an init container with restartPolicy Always. */
    nativeSidecar: boolean;
}

/**
 * The `preStop` hook that drains the proxy before the app is stopped: kubelet calls the proxy's `GET /drain` on its
 * admin port, which answers every request with `Connection: close` from then on and returns after `--drain-delay`
 * (`seconds`); only then does the app get SIGTERM. Meanwhile the endpoint leaves kube-proxy's rules and keep-alive
 * clients move to other pods, so nothing meets a stopped app. Measured on a real node (test/e2e/rollouts.e2e.test.ts):
 * a `sleep` hook keeps new connections whole but a keep-alive client pinned to the pod still gets 502 after the app
 * exits, because a native sidecar hears of the pod's end only then. `httpGet` needs nothing in the app's image and
 * works on every Kubernetes version (`sleep` needs 1.30). Undefined for 0.
 */
export function preStopDrain(seconds: number, adminPort: pulumi.Input<number>): k8s.types.input.core.v1.Lifecycle | undefined {
    return seconds > 0 ? { preStop: { httpGet: { path: "/drain", port: adminPort, scheme: "HTTPS" } } } : undefined;
}

/** The proxy's command line. Flags whose value is the proxy's own default are left out, so the pods do not roll. */
export function proxyFlags(proxy: ResolvedProxy, place: Pick<ProxyPlace, "appPort" | "drainSeconds">): pulumi.Output<string>[] {
    return [
        pulumi.interpolate`--listen=:${proxy.port}`,
        // Loopback: OUTPUT on lo is never redirected, so the proxy reaches the app itself.
        pulumi.interpolate`--upstream=http://127.0.0.1:${place.appPort}`,
        pulumi.output(`--tls-dir=${TLS_MOUNT_PATH}`),
        pulumi.interpolate`--admin-listen=:${proxy.adminPort}`,
        pulumi.output(`--client-auth=${proxy.clientAuth}`),
        pulumi.output(`--shutdown-timeout=${proxy.shutdownTimeoutSeconds}s`),
        pulumi.output(`--drain-delay=${place.drainSeconds}s`),
        ...(proxy.upstreamProtocol === UpstreamProtocol.Http1 ? [] : [pulumi.output(`--upstream-protocol=${proxy.upstreamProtocol}`)]),
        ...trafficFlags(proxy.traffic),
    ];
}

export function proxyContainer(proxy: ResolvedProxy, place: ProxyPlace): k8s.types.input.core.v1.Container {
    const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
        httpGet: { path, port: proxy.adminPort, scheme: "HTTPS" },
        periodSeconds,
        failureThreshold,
        timeoutSeconds: 2,
    });
    return {
        name: PROXY_CONTAINER,
        image: place.image,
        args: proxyFlags(proxy, place),
        ports: [
            { name: "https", containerPort: proxy.port, protocol: "TCP" },
            { name: "proxy-admin", containerPort: proxy.adminPort, protocol: "TCP" },
        ],
        volumeMounts: [{ name: TLS_VOLUME, mountPath: TLS_MOUNT_PATH, readOnly: true }],
        securityContext: { ...RESTRICTED, runAsNonRoot: true, runAsUser: PROXY_UID, runAsGroup: PROXY_UID },
        resources: resourceRequirements(proxy.resources),
        startupProbe: probe("/healthz", 1, 30),
        livenessProbe: probe("/healthz", 10, 3),
        readinessProbe: probe("/readyz", 5, 2),
        // A native sidecar: started before the app, stopped after it, and restarted on its own. A regular container
        // gets SIGTERM together with the app, so it runs the same drain first (the second call of /drain returns
        // when the first one's delay is spent).
        ...(place.nativeSidecar ? { restartPolicy: "Always" } : { lifecycle: preStopDrain(place.drainSeconds, proxy.adminPort) }),
    };
}

/** The proxy's choices, drain and resources (its ports are checked with the pod's others, see ports.ts). */
export function checkProxyArgs(proxy: TlsProxy | undefined, problems: Problems): void {
    if (proxy?.clientAuth !== undefined) problems.check(() => checkEnum("proxy.clientAuth", proxy.clientAuth, ClientAuth));
    if (proxy?.upstreamProtocol !== undefined) problems.check(() => checkEnum("proxy.upstreamProtocol", proxy.upstreamProtocol, UpstreamProtocol));
    if (proxy?.shutdownTimeoutSeconds !== undefined) problems.check(() => checkPositiveInteger("proxy.shutdownTimeoutSeconds", proxy.shutdownTimeoutSeconds, 3600));
    problems.check(() => checkResources("proxy.resources", proxy?.resources));
    if (proxy !== undefined) checkTrafficControls(proxy, problems);
}

/** The largest `maxConnections`, as the proxy's `--max-connections` takes it. */
export const MAX_CONNECTIONS_LIMIT = 1048576;

/**
 * The key-exchange groups the proxy's TLS library (rustls with aws-lc-rs) offers, by their IANA names; `tlsPolicy.groups`
 * names them in any case.
 */
export const TLS_GROUPS = ["X25519MLKEM768", "SecP256r1MLKEM768", "X25519", "P-256", "P-384", "MLKEM768", "MLKEM1024"];

/** The other spellings the proxy takes for the classic curves. */
const GROUP_ALIASES: Record<string, string> = { secp256r1: "P-256", prime256v1: "P-256", p256: "P-256", secp384r1: "P-384", p384: "P-384" };

/** The groups a TLS 1.2 handshake can use: the post-quantum ones are TLS 1.3 only. */
const TLS12_GROUPS = ["X25519", "P-256", "P-384"];

/** The largest rate or burst, as the proxy's `--rate-limit-*` flags take it. */
const MAX_RATE = 1_000_000;

/** The longest `hsts.maxAge` the proxy's `--hsts-max-age` takes: ten years. */
const HSTS_MAX_AGE_HOURS = 87600;

/** A year, the least `hsts.maxAge` the HSTS preload list takes. */
const PRELOAD_MIN_NANOS = 365 * 24 * 3600e9;

function checkMaxConnections(path: string, value: unknown): void {
    if (value === "auto" || (typeof value === "string" && /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= MAX_CONNECTIONS_LIMIT)) {
        return;
    }
    throw new ConfigError(path, value, `"auto" (sized to the memory limit) or a count from 1 to ${MAX_CONNECTIONS_LIMIT}, as a string such as "300"`);
}

function checkGroups(path: string, groups: unknown, servesTls12: boolean, problems: Problems): void {
    if (!Array.isArray(groups) || groups.length === 0) {
        problems.add({ path, value: groups, allowed: `a non-empty list of key-exchange groups, from ${TLS_GROUPS.join(", ")} (or leave it unset for the TLS library's order)` });
        return;
    }
    const seen: string[] = [];
    groups.forEach((group, i) => {
        const known = typeof group === "string" ? (TLS_GROUPS.find((g) => g.toLowerCase() === group.toLowerCase()) ?? GROUP_ALIASES[group.toLowerCase()]) : undefined;
        if (known === undefined) {
            problems.add({ path: `${path}[${i}]`, value: group, allowed: `one of ${TLS_GROUPS.join(", ")}` });
        } else if (seen.includes(known)) {
            problems.add({ path: `${path}[${i}]`, value: group, allowed: "a group not already in the list" });
        }
        if (known !== undefined) seen.push(known);
    });
    if (servesTls12 && seen.length === groups.length && !seen.some((g) => TLS12_GROUPS.includes(g))) {
        problems.add({ path, value: groups, allowed: `at least one of ${TLS12_GROUPS.join(", ")} while TLS 1.2 is served (the others work with TLS 1.3 only), or tlsPolicy.minVersion "1.3"` });
    }
}

/**
 * The rate and connection limits, timeouts, access log, TLS policy and HSTS: the ranges the proxy's flags take, so a
 * bad value is refused here, naming the argument, rather than by a proxy that will not start.
 */
function checkTrafficControls(proxy: TlsProxy, problems: Problems): void {
    const { rateLimit, timeouts, accessLog, tlsPolicy, hsts } = proxy;
    const counts: [string, unknown][] = [
        ["proxy.rateLimit.requestsPerSecond", rateLimit?.requestsPerSecond],
        ["proxy.rateLimit.burst", rateLimit?.burst],
        ["proxy.rateLimit.perClient.requestsPerSecond", rateLimit?.perClient?.requestsPerSecond],
        ["proxy.rateLimit.perClient.burst", rateLimit?.perClient?.burst],
    ];
    for (const [path, value] of counts) {
        if (value !== undefined) problems.check(() => checkIntegerRange(path, value, 0, MAX_RATE, " (0 = off; a burst of 0 = the rate)"));
    }
    for (const [limit, given] of [["proxy.rateLimit", rateLimit], ["proxy.rateLimit.perClient", rateLimit?.perClient]] as const) {
        if ((given?.burst ?? 0) > 0 && !((given?.requestsPerSecond ?? 0) > 0)) {
            problems.add({ path: `${limit}.burst`, value: given?.burst, allowed: `a burst only with ${limit}.requestsPerSecond above 0 (the burst of a limit that is off)` });
        }
    }
    if (proxy.maxConnections !== undefined) problems.check(() => checkMaxConnections("proxy.maxConnections", proxy.maxConnections));
    if (proxy.maxConcurrentStreams !== undefined) problems.check(() => checkIntegerRange("proxy.maxConcurrentStreams", proxy.maxConcurrentStreams, 1, 1000));
    for (const [key, value] of Object.entries(timeouts ?? {})) {
        if (value !== undefined) problems.check(() => checkDuration(`proxy.timeouts.${key}`, value));
    }
    checkBoolean("proxy.accessLog.enabled", accessLog?.enabled, problems);
    checkBoolean("proxy.accessLog.includeQuery", accessLog?.includeQuery, problems);
    if (tlsPolicy?.minVersion !== undefined) problems.check(() => checkEnum("proxy.tlsPolicy.minVersion", tlsPolicy.minVersion, TlsMinVersion));
    if (tlsPolicy?.profile !== undefined) problems.check(() => checkEnum("proxy.tlsPolicy.profile", tlsPolicy.profile, TlsProfile));
    if (tlsPolicy?.profile === TlsProfile.Modern && tlsPolicy.minVersion === TlsMinVersion.Tls12) {
        problems.add({ path: "proxy.tlsPolicy.minVersion", value: tlsPolicy.minVersion, allowed: '"1.3" (or unset) with tlsPolicy.profile "modern", which is TLS 1.3 only' });
    }
    const servesTls12 = tlsPolicy?.minVersion !== TlsMinVersion.Tls13 && tlsPolicy?.profile !== TlsProfile.Modern;
    if (tlsPolicy?.groups !== undefined) checkGroups("proxy.tlsPolicy.groups", tlsPolicy.groups, servesTls12, problems);
    checkHsts(hsts, problems);
}

/** HSTS: a max-age, and preload only as the preload list takes it (a year or more, subdomains included). */
function checkHsts(hsts: Hsts | undefined, problems: Problems): void {
    // max-age has no 24h bound: a year or two is usual, and the proxy takes up to ten.
    const maxAgeValid = hsts?.maxAge === undefined || problems.check(() => checkDuration("proxy.hsts.maxAge", hsts.maxAge, HSTS_MAX_AGE_HOURS));
    checkBoolean("proxy.hsts.includeSubdomains", hsts?.includeSubdomains, problems);
    checkBoolean("proxy.hsts.preload", hsts?.preload, problems);
    const maxAge = hsts?.maxAge === undefined ? 0 : (durationNanos(hsts.maxAge.trim()) ?? 0);
    const noMaxAge = maxAgeValid && maxAge === 0 && (hsts?.includeSubdomains === true || hsts?.preload === true);
    if (noMaxAge) {
        problems.add({ path: "proxy.hsts.maxAge", value: hsts?.maxAge, allowed: "a duration above 0 with hsts.includeSubdomains or hsts.preload (0 or unset = no HSTS header)" });
    }
    if (hsts?.preload !== true) {
        return;
    }
    if (maxAgeValid && !noMaxAge && maxAge < PRELOAD_MIN_NANOS) {
        problems.add({ path: "proxy.hsts.maxAge", value: hsts.maxAge, allowed: 'at least a year ("8760h") with hsts.preload: the preload list refuses shorter ones' });
    }
    if (hsts.includeSubdomains !== true) {
        problems.add({ path: "proxy.hsts.includeSubdomains", value: hsts.includeSubdomains, allowed: "true with hsts.preload: the preload list covers every subdomain" });
    }
}
