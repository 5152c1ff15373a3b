// The TLS proxy sidecar: its arguments, their defaults, its flags, its container, and the checks of its arguments at
// the foot. TlsSidecarApp's pods and a pod of your own given the sidecar by withTlsSidecar() both get it from here.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkEnum, checkPositiveInteger, Problems } from "../validation";
import { checkResources, ContainerResources, resourceRequirements, RESTRICTED, withDefaultResources } from "./containers";

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
}

export function resolveProxy(given: TlsProxy | undefined): ResolvedProxy {
    return {
        port: given?.port ?? PROXY_DEFAULTS.port,
        adminPort: given?.adminPort ?? PROXY_DEFAULTS.adminPort,
        clientAuth: given?.clientAuth ?? PROXY_DEFAULTS.clientAuth,
        upstreamProtocol: given?.upstreamProtocol ?? PROXY_DEFAULTS.upstreamProtocol,
        resources: withDefaultResources(DEFAULT_PROXY_RESOURCES, given?.resources),
        shutdownTimeoutSeconds: given?.shutdownTimeoutSeconds ?? PROXY_DEFAULTS.shutdownTimeoutSeconds,
    };
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
}
