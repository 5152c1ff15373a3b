// Adopting the sidecar in a program that already defines its Deployment: withTlsSidecar() takes your pod spec and
// returns it with what TlsSidecarApp's pods have (the redirect init container, the proxy as a native sidecar, its
// Secret volume, the app's probes rewritten and the drain as its preStop hook, the grace period), built by the same
// functions, so both render the same pod for the same inputs. Your other containers and fields are kept.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { APP_DEFAULTS, sidecarHandlers } from "./app";
import { afterLateChecks } from "./lateChecks";
import {
    checkOwnPorts,
    checkProbesAndHooks,
    checkSidecarArgs,
    INIT_CONTAINER,
    LifecycleHandler,
    preStopSleepSeconds,
    ProbedApp,
    PROXY_CONTAINER,
    RESERVED_VOLUME_PREFIX,
    resolveSidecar,
    SidecarArgs,
    sidecarPodSpec,
    TlsSidecarRefs,
} from "./pod";
import { checkIntegerRange, collectLateChecks, ConfigError, ConfigProblem, isKnown, Problems, renamingLateChecks } from "./validation";


type ContainerInput = k8s.types.input.core.v1.Container;
type PodSpecInput = k8s.types.input.core.v1.PodSpec;

/** How the sidecar fits your pod: TlsSidecarApp's arguments of the same names, and which container is the app. */
export interface TlsSidecarPodArgs extends SidecarArgs {
    /** Name of the app container in the pod spec. Default: the pod's only container. */
    container?: string;
    /** The port the app listens on in plain HTTP. */
    appPort: pulumi.Input<number>;
    /** As `app.drainSeconds`: the proxy's drain as the app's preStop hook. Default 5; 0 for none. */
    drainSeconds?: number;
}

/** A probe or hook action with a port, which may be a container port's name. */
interface PortedAction {
    port?: unknown;
}

/** A container port named `port` resolves to its number, so a probe at a named port is rewritten as one at a number. */
function resolvePort<T extends PortedAction>(action: T | undefined, ports: ContainerInput["ports"]): T | undefined {
    if (action === undefined || typeof action.port !== "string" || !Array.isArray(ports)) {
        return action;
    }
    const named = (ports as { name?: unknown; containerPort?: unknown }[]).find((p) => p.name === action.port);
    return named === undefined ? action : { ...action, port: named.containerPort };
}

/** A probe or hook with a plain-object `httpGet` or `tcpSocket`. */
interface Handler {
    httpGet?: PortedAction;
    tcpSocket?: PortedAction;
}

function withNumericPorts(h: Handler | undefined, ports: ContainerInput["ports"]): Handler | undefined {
    if (h === undefined) {
        return undefined;
    }
    const resolved = { ...h };
    if (h.httpGet !== undefined) resolved.httpGet = resolvePort(h.httpGet, ports);
    if (h.tcpSocket !== undefined) resolved.tcpSocket = resolvePort(h.tcpSocket, ports);
    return resolved;
}

const PROBES = ["readinessProbe", "livenessProbe", "startupProbe"] as const;
const HOOKS = ["postStart", "preStop"] as const;

/** A container of your pod spec read as the app: its probes and hooks are plain objects (their fields may be Outputs). */
type AppInSpec = ContainerInput & ProbedApp;

/** The app container with its probes' and hooks' named ports resolved: what the checks and the rewrite read. */
function probedApp(container: AppInSpec): AppInSpec {
    const app: AppInSpec = { ...container };
    for (const probe of PROBES) {
        if (container[probe] !== undefined) app[probe] = withNumericPorts(container[probe], container.ports) as AppInSpec[typeof probe];
    }
    const hooks: ProbedApp["lifecycle"] = container.lifecycle;
    if (hooks !== undefined) {
        const lifecycle = { ...hooks };
        for (const hook of HOOKS) {
            if (hooks[hook] !== undefined) lifecycle[hook] = withNumericPorts(hooks[hook], container.ports) as LifecycleHandler;
        }
        app.lifecycle = lifecycle;
    }
    return app;
}

/** Problems named after withTlsSidecar's arguments: `app.port` → `appPort`, `app.readinessProbe…` → `spec.containers[i].readinessProbe…`. */
function renamed(p: ConfigProblem, at: string): ConfigProblem {
    const path = p.path === "app.port" ? "appPort" : p.path === "app.drainSeconds" ? "drainSeconds" : p.path.replace(/^app\./, `${at}.`);
    return { ...p, path, allowed: p.allowed.replace(/\bapp\.port\b/g, "appPort").replace(/\bapp\.drainSeconds\b/g, "drainSeconds") };
}

/** The app container's index; throws one ConfigError naming every argument withTlsSidecar cannot take. */
export function validateTlsSidecarPod(spec: PodSpecInput, args: TlsSidecarPodArgs): number {
    const containers = spec.containers;
    if (!Array.isArray(containers) || containers.length === 0 || containers.some((c) => pulumi.Output.isInstance(c) || c instanceof Promise)) {
        throw new ConfigError("spec.containers", Array.isArray(containers) ? `${containers.length} containers` : typeof containers, "a non-empty list of containers as plain objects (not Outputs), so the app container can be found and its probes rewritten");
    }
    const names = (containers as ContainerInput[]).map((c) => c.name);
    const problems = new Problems();
    const index = args.container === undefined ? (containers.length === 1 ? 0 : -1) : names.indexOf(args.container);
    if (index < 0) {
        problems.add({ path: "container", value: args.container, allowed: `the name of the app container, one of ${names.map((n) => JSON.stringify(n)).join(", ")}${args.container === undefined ? " (the pod has more than one)" : ""}` });
    }
    const initNames = Array.isArray(spec.initContainers) ? (spec.initContainers as ContainerInput[]).map((c) => c.name) : [];
    [...names, ...initNames].forEach((n) => {
        if (n === PROXY_CONTAINER || n === INIT_CONTAINER) problems.add({ path: "spec", value: n, allowed: `no container named ${PROXY_CONTAINER} or ${INIT_CONTAINER}: the sidecar's own` });
    });
    const volumes = Array.isArray(spec.volumes) ? (spec.volumes as { name?: unknown }[]) : [];
    volumes.forEach((v, i) => {
        if (typeof v.name === "string" && v.name.startsWith(RESERVED_VOLUME_PREFIX)) problems.add({ path: `spec.volumes[${i}].name`, value: v.name, allowed: `a name not starting with "${RESERVED_VOLUME_PREFIX}": the sidecar's volumes` });
    });
    if (args.drainSeconds !== undefined) problems.check(() => checkIntegerRange("drainSeconds", args.drainSeconds, 0, 300));
    // The sidecar's arguments, the ports, and the app container's probes and hooks, by the rules TlsSidecarApp's app has.
    const own = new Problems();
    const app: ProbedApp = index < 0 ? {} : probedApp(containers[index] as AppInSpec);
    const sidecar = resolveSidecar(args);
    const rules = { appPort: args.appPort, interception: sidecar.interception, clientAuth: sidecar.proxy.clientAuth, drainSeconds: args.drainSeconds ?? APP_DEFAULTS.drainSeconds };
    const at = `spec.containers[${index}]`;
    renamingLateChecks(() => {
        checkSidecarArgs(args, args.appPort, own);
        checkOwnPorts(args.appPort, args.proxy, own);
        checkProbesAndHooks(app, rules, own);
    }, (p) => renamed(p, at));
    own.all.forEach((p) => problems.add(renamed(p, at)));
    problems.throwIfAny();
    return index;
}

/**
 * Your pod spec with the TLS sidecar: TlsSidecarApp's pod for the same inputs, your containers, init containers,
 * volumes and fields kept (yours first). Throws a ConfigError, before anything is created, for what the sidecar
 * cannot work with. `spec.containers` must be plain objects (their fields may be Outputs).
 */
export function withTlsSidecar(spec: PodSpecInput, sidecar: TlsSidecarRefs, args: TlsSidecarPodArgs): PodSpecInput {
    let index = -1;
    const late = collectLateChecks(() => (index = validateTlsSidecarPod(spec, args)));
    const rendered = renderedWithTlsSidecar(spec, sidecar, args, index);
    // Fields given as Outputs are checked when they resolve: the containers wait for those checks.
    return { ...rendered, containers: afterLateChecks(late, rendered.containers) };
}

/** withTlsSidecar's pod spec, its arguments checked; `index`: the app container's. */
function renderedWithTlsSidecar(spec: PodSpecInput, refs: TlsSidecarRefs, args: TlsSidecarPodArgs, index: number): PodSpecInput {
    const sidecar = resolveSidecar(args);
    const drainSeconds = args.drainSeconds ?? APP_DEFAULTS.drainSeconds;
    const containers = spec.containers as ContainerInput[];
    const own = probedApp(containers[index] as AppInSpec);
    const container: ContainerInput = { ...own, ...sidecarHandlers(own, args.appPort, { interception: sidecar.interception, adminPort: sidecar.proxy.adminPort, drainSeconds }) };
    const { containers: _containers, initContainers, volumes, securityContext, terminationGracePeriodSeconds, imagePullSecrets, ...fields } = spec;
    const pullSecrets =
        refs.pullSecretName === undefined
            ? imagePullSecrets
            : pulumi.all([pulumi.output(imagePullSecrets), refs.pullSecretName]).apply(([given, ours]) => (ours === undefined ? given : [...(given ?? []), { name: ours }]));
    const rendered = sidecarPodSpec(
        sidecar,
        refs,
        { container, port: args.appPort, drainSeconds, preStopSeconds: preStopSleepSeconds(own.lifecycle) },
        {
            fields: pullSecrets === undefined ? fields : { ...fields, imagePullSecrets: pullSecrets },
            securityContext: securityContext as pulumi.Input<k8s.types.input.core.v1.PodSecurityContext> | undefined,
            volumes: (volumes ?? []) as k8s.types.input.core.v1.Volume[],
        },
    );
    const inits = [...((initContainers ?? []) as ContainerInput[]), ...((rendered.initContainers ?? []) as ContainerInput[])];
    const grace = rendered.terminationGracePeriodSeconds as number;
    return {
        ...rendered,
        initContainers: inits.length > 0 ? inits : undefined,
        containers: [...containers.slice(0, index), ...(rendered.containers as ContainerInput[]), ...containers.slice(index + 1)],
        // Yours when longer: the app may need more time to exit than the sidecar's drain and shutdown.
        terminationGracePeriodSeconds: isKnown(terminationGracePeriodSeconds) && typeof terminationGracePeriodSeconds === "number" ? Math.max(grace, terminationGracePeriodSeconds) : grace,
    };
}
