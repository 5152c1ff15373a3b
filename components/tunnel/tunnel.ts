// Cloudflare Tunnel as a sidecar: cloudflared runs beside the app, dials out to
// Cloudflare's edge with a tunnel token and forwards the tunnel's public hostname to an origin on the pod's loopback.
// Nothing listens on a node port: pods reach the edge, the edge never reaches the pods.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { TunnelOrigin } from "../enums";
import { resourceRequirements, ContainerResources, RESTRICTED } from "../pod/containers";
import { checkResources } from "../pod/containers";
import { checked, checkHostname, checkIntegerRange, checkNonEmptyString, checkPort, checkPositiveInteger, ConfigError, isKnown, Problems, SECRET_NOT_SHOWN } from "../validation";
import { withLateChecks } from "../lateChecks";

type ContainerInput = k8s.types.input.core.v1.Container;
type PodSpecInput = k8s.types.input.core.v1.PodSpec;
type VolumeInput = k8s.types.input.core.v1.Volume;

export const TUNNEL_CONTAINER = "cloudflared";
/** Key of the token in the Secret the component creates (and in an existing Secret you name). */
export const TUNNEL_TOKEN_KEY = "token";
/** Where the proxy's CA (`ca.crt` only, never the key) is mounted when the origin is the TLS proxy. */
export const ORIGIN_CA_DIR = "/etc/cloudflared/origin-ca";
export const ORIGIN_CA_VOLUME = "tls-sidecar-origin-ca";
/** UID/GID of the `nonroot` user of the cloudflare/cloudflared image. */
export const CLOUDFLARED_UID = 65532;

export const TUNNEL_DEFAULTS = {
    /** Pinned; override with `image`. Renovate/Dependabot can bump it like any other tag. */
    image: "cloudflare/cloudflared:2026.8.2",
    /**
     * Fixed, so the probes can name it: without `--metrics` cloudflared takes the first free of 20241-20245 (on
     * 0.0.0.0 in its image, on localhost elsewhere).
     */
    metricsPort: 2000,
    /** cloudflared's own default `--grace-period`. */
    gracePeriodSeconds: 30,
    origin: TunnelOrigin.App,
} as const;

/**
 * cloudflared's memory grows with concurrent requests (QUIC stream buffers per edge connection, four connections by
 * default) and it has no flag to cap it (cloudflare/cloudflared#1129), so a 20Mi limit is below what a current
 * release uses at idle (36 MiB RSS measured on the node) and would be OOM-killed. 64Mi requested, 256Mi limit: headroom for bursts. CPU: 10m
 * requested (idle it only keeps the connections alive) and no CPU limit, as for the proxy: throttling a proxy adds
 * latency to every request, and cloudflared sizes GOMAXPROCS from a CPU limit.
 */
export const DEFAULT_TUNNEL_RESOURCES: ContainerResources = { cpuRequest: "10m", memoryRequest: "64Mi", memoryLimit: "256Mi" };

/**
 * Probe numbers. Readiness follows `/ready` (200 only while at least one edge connection is up) closely, so a rollout
 * waits for the new pod's tunnel. Liveness uses the same endpoint but only restarts cloudflared after 5 minutes
 * without any edge connection (30 × 10 s): cloudflared reconnects by itself within seconds after a short edge or
 * network outage, and restarting it then would not help; a process stuck for minutes is restarted.
 */
export const TUNNEL_PROBES = {
    readiness: { periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 },
    liveness: { periodSeconds: 10, failureThreshold: 30, timeoutSeconds: 3 },
} as const;

/** Seconds kubelet waits beyond cloudflared's grace period before SIGKILL (its metrics server takes a moment to stop). */
export const TUNNEL_GRACE_MARGIN_SECONDS = 5;

/** cloudflared refuses a longer `--grace-period` ("grace-period must be equal or less than 3m0s") and exits 1. */
export const MAX_TUNNEL_GRACE_PERIOD_SECONDS = 180;

/** Where `originCaSecretName`'s `ca.crt` is found inside the cloudflared container: the "CA Pool" setting. */
export const ORIGIN_CA_POOL = `${ORIGIN_CA_DIR}/ca.crt`;

/** The cloudflared container, and what the pod needs around it. */
export interface TunnelContainerParts {
    image: pulumi.Input<string>;
    metricsPort: pulumi.Input<number>;
    gracePeriodSeconds: number;
    resources: ContainerResources;
    /** Secret holding the token under `TUNNEL_TOKEN_KEY`. */
    tokenSecretName: pulumi.Input<string>;
    /** A Secret whose `ca.crt` is mounted at `ORIGIN_CA_DIR` (origin = the TLS proxy). */
    originCaSecretName?: pulumi.Input<string>;
}

/** `cloudflared tunnel --no-autoupdate --metrics 0.0.0.0:<port> --grace-period <n>s run`; the token comes from `TUNNEL_TOKEN`. */
export function tunnelArgs(p: Pick<TunnelContainerParts, "metricsPort" | "gracePeriodSeconds">): pulumi.Input<string>[] {
    return [
        "tunnel",
        // Always: auto-update relaunches the process, which in a container can replace PID 1 and crash it.
        "--no-autoupdate",
        "--metrics",
        // All interfaces so kubelet's probes reach it by pod IP; see docs/tunnel.md for who else can.
        pulumi.interpolate`0.0.0.0:${p.metricsPort}`,
        "--grace-period",
        `${p.gracePeriodSeconds}s`,
        "run",
    ];
}

export function tunnelContainer(p: TunnelContainerParts): ContainerInput {
    const probe = (t: { periodSeconds: number; failureThreshold: number; timeoutSeconds: number }) => ({
        httpGet: { path: "/ready", port: p.metricsPort, scheme: "HTTP" },
        ...t,
    });
    return {
        name: TUNNEL_CONTAINER,
        image: p.image,
        // The image's entrypoint is the binary; naming it keeps the command independent of the image's CMD.
        command: ["cloudflared"],
        args: tunnelArgs(p),
        env: [{ name: "TUNNEL_TOKEN", valueFrom: { secretKeyRef: { name: p.tokenSecretName, key: TUNNEL_TOKEN_KEY } } }],
        ports: [{ name: "tunnel-metrics", containerPort: p.metricsPort, protocol: "TCP" }],
        readinessProbe: probe(TUNNEL_PROBES.readiness),
        livenessProbe: probe(TUNNEL_PROBES.liveness),
        securityContext: { ...RESTRICTED, runAsNonRoot: true, runAsUser: CLOUDFLARED_UID, runAsGroup: CLOUDFLARED_UID },
        resources: resourceRequirements(p.resources),
        volumeMounts: p.originCaSecretName === undefined ? undefined : [{ name: ORIGIN_CA_VOLUME, mountPath: ORIGIN_CA_DIR, readOnly: true }],
    };
}

export function tunnelVolumes(p: TunnelContainerParts): VolumeInput[] {
    if (p.originCaSecretName === undefined) {
        return [];
    }
    // Only `ca.crt`: cloudflared never sees the proxy's private key. Optional, because an existing Secret with a
    // publicly trusted certificate may have no `ca.crt` (cloudflared then verifies with the system roots).
    return [{ name: ORIGIN_CA_VOLUME, secret: { secretName: p.originCaSecretName, items: [{ key: "ca.crt", path: "ca.crt" }], optional: true } }];
}

/**
 * Adds cloudflared to a pod spec as a regular container: on termination it gets SIGTERM together with the app and
 * unregisters from the edge at once (a native sidecar would only be stopped after the app, while the edge still sends
 * it requests). The pod's grace period covers cloudflared's `--grace-period`.
 */
export function withTunnel(spec: PodSpecInput, p: TunnelContainerParts): PodSpecInput {
    const volumes = [...((spec.volumes as VolumeInput[] | undefined) ?? []), ...tunnelVolumes(p)];
    const current = spec.terminationGracePeriodSeconds;
    const needed = p.gracePeriodSeconds + TUNNEL_GRACE_MARGIN_SECONDS;
    return {
        ...spec,
        containers: [...(spec.containers as ContainerInput[]), tunnelContainer(p)],
        volumes: volumes.length > 0 ? volumes : undefined,
        terminationGracePeriodSeconds: isKnown(current) && current !== undefined ? Math.max(current, needed) : needed,
    };
}

export interface CloudflareTunnelSidecarArgs {
    /** Namespace of the token Secret: the pod's. */
    namespace: pulumi.Input<string>;
    /** The tunnel token (Zero Trust → Networks → Tunnels → your tunnel → install command). Pass it as a Pulumi secret. */
    token?: pulumi.Input<string>;
    /** Use this existing Secret's `token` key instead of creating a Secret from `token`. */
    existingSecretName?: pulumi.Input<string>;
    /**
     * The service the tunnel's public hostname must route to, e.g. `http://127.0.0.1:8080`. A token-run tunnel is
     * remotely managed: this goes into the tunnel's configuration (dashboard or API), not onto cloudflared's command line;
     * it is exported as `originService` so it can be copied there.
     */
    originService: pulumi.Input<string>;
    /** For an https origin: the name its certificate must carry ("Origin Server Name" in the tunnel's TLS settings). */
    originServerName?: pulumi.Input<string>;
    /**
     * For an https origin with a private CA: a Secret whose `ca.crt` is mounted for cloudflared ("CA Pool"). The volume
     * is optional: if the Secret has no `ca.crt`, the pod starts but the file is missing, and a CA Pool naming it makes
     * cloudflared reject the tunnel's whole remote configuration.
     */
    originCaSecretName?: pulumi.Input<string>;
    /** The public hostname routed to this tunnel, if known: the `url` output becomes `https://<hostname>`. */
    hostname?: pulumi.Input<string>;
    /** Default `cloudflare/cloudflared:<pinned version>`. A tag other than `latest`, or a digest. */
    image?: pulumi.Input<string>;
    /** Port of `/ready` and `/metrics`. Default 2000. */
    metricsPort?: pulumi.Input<number>;
    /**
     * cloudflared's `--grace-period`: after SIGTERM it waits this long for in-flight requests, and while an edge
     * connection is up it waits the whole period even when none are in flight. 1 to 180 (cloudflared's maximum). Default 30.
     */
    gracePeriodSeconds?: number;
    /** Default 10m CPU and 64Mi requested, 256Mi memory limit, no CPU limit. */
    resources?: ContainerResources;
}

/** Each field given overrides its default. */
export function tunnelResources(given: ContainerResources | undefined): ContainerResources {
    const set = Object.entries(given ?? {}).filter(([, v]) => v !== undefined);
    return { ...DEFAULT_TUNNEL_RESOURCES, ...Object.fromEntries(set) };
}

/**
 * What the pod needs for these arguments, with the token in `tokenSecretName` (a `CloudflareTunnelSidecar`'s
 * `secretName`): pass it to `tunnelContainer`, `tunnelVolumes`, or `withTunnel` for a whole pod spec. A function, not
 * a field of the component, so the component's outputs stay plain values for other languages.
 */
export function tunnelContainerParts(
    args: Pick<CloudflareTunnelSidecarArgs, "image" | "metricsPort" | "gracePeriodSeconds" | "resources" | "originCaSecretName">,
    tokenSecretName: pulumi.Input<string>,
): TunnelContainerParts {
    return {
        image: args.image ?? TUNNEL_DEFAULTS.image,
        metricsPort: args.metricsPort ?? TUNNEL_DEFAULTS.metricsPort,
        gracePeriodSeconds: args.gracePeriodSeconds ?? TUNNEL_DEFAULTS.gracePeriodSeconds,
        resources: tunnelResources(args.resources),
        tokenSecretName,
        originCaSecretName: args.originCaSecretName,
    };
}

/**
 * The tunnel token Secret (unless an existing one is named) and what to tell Cloudflare about the origin. The container
 * to put beside an app comes from `tunnelContainerParts(args, sidecar.secretName)`. Usable on its own, and created by
 * `TlsSidecarApp` when given `tunnel`.
 */
export class CloudflareTunnelSidecar extends pulumi.ComponentResource {
    /** Secret holding the token (created here unless `existingSecretName`). */
    readonly secretName: pulumi.Output<string>;
    /** What the tunnel's public hostname must route to: put it in the tunnel's configuration. */
    readonly originService: pulumi.Output<string>;
    /** "Origin Server Name" to set for an https origin; undefined for http. */
    readonly originServerName: pulumi.Output<string | undefined>;
    /**
     * "CA Pool" path (inside the cloudflared container) to set for an https origin with a private CA, when
     * `originCaSecretName` is given. Set it only if that Secret has a `ca.crt`: otherwise the file is missing and
     * cloudflared rejects the tunnel's whole configuration (every request gets 503).
     */
    readonly originCaPool: pulumi.Output<string | undefined>;
    /** `https://<hostname>` when `hostname` is given. */
    readonly url: pulumi.Output<string | undefined>;
    readonly image: pulumi.Output<string>;
    readonly metricsPort: pulumi.Output<number>;

    constructor(name: string, args: CloudflareTunnelSidecarArgs, opts?: pulumi.ComponentResourceOptions) {
        super("tls-sidecar:index:CloudflareTunnelSidecar", name, {}, withLateChecks(() => validateTunnelSidecarArgs("", args), opts));

        if (args.existingSecretName !== undefined) {
            this.secretName = pulumi.output(args.existingSecretName);
        } else {
            // Auto-named: a new token gives a new Secret name, so a Deployment rolls to it (Secret env is read at start).
            const secret = new k8s.core.v1.Secret(
                `${name}-tunnel-token`,
                {
                    metadata: { namespace: args.namespace, labels: { "app.kubernetes.io/managed-by": "tls-sidecar" } },
                    type: "Opaque",
                    // Stored as checked (trimmed): cloudflared refuses a token with surrounding white space.
                    stringData: { [TUNNEL_TOKEN_KEY]: pulumi.secret(pulumi.output(args.token!).apply((t) => t.trim())) },
                },
                { parent: this },
            );
            this.secretName = secret.metadata.name;
        }

        const parts = tunnelContainerParts(args, this.secretName);
        this.originService = pulumi.output(args.originService);
        this.originServerName = pulumi.output(args.originServerName);
        this.originCaPool = pulumi.output(args.originCaSecretName === undefined ? undefined : ORIGIN_CA_POOL);
        this.url = args.hostname === undefined ? pulumi.output(undefined) : pulumi.interpolate`https://${args.hostname}`;
        this.image = pulumi.output(parts.image);
        this.metricsPort = pulumi.output(parts.metricsPort);
        this.registerOutputs({
            secretName: this.secretName,
            originService: this.originService,
            originServerName: this.originServerName,
            originCaPool: this.originCaPool,
            url: this.url,
            image: this.image,
            metricsPort: this.metricsPort,
        });
    }
}

/** `TlsSidecarApp`'s `tunnel`: cloudflared beside the app, the tunnel's origin chosen by `origin`. */
export interface Tunnel {
    /** The tunnel token, as a Pulumi secret. Required unless `existingSecretName`. */
    token?: pulumi.Input<string>;
    /** An existing Secret with the token under the `token` key; nothing is created. */
    existingSecretName?: pulumi.Input<string>;
    /** The public hostname routed to the tunnel (configured in Cloudflare): `url` becomes `https://<hostname>`. */
    hostname?: pulumi.Input<string>;
    /** Default `TunnelOrigin.App` (plain HTTP on the pod's loopback); `Proxy` for the TLS proxy, verified. */
    origin?: TunnelOrigin;
    /** Default `cloudflare/cloudflared:<pinned version>`. */
    image?: pulumi.Input<string>;
    /** Default 2000. Must differ from app.port, proxy.port and proxy.adminPort. */
    metricsPort?: pulumi.Input<number>;
    /** After SIGTERM cloudflared waits this long (the whole period while connected). 1 to 180; default 30 (cloudflared's own default). */
    gracePeriodSeconds?: number;
    /** Default 10m CPU and 64Mi requested, 256Mi memory limit, no CPU limit. */
    resources?: ContainerResources;
}

/** @deprecated Renamed `Tunnel`: every SDK adds its own `Args` (Python `TunnelArgs`). Kept for existing TypeScript programs. */
export type TunnelArgs = Tunnel;

/** What the tunnel's remote configuration must say for each origin: the service URL, and for the proxy how to verify it. */
export function originFor(
    origin: TunnelOrigin,
    appPort: pulumi.Input<number>,
    proxyPort: pulumi.Input<number>,
    serviceName: pulumi.Input<string>,
    namespace: pulumi.Input<string>,
): { originService: pulumi.Output<string>; originServerName?: pulumi.Output<string> } {
    // 127.0.0.1 rather than localhost: "localhost" may resolve to ::1 first, where an IPv4-only app does not listen.
    if (origin === TunnelOrigin.Proxy) {
        // The Service's `<name>.<namespace>.svc` is always among the proxy certificate's SANs when it is generated here.
        return { originService: pulumi.interpolate`https://127.0.0.1:${proxyPort}`, originServerName: pulumi.interpolate`${serviceName}.${namespace}.svc` };
    }
    return { originService: pulumi.interpolate`http://127.0.0.1:${appPort}` };
}

// The checks of CloudflareTunnelSidecar's arguments (and TlsSidecarApp's `tunnel`): every independent check runs.

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** An image reference pinned by a tag other than `latest`, or by a digest. */
export function checkPinnedImage(path: string, value: unknown): void {
    const allowed = 'an image reference pinned by a tag other than "latest" or by a digest, e.g. "cloudflare/cloudflared:2026.8.2"';
    if (typeof value !== "string" || value.trim() === "" || /\s/.test(value)) {
        throw new ConfigError(path, value, allowed);
    }
    const [nameAndTag, digest, ...more] = value.split("@");
    if (more.length > 0 || (digest !== undefined && !DIGEST.test(digest))) {
        throw new ConfigError(path, value, allowed);
    }
    const slash = nameAndTag.lastIndexOf("/");
    const colon = nameAndTag.lastIndexOf(":");
    const tag = colon > slash ? nameAndTag.slice(colon + 1) : undefined;
    const name = colon > slash ? nameAndTag.slice(0, colon) : nameAndTag;
    if (name === "" || (tag !== undefined && !TAG.test(tag)) || (tag === undefined && digest === undefined) || (tag === "latest" && digest === undefined)) {
        throw new ConfigError(path, value, allowed);
    }
}

const OBJECT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkSecretName(path: string, value: unknown): void {
    if (typeof value !== "string" || value.length > 253 || !OBJECT_NAME.test(value)) {
        throw new ConfigError(path, value, "a Kubernetes object name: lower-case letters, digits, '-' and '.', at most 253 characters");
    }
}

/** A tunnel token is one base64 string (an account tag, tunnel ID and secret). Never echoed. */
export function checkTunnelToken(path: string, value: unknown): void {
    if (typeof value !== "string" || !/^[A-Za-z0-9+/=_-]{16,}$/.test(value.trim())) {
        throw new ConfigError(path, SECRET_NOT_SHOWN, "the tunnel token: the base64 string after `--token` in the dashboard's install command");
    }
}

/** cloudflared exits at start on a longer `--grace-period`: the pod would crash-loop. */
function checkGracePeriod(path: string, value: unknown): void {
    checkIntegerRange(path, value, 1, MAX_TUNNEL_GRACE_PERIOD_SECONDS, ` seconds (cloudflared refuses a --grace-period over 3m0s)`);
}

function checkOriginService(path: string, value: unknown): void {
    let ok = false;
    if (typeof value === "string") {
        try {
            const url = new URL(value);
            ok = (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "" && (url.pathname === "/" || url.pathname === "");
        } catch {
            ok = false;
        }
    }
    if (!ok) {
        throw new ConfigError(path, value, 'an http or https URL of the origin, e.g. "http://127.0.0.1:8080"');
    }
}

/** The checks shared by `CloudflareTunnelSidecar` and `TlsSidecarApp`'s `tunnel`; `prefix` is e.g. "tunnel.". */
export function validateTunnelCommon(
    prefix: string,
    args: Pick<CloudflareTunnelSidecarArgs, "token" | "existingSecretName" | "hostname" | "image" | "metricsPort" | "gracePeriodSeconds" | "resources">,
): void {
    const problems = new Problems();
    if (args.token === undefined && args.existingSecretName === undefined) {
        problems.add({ path: `${prefix}token`, value: undefined, allowed: `the tunnel token (a Pulumi secret), or ${prefix}existingSecretName naming a Secret with a "${TUNNEL_TOKEN_KEY}" key` });
    }
    if (args.token !== undefined && args.existingSecretName !== undefined) {
        problems.add({ path: `${prefix}existingSecretName`, value: args.existingSecretName, allowed: `either ${prefix}token or ${prefix}existingSecretName, not both` });
    }
    const each: [pulumi.Input<unknown> | undefined, string, (path: string, v: unknown) => void][] = [
        [args.token, "token", checkTunnelToken],
        [args.existingSecretName, "existingSecretName", checkSecretName],
        [args.hostname, "hostname", checkHostname],
        [args.image, "image", checkPinnedImage],
        [args.metricsPort, "metricsPort", checkPort],
        [args.gracePeriodSeconds, "gracePeriodSeconds", checkGracePeriod],
    ];
    for (const [value, key, check] of each) {
        if (value !== undefined) problems.check(() => checked(value, (v) => check(`${prefix}${key}`, v)));
    }
    problems.check(() => checkResources(`${prefix}resources`, args.resources));
    problems.throwIfAny();
}

/** Throws one ConfigError naming every bad argument of `CloudflareTunnelSidecar`. */
export function validateTunnelSidecarArgs(prefix: string, args: CloudflareTunnelSidecarArgs): void {
    const problems = new Problems();
    if (args.namespace === undefined) {
        problems.add({ path: `${prefix}namespace`, value: undefined, allowed: "the namespace of the pod" });
    } else {
        problems.check(() => checked(args.namespace, (v) => checkNonEmptyString(`${prefix}namespace`, v)));
    }
    problems.check(() => validateTunnelCommon(prefix, args));
    if (args.originService === undefined) {
        problems.add({ path: `${prefix}originService`, value: undefined, allowed: 'the URL the tunnel routes to, e.g. "http://127.0.0.1:8080"' });
    } else {
        problems.check(() => checked(args.originService, (v) => checkOriginService(`${prefix}originService`, v)));
    }
    if (args.originServerName !== undefined) problems.check(() => checked(args.originServerName!, (v) => checkHostname(`${prefix}originServerName`, v)));
    problems.throwIfAny();
}
