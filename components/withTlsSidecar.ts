// Adopting the sidecar in a program that already defines its Deployment: withTlsSidecar() takes your pod spec and
// returns it with what TlsSidecarApp's pods have (the redirect init container, the proxy as a native sidecar, its
// Secret volume, the app's probes rewritten and the drain as its preStop hook, the grace period), built by the same
// functions, so both render the same pod for the same inputs. Your other containers and fields are kept.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkPorts, checkRedirect, checkSidecarChoices } from "./appValidation";
import { sidecarHandlers } from "./appContainer";
import { WORKLOAD_DEFAULTS } from "./defaults";
import { InterceptionMode } from "./enums";
import { INIT_CONTAINER, podSpec, PROXY_CONTAINER } from "./pod/podSpec";
import { preStopSleepSeconds } from "./pod/probes";
import { TlsProxy, Redirect, sidecarPodParts, sidecarPorts } from "./pod/sidecarPod";
import { RESERVED_VOLUME_PREFIX } from "./pod/volumes";
import { checkIntegerRange, checkResources, collectLateChecks, ConfigError, ConfigProblem, isKnown, Problems, renamingLateChecks } from "./validation";
import { validateWorkloadParts } from "./workloadValidation";
import { afterLateChecks } from "./lateChecks";

type ContainerInput = k8s.types.input.core.v1.Container;
type PodSpecInput = k8s.types.input.core.v1.PodSpec;

/** What the pod needs from a `TlsSidecar` (or the same three from elsewhere). */
export interface TlsSidecarRefs {
    proxyImage: pulumi.Input<string>;
    initImage: pulumi.Input<string>;
    /** The `kubernetes.io/tls` Secret the proxy mounts. */
    secretName: pulumi.Input<string>;
    /** Added to the pod's imagePullSecrets when it has a value. */
    pullSecretName?: pulumi.Input<string | undefined>;
}

/** How the sidecar fits your pod: TlsSidecarApp's arguments of the same names, and which container is the app. */
export interface TlsSidecarPodArgs {
    /** Name of the app container in the pod spec. Default: the pod's only container. */
    container?: string;
    /** The port the app listens on in plain HTTP. */
    appPort: pulumi.Input<number>;
    /** Default iptables. */
    interception?: InterceptionMode;
    /** Default true (Kubernetes ≥ 1.29). */
    nativeSidecar?: boolean;
    /** As `app.drainSeconds`: the proxy's drain as the app's preStop hook. Default 5; 0 for none. */
    drainSeconds?: number;
    proxy?: TlsProxy;
    redirect?: Redirect;
}

/** A container port named `port` resolves to its number, so a probe at a named port is rewritten as one at a number. */
function resolvePort<T extends { port?: unknown }>(action: T | undefined, ports: ContainerInput["ports"]): T | undefined {
    if (action === undefined || typeof action.port !== "string" || !Array.isArray(ports)) {
        return action;
    }
    const named = (ports as { name?: unknown; containerPort?: unknown }[]).find((p) => p.name === action.port);
    return named === undefined ? action : { ...action, port: named.containerPort };
}

function withNumericPorts<T extends { httpGet?: { port?: unknown }; tcpSocket?: { port?: unknown } }>(h: T | undefined, ports: ContainerInput["ports"]): T | undefined {
    if (h === undefined) {
        return undefined;
    }
    const resolved = { ...h };
    if (h.httpGet !== undefined) resolved.httpGet = resolvePort(h.httpGet, ports);
    if (h.tcpSocket !== undefined) resolved.tcpSocket = resolvePort(h.tcpSocket, ports);
    return resolved;
}

/** The app container with its probes' and hooks' named ports resolved: what the checks and the rewrite read. */
function probedApp(c: any): any {
    const app = { ...c };
    for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
        if (c[probe] !== undefined) app[probe] = withNumericPorts(c[probe], c.ports);
    }
    if (c.lifecycle !== undefined) {
        app.lifecycle = { ...c.lifecycle };
        for (const hook of ["postStart", "preStop"]) {
            if (c.lifecycle[hook] !== undefined) app.lifecycle[hook] = withNumericPorts(c.lifecycle[hook], c.ports);
        }
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
    checkSidecarChoices(args, problems);
    if (args.drainSeconds !== undefined) problems.check(() => checkIntegerRange("drainSeconds", args.drainSeconds, 0, 300));
    problems.check(() => checkResources("proxy.resources", args.proxy?.resources));
    problems.check(() => checkResources("redirect.resources", args.redirect?.resources));
    // The app container's probes and hooks, and the ports, by the rules TlsSidecarApp's app has.
    const own = new Problems();
    const app = { image: "", port: args.appPort, drainSeconds: args.drainSeconds, ...(index < 0 ? {} : probedApp(containers[index])) };
    const parts = { app: { ...app, ports: undefined, envFrom: undefined, volumeMounts: undefined }, proxy: args.proxy, interception: args.interception };
    const at = `spec.containers[${index}]`;
    renamingLateChecks(() => {
        checkPorts(parts, own);
        checkRedirect({ app, redirect: args.redirect }, own);
        own.check(() => validateWorkloadParts(parts, undefined));
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
function renderedWithTlsSidecar(spec: PodSpecInput, sidecar: TlsSidecarRefs, args: TlsSidecarPodArgs, index: number): PodSpecInput {
    const interception = args.interception ?? InterceptionMode.Iptables;
    const drainSeconds = args.drainSeconds ?? WORKLOAD_DEFAULTS.drainSeconds;
    const containers = spec.containers as ContainerInput[];
    const own = probedApp(containers[index]);
    const app: ContainerInput = { ...own, ...sidecarHandlers(own, args.appPort, { interception, adminPort: sidecarPorts(args.proxy).adminPort, drainSeconds }) };
    const { containers: _containers, initContainers, volumes, securityContext, terminationGracePeriodSeconds, imagePullSecrets, ...fields } = spec;
    const pullSecrets =
        sidecar.pullSecretName === undefined
            ? imagePullSecrets
            : pulumi.all([pulumi.output(imagePullSecrets), sidecar.pullSecretName]).apply(([given, ours]) => (ours === undefined ? given : [...(given ?? []), { name: ours }]));
    const rendered = podSpec(
        sidecarPodParts({
            app,
            appPort: args.appPort,
            proxy: args.proxy,
            redirect: args.redirect,
            interception,
            nativeSidecar: args.nativeSidecar,
            drainSeconds,
            proxyImage: sidecar.proxyImage,
            initImage: sidecar.initImage,
            secretName: sidecar.secretName,
            podSecurityContext: securityContext as pulumi.Input<k8s.types.input.core.v1.PodSecurityContext> | undefined,
            appVolumes: (volumes ?? []) as k8s.types.input.core.v1.Volume[],
            podFields: pullSecrets === undefined ? fields : { ...fields, imagePullSecrets: pullSecrets },
            preStopSeconds: preStopSleepSeconds(own.lifecycle),
        }),
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
