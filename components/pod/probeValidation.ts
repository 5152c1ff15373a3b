// The checks of the app's probes and lifecycle hooks, and the rules the interception sets for them: with iptables
// interception `app.port` is the TLS proxy, so a plaintext gRPC probe there cannot pass, nor can any HTTPS probe when
// the proxy requires client certificates (the kubelet has none); a user's preStop would replace the drain.
import * as pulumi from "@pulumi/pulumi";
import { ClientAuth, InterceptionMode, ProbeScheme } from "../enums";
import type { ExecAction, GrpcAction, HttpGetAction, Lifecycle, LifecycleHandler, Probe } from "./probes";
import { checked, checkEnum, checkIntegerRange, checkNonEmptyString, checkNonNegativeInteger, checkPort, checkPositiveInteger, ConfigError, isKnown, Problems } from "../validation";

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
export function checkProbesAndHooks(app: ProbedApp, r: ProbeRules, problems: Problems): void {
    const probes: [string, Probe | undefined, boolean][] = [
        ["app.readinessProbe", app.readinessProbe, false],
        ["app.livenessProbe", app.livenessProbe, true],
        ["app.startupProbe", app.startupProbe, true],
    ];
    for (const [path, probe, oneSuccess] of probes) {
        if (probe !== undefined) checkProbe(path, probe, oneSuccess, r, problems);
    }
    const hooks = app.lifecycle ?? {};
    for (const [name, hook] of Object.entries(hooks) as [string, LifecycleHandler | undefined][]) {
        if (hook !== undefined) checkActions(`app.lifecycle.${name}`, hook, HOOK_ACTIONS, r, problems);
    }
    const drain = r.drainSeconds;
    if (hooks.preStop !== undefined && typeof drain === "number" && drain > 0) {
        problems.add({
            path: "app.lifecycle.preStop",
            value: Object.keys(hooks.preStop),
            allowed: `no preStop hook of your own while app.drainSeconds is above 0 (it is ${drain}): the app's preStop hook is the proxy's drain (GET /drain on the admin port), and a container has one; set app.drainSeconds to 0 to run yours instead (then make it wait until the endpoint is gone, or rollouts lose requests), or drop yours`,
        });
    }
}

function checkProbe(path: string, probe: Probe, oneSuccess: boolean, r: ProbeRules, problems: Problems): void {
    checkActions(path, probe, PROBE_ACTIONS, r, problems);
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
function checkActions(path: string, h: Probe | LifecycleHandler, allowed: readonly string[], r: ProbeRules, problems: Problems): void {
    const given = allowed.filter((k) => (h as Record<string, unknown>)[k] !== undefined);
    if (given.length !== 1) {
        problems.add({ path, value: given, allowed: `exactly one of ${allowed.join(", ")}` });
    }
    const a = h as Probe & LifecycleHandler;
    if (a.httpGet !== undefined) checkHttpGet(`${path}.httpGet`, a.httpGet, r, problems);
    if (a.tcpSocket !== undefined) problems.check(() => checked(a.tcpSocket!.port, (v) => checkPort(`${path}.tcpSocket.port`, v)));
    if (a.grpc !== undefined) checkGrpc(`${path}.grpc`, a.grpc, r, problems);
    if (a.exec !== undefined) checkExec(`${path}.exec`, a.exec, problems);
    if (a.sleep !== undefined) problems.check(() => checkIntegerRange(`${path}.sleep.seconds`, a.sleep!.seconds, 1, 300, " (a preStop sleep lengthens the pod's grace period by as much)"));
}

/** True when `port` is known to be the app port. */
function isAppPort(port: pulumi.Input<number>, r: ProbeRules): boolean {
    return isKnown(port) && isKnown(r.appPort) && port === r.appPort;
}

function checkHttpGet(path: string, h: HttpGetAction, r: ProbeRules, problems: Problems): void {
    problems.check(() => checked(h.port, (v) => checkPort(`${path}.port`, v)));
    if (h.path !== undefined) {
        problems.check(() => checked(h.path!, (v) => typeof v === "string" && v.startsWith("/") ? undefined : fail(`${path}.path`, v, 'an absolute path such as "/healthz"')));
    }
    if (h.scheme !== undefined) problems.check(() => checkEnum(`${path}.scheme`, h.scheme, ProbeScheme));
    (h.httpHeaders ?? []).forEach((header, i) => {
        problems.check(() => checked(header.name, (v) => typeof v === "string" && HEADER_NAME.test(v) ? undefined : fail(`${path}.httpHeaders[${i}].name`, v, 'an HTTP header name such as "X-Probe"')));
    });
    if (!isAppPort(h.port, r)) {
        return;
    }
    if (r.interception === InterceptionMode.Iptables && r.clientAuth === ClientAuth.Require) {
        problems.add({
            path: `${path}.port`,
            value: h.port,
            allowed: `a port other than app.port (${h.port}) with proxy.clientAuth "require" and iptables interception: the kubelet's request to app.port reaches the TLS proxy, which requires a client certificate the kubelet does not have; ${OTHER_PORT}`,
        });
    } else if (r.interception === InterceptionMode.Service && h.scheme === ProbeScheme.Https) {
        problems.add({ path: `${path}.scheme`, value: h.scheme, allowed: `"HTTP" at app.port (${h.port}) with service interception: the kubelet reaches the app itself, which serves plain HTTP` });
    }
}

function checkGrpc(path: string, g: GrpcAction, r: ProbeRules, problems: Problems): void {
    problems.check(() => checked(g.port, (v) => checkPort(`${path}.port`, v)));
    if (r.interception === InterceptionMode.Iptables && isAppPort(g.port, r)) {
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
