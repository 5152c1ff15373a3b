// The app's probes and lifecycle hooks, as its owner wrote them, and what the interception makes of them. With iptables
// interception the kubelet's requests to the app port land on the TLS proxy (the pod's nat PREROUTING redirects them),
// so an `httpGet` there is sent as HTTPS: the kubelet skips certificate verification, and the proxy passes the request
// to the app. What cannot work is refused in probeValidation.ts.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ProbeScheme } from "../enums";
import { isKnown } from "../validation";

export interface HttpHeader {
    name: pulumi.Input<string>;
    value: pulumi.Input<string>;
}

/** @deprecated Renamed `HttpHeader`: every SDK adds its own `Args` (Python `HttpHeaderArgs`). Kept for existing TypeScript programs. */
export type HttpHeaderArgs = HttpHeader;

/** A GET the kubelet sends to the pod's IP. */
export interface HttpGetAction {
    /** Default "/". */
    path?: pulumi.Input<string>;
    port: pulumi.Input<number>;
    /**
     * Default HTTP. With iptables interception a request to `app.port` is always sent as HTTPS (it reaches the TLS
     * proxy, which passes it to the app); on other ports, and with service interception, it is sent as given.
     */
    scheme?: ProbeScheme;
    httpHeaders?: HttpHeader[];
}

/** @deprecated Renamed `HttpGetAction`: every SDK adds its own `Args` (Python `HttpGetActionArgs`). Kept for existing TypeScript programs. */
export type HttpGetActionArgs = HttpGetAction;

/** Passes when the kubelet opens a TCP connection to the port. */
export interface TcpSocketAction {
    port: pulumi.Input<number>;
}

/** @deprecated Renamed `TcpSocketAction`: every SDK adds its own `Args` (Python `TcpSocketActionArgs`). Kept for existing TypeScript programs. */
export type TcpSocketActionArgs = TcpSocketAction;

/** The gRPC health-checking protocol, in plaintext (the kubelet has no TLS option for it). */
export interface GrpcAction {
    port: pulumi.Input<number>;
    /** The service name sent in the health check request. Default: the server's overall health. */
    service?: pulumi.Input<string>;
}

/** @deprecated Renamed `GrpcAction`: every SDK adds its own `Args` (Python `GrpcActionArgs`). Kept for existing TypeScript programs. */
export type GrpcActionArgs = GrpcAction;

/** A command run inside the app container; exit code 0 passes. */
export interface ExecAction {
    command: pulumi.Input<string>[];
}

/** @deprecated Renamed `ExecAction`: every SDK adds its own `Args` (Python `ExecActionArgs`). Kept for existing TypeScript programs. */
export type ExecActionArgs = ExecAction;

/** Waits in the container's lifecycle hook (Kubernetes ≥ 1.30). */
export interface SleepAction {
    /** A plain number: a preStop sleep lengthens the pod's grace period by as much. */
    seconds: number;
}

/** @deprecated Renamed `SleepAction`: every SDK adds its own `Args` (Python `SleepActionArgs`). Kept for existing TypeScript programs. */
export type SleepActionArgs = SleepAction;

/** A readiness, liveness or startup probe: exactly one of `httpGet`, `tcpSocket`, `grpc`, `exec`, and its timing. */
export interface Probe {
    httpGet?: HttpGetAction;
    tcpSocket?: TcpSocketAction;
    grpc?: GrpcAction;
    exec?: ExecAction;
    /** Default 0. */
    initialDelaySeconds?: pulumi.Input<number>;
    /** Default 10. */
    periodSeconds?: pulumi.Input<number>;
    /** Default 1. */
    timeoutSeconds?: pulumi.Input<number>;
    /** Default 3. */
    failureThreshold?: pulumi.Input<number>;
    /** Default 1; must be 1 for liveness and startup probes. */
    successThreshold?: pulumi.Input<number>;
}

/** @deprecated Renamed `Probe`: every SDK adds its own `Args` (Python `ProbeArgs`). Kept for existing TypeScript programs. */
export type ProbeArgs = Probe;

/** A lifecycle hook: exactly one of `exec`, `httpGet`, `sleep`. */
export interface LifecycleHandler {
    exec?: ExecAction;
    httpGet?: HttpGetAction;
    sleep?: SleepAction;
}

/** @deprecated Renamed `LifecycleHandler`: every SDK adds its own `Args` (Python `LifecycleHandlerArgs`). Kept for existing TypeScript programs. */
export type LifecycleHandlerArgs = LifecycleHandler;

/**
 * The app container's hooks. `preStop` replaces the component's drain (`GET /drain` on the proxy's admin port), so it
 * is refused unless `app.drainSeconds` is 0.
 */
export interface Lifecycle {
    postStart?: LifecycleHandler;
    preStop?: LifecycleHandler;
}

/** @deprecated Renamed `Lifecycle`: every SDK adds its own `Args` (Python `LifecycleArgs`). Kept for existing TypeScript programs. */
export type LifecycleArgs = Lifecycle;

/** Where the kubelet's requests to the app's port end up. */
export interface ProbeTarget {
    appPort: pulumi.Input<number>;
    /** True with iptables interception: inbound traffic to `appPort` reaches the TLS proxy. */
    redirected: boolean;
}

/** True (or an Output of it) when `port` is the app port under iptables interception. */
export function reachesProxy(port: pulumi.Input<number>, t: ProbeTarget): boolean | pulumi.Output<boolean> {
    if (!t.redirected) {
        return false;
    }
    return isKnown(port) && isKnown(t.appPort) ? port === t.appPort : pulumi.all([port, t.appPort]).apply(([p, a]) => p === a);
}

function httpGet(h: HttpGetAction, t: ProbeTarget): k8s.types.input.core.v1.HTTPGetAction {
    const given = h.scheme ?? ProbeScheme.Http;
    const toProxy = reachesProxy(h.port, t);
    const scheme = typeof toProxy === "boolean" ? (toProxy ? ProbeScheme.Https : given) : toProxy.apply((p) => (p ? ProbeScheme.Https : given));
    return { path: h.path, port: h.port, scheme, httpHeaders: h.httpHeaders };
}

/** A probe or hook for the pod spec: as given, but an `httpGet` at a redirected app port as HTTPS. */
function handler<T extends Probe | LifecycleHandler>(h: T, t: ProbeTarget): T | (Omit<T, "httpGet"> & { httpGet: k8s.types.input.core.v1.HTTPGetAction }) {
    return h.httpGet === undefined ? h : { ...h, httpGet: httpGet(h.httpGet, t) };
}

export function renderProbe(p: Probe | undefined, t: ProbeTarget): k8s.types.input.core.v1.Probe | undefined {
    return p === undefined ? undefined : handler(p, t);
}

/**
 * The app container's lifecycle: the user's `postStart`, and as `preStop` either the drain (`drain`, when
 * `app.drainSeconds` > 0) or the user's own (validation refuses both at once). Undefined when there is neither.
 */
export function renderLifecycle(l: Lifecycle | undefined, drain: k8s.types.input.core.v1.Lifecycle | undefined, t: ProbeTarget): k8s.types.input.core.v1.Lifecycle | undefined {
    const own: k8s.types.input.core.v1.Lifecycle = {};
    if (l?.postStart !== undefined) own.postStart = handler(l.postStart, t);
    if (l?.preStop !== undefined) own.preStop = handler(l.preStop, t);
    const lifecycle = { ...drain, ...own };
    return Object.keys(lifecycle).length > 0 ? lifecycle : undefined;
}

/** Seconds a user's `preStop` sleep holds the app before SIGTERM: the pod's grace period must cover them. */
export function preStopSleepSeconds(l: Lifecycle | undefined): number {
    return l?.preStop?.sleep?.seconds ?? 0;
}
