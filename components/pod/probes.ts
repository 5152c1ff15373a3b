// The app's probes and lifecycle hooks, as its owner wrote them, and what the interception makes of them. With iptables
// interception the kubelet's requests to the app port land on the TLS proxy (the pod's nat PREROUTING redirects them),
// so an `httpGet` there is sent as HTTPS: the kubelet skips certificate verification, and the proxy passes the request
// to the app. What cannot work is refused, by the checks at the foot: with iptables interception `app.port` is the
// TLS proxy, so a plaintext gRPC probe there cannot pass, nor can any HTTPS probe when the proxy requires client
// certificates (the kubelet has none); a user's preStop would replace the drain.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { InterceptionMode, ProbeScheme } from "../enums";
import { checked, checkEnum, checkIntegerRange, checkNonEmptyString, checkNonNegativeInteger, checkPort, checkPositiveInteger, ConfigError, isKnown, Problems } from "../validation";
import { ClientAuth } from "./proxy";

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

/** What the rules depend on, with the defaults already applied. */
export interface ProbeRules {
    appPort: pulumi.Input<number>;
    interception: InterceptionMode;
    clientAuth: ClientAuth;
    drainSeconds: unknown;
}

export interface ProbedApp {
    readinessProbe?: Probe;
    livenessProbe?: Probe;
    startupProbe?: Probe;
    lifecycle?: Lifecycle;
}

const PROBE_ACTIONS = ["httpGet", "tcpSocket", "grpc", "exec"] as const;
const HOOK_ACTIONS = ["exec", "httpGet", "sleep"] as const;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const OTHER_PORT = "probe another port the app listens on (only app.port is redirected), or use tcpSocket or exec";

/** Keeps a problem for every probe or hook of the app that is malformed or cannot work with this interception. */
export function checkProbesAndHooks(app: ProbedApp, rules: ProbeRules, problems: Problems): void {
    const probes: [string, Probe | undefined, boolean][] = [
        ["app.readinessProbe", app.readinessProbe, false],
        ["app.livenessProbe", app.livenessProbe, true],
        ["app.startupProbe", app.startupProbe, true],
    ];
    for (const [path, probe, oneSuccess] of probes) {
        if (probe !== undefined) checkProbe(path, probe, oneSuccess, rules, problems);
    }
    const hooks = app.lifecycle ?? {};
    for (const [name, hook] of Object.entries(hooks) as [string, LifecycleHandler | undefined][]) {
        if (hook !== undefined) checkActions(`app.lifecycle.${name}`, hook, HOOK_ACTIONS, rules, problems);
    }
    const drain = rules.drainSeconds;
    if (hooks.preStop !== undefined && typeof drain === "number" && drain > 0) {
        problems.add({
            path: "app.lifecycle.preStop",
            value: Object.keys(hooks.preStop),
            allowed: `no preStop hook of your own while app.drainSeconds is above 0 (it is ${drain}): the app's preStop hook is the proxy's drain (GET /drain on the admin port), and a container has one; set app.drainSeconds to 0 to run yours instead (then make it wait until the endpoint is gone, or rollouts lose requests), or drop yours`,
        });
    }
}

function checkProbe(path: string, probe: Probe, oneSuccess: boolean, rules: ProbeRules, problems: Problems): void {
    checkActions(path, probe, PROBE_ACTIONS, rules, problems);
    const counts: [string, pulumi.Input<number> | undefined, (p: string, v: unknown) => void][] = [
        ["initialDelaySeconds", probe.initialDelaySeconds, checkNonNegativeInteger],
        ["periodSeconds", probe.periodSeconds, checkPositiveInteger],
        ["timeoutSeconds", probe.timeoutSeconds, checkPositiveInteger],
        ["failureThreshold", probe.failureThreshold, checkPositiveInteger],
        ["successThreshold", probe.successThreshold, oneSuccess ? checkOne : checkPositiveInteger],
    ];
    for (const [key, value, check] of counts) {
        if (value !== undefined) problems.check(() => checked(value, (v) => check(`${path}.${key}`, v)));
    }
}

function checkOne(path: string, value: unknown): void {
    if (value !== 1) {
        throw new ConfigError(path, value, "1 for a liveness or startup probe (Kubernetes allows no other value)");
    }
}

/** Exactly one action of `allowed`, each checked. */
function checkActions(path: string, h: Probe | LifecycleHandler, allowed: readonly string[], rules: ProbeRules, problems: Problems): void {
    const given = allowed.filter((k) => (h as Record<string, unknown>)[k] !== undefined);
    if (given.length !== 1) {
        problems.add({ path, value: given, allowed: `exactly one of ${allowed.join(", ")}` });
    }
    const a = h as Probe & LifecycleHandler;
    if (a.httpGet !== undefined) checkHttpGet(`${path}.httpGet`, a.httpGet, rules, problems);
    if (a.tcpSocket !== undefined) problems.check(() => checked(a.tcpSocket!.port, (v) => checkPort(`${path}.tcpSocket.port`, v)));
    if (a.grpc !== undefined) checkGrpc(`${path}.grpc`, a.grpc, rules, problems);
    if (a.exec !== undefined) checkExec(`${path}.exec`, a.exec, problems);
    if (a.sleep !== undefined) problems.check(() => checkIntegerRange(`${path}.sleep.seconds`, a.sleep!.seconds, 1, 300, " (a preStop sleep lengthens the pod's grace period by as much)"));
}

/** True when `port` is known to be the app port. */
function isAppPort(port: pulumi.Input<number>, rules: ProbeRules): boolean {
    return isKnown(port) && isKnown(rules.appPort) && port === rules.appPort;
}

function checkHttpGet(path: string, h: HttpGetAction, rules: ProbeRules, problems: Problems): void {
    problems.check(() => checked(h.port, (v) => checkPort(`${path}.port`, v)));
    if (h.path !== undefined) {
        problems.check(() => checked(h.path!, (v) => typeof v === "string" && v.startsWith("/") ? undefined : fail(`${path}.path`, v, 'an absolute path such as "/healthz"')));
    }
    if (h.scheme !== undefined) problems.check(() => checkEnum(`${path}.scheme`, h.scheme, ProbeScheme));
    (h.httpHeaders ?? []).forEach((header, i) => {
        problems.check(() => checked(header.name, (v) => typeof v === "string" && HEADER_NAME.test(v) ? undefined : fail(`${path}.httpHeaders[${i}].name`, v, 'an HTTP header name such as "X-Probe"')));
    });
    if (!isAppPort(h.port, rules)) {
        return;
    }
    if (rules.interception === InterceptionMode.Iptables && rules.clientAuth === ClientAuth.Require) {
        problems.add({
            path: `${path}.port`,
            value: h.port,
            allowed: `a port other than app.port (${h.port}) with proxy.clientAuth "require" and iptables interception: the kubelet's request to app.port reaches the TLS proxy, which requires a client certificate the kubelet does not have; ${OTHER_PORT}`,
        });
    } else if (rules.interception === InterceptionMode.Service && h.scheme === ProbeScheme.Https) {
        problems.add({ path: `${path}.scheme`, value: h.scheme, allowed: `"HTTP" at app.port (${h.port}) with service interception: the kubelet reaches the app itself, which serves plain HTTP` });
    }
}

function checkGrpc(path: string, g: GrpcAction, rules: ProbeRules, problems: Problems): void {
    problems.check(() => checked(g.port, (v) => checkPort(`${path}.port`, v)));
    if (rules.interception === InterceptionMode.Iptables && isAppPort(g.port, rules)) {
        problems.add({
            path: `${path}.port`,
            value: g.port,
            allowed: `a port other than app.port (${g.port}) with iptables interception: the kubelet's gRPC probe is plaintext and app.port is the TLS proxy there; ${OTHER_PORT}`,
        });
    }
}

function checkExec(path: string, e: ExecAction, problems: Problems): void {
    if (!Array.isArray(e.command) || e.command.length === 0) {
        problems.add({ path: `${path}.command`, value: e.command, allowed: 'a command and its arguments, e.g. ["/bin/check", "--quick"]' });
        return;
    }
    e.command.forEach((word, i) => problems.check(() => checked(word, (v) => checkNonEmptyString(`${path}.command[${i}]`, v))));
}

function fail(path: string, value: unknown, allowed: string): never {
    throw new ConfigError(path, value, allowed);
}
