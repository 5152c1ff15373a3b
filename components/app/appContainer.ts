// The app container, as its owner wrote it: image, port, environment, probes, hooks, mounts and extra ports, with
// what the component adds (the drain before SIGTERM, a profile's security context, probes rewritten for iptables
// interception) and, at the foot, its checks. Probes and hooks are in pod/probes.ts, volumes in pod/volumes.ts.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { InterceptionMode, PodSecurityProfile, PortProtocol } from "../enums";
import { checkResources, ContainerResources, resourceRequirements } from "../pod/containers";
import { NamedPort } from "../pod/ports";
import { checkProbesAndHooks, Lifecycle, Probe, ProbedApp, ProbeRules, ProbeTarget, renderLifecycle, renderProbe } from "../pod/probes";
import { preStopDrain } from "../pod/proxy";
import { appSecurityContext, ContainerSecurityContext } from "../pod/securityContext";
import { renderVolumeMounts, VolumeMount } from "../pod/volumes";
import { checked, checkEnum, checkIntegerRange, checkNonEmptyString, checkObjectName, checkPort, ConfigError, isKnown, Problems } from "../validation";

/** A port the app listens on besides `port`. It is not redirected: with iptables interception it stays plaintext. */
export interface ContainerPort {
    /** An IANA service name (at most 15 lower-case letters, digits and '-'), unique in the pod. A plain string. */
    name?: string;
    containerPort: pulumi.Input<number>;
    /** Default TCP. */
    protocol?: PortProtocol;
}

/** @deprecated Renamed `ContainerPort`: every SDK adds its own `Args` (Python `ContainerPortArgs`). Kept for existing TypeScript programs. */
export type ContainerPortArgs = ContainerPort;

/** A ConfigMap or Secret in the pod's namespace. */
export interface EnvSourceRef {
    name: pulumi.Input<string>;
    /** Start the container even when it does not exist. Default false. */
    optional?: boolean;
}

/** @deprecated Renamed `EnvSourceRef`: every SDK adds its own `Args` (Python `EnvSourceRefArgs`). Kept for existing TypeScript programs. */
export type EnvSourceRefArgs = EnvSourceRef;

/** Every key of a ConfigMap or a Secret as environment variables: exactly one of `configMapRef`, `secretRef`. */
export interface EnvFromSource {
    configMapRef?: EnvSourceRef;
    secretRef?: EnvSourceRef;
    /** Put before each variable's name, e.g. "DB_". */
    prefix?: pulumi.Input<string>;
}

/** @deprecated Renamed `EnvFromSource`: every SDK adds its own `Args` (Python `EnvFromSourceArgs`). Kept for existing TypeScript programs. */
export type EnvFromSourceArgs = EnvFromSource;

/** The app, deployed as it is: its image listens on `port` in plain HTTP. */
export interface AppContainer {
    image: pulumi.Input<string>;
    /** The port the app listens on. With iptables interception, inbound traffic to it is redirected to the proxy. */
    port: pulumi.Input<number>;
    /** Environment variables, passed unchanged. */
    env?: { [name: string]: pulumi.Input<string> };
    /** Environment variables from ConfigMaps and Secrets; `env` wins over them. */
    envFrom?: EnvFromSource[];
    resources?: ContainerResources;
    command?: pulumi.Input<string>[];
    args?: pulumi.Input<string>[];
    /** Ports besides `port` (metrics, a health port), declared on the container. Never redirected. */
    ports?: ContainerPort[];
    /**
     * With iptables interception an `httpGet` at `port` is sent as HTTPS (it reaches the proxy, which passes it on);
     * refused with `proxy.clientAuth: Require`, as is a `grpc` probe at `port`. See docs/reference.md, "Probes and hooks".
     */
    readinessProbe?: Probe;
    livenessProbe?: Probe;
    startupProbe?: Probe;
    /** `postStart`, and `preStop` only with `drainSeconds: 0` (the drain is the app's preStop hook). */
    lifecycle?: Lifecycle;
    /** Mounts of `pod.volumes` into the app container. */
    volumeMounts?: VolumeMount[];
    /**
     * Seconds a deleted pod keeps serving while the Service stops sending it requests and keep-alive clients move
     * to other pods: the app's `preStop` hook drains the proxy (`GET /drain`) for this long before the app gets
     * SIGTERM, so rollouts lose no request. 0: no hook. The pod takes this much longer to terminate. Default 5;
     * 0 to 300. A plain number: it sets the pod's grace period.
     */
    drainSeconds?: number;
    /** The app container's security context. Default: none (the image's own user), or what `podSecurity` requires. */
    securityContext?: ContainerSecurityContext;
}

/** @deprecated Renamed `AppContainer`: every SDK adds its own `Args` (Python `AppContainerArgs`). Kept for existing TypeScript programs. */
export type AppContainerArgs = AppContainer;

export const APP_DEFAULTS = { drainSeconds: 5 } as const;

/** Names of the pod's own ports: the app's `port` and the sidecars'. */
export const OWN_PORT_NAMES = ["http", "https", "proxy-admin", "tunnel-metrics"];

export interface AppContainerContext {
    profile: PodSecurityProfile;
    interception: InterceptionMode;
    adminPort: pulumi.Input<number>;
    drainSeconds: number;
}

/**
 * The app container's probes and hooks as the sidecar needs them: an `httpGet` at a redirected `appPort` as HTTPS,
 * and the drain as its `preStop` hook (see probes.ts).
 */
export function sidecarHandlers(app: ProbedApp, appPort: pulumi.Input<number>, ctx: Omit<AppContainerContext, "profile">): Pick<k8s.types.input.core.v1.Container, "readinessProbe" | "livenessProbe" | "startupProbe" | "lifecycle"> {
    const target: ProbeTarget = { appPort, redirected: ctx.interception === InterceptionMode.Iptables };
    return {
        readinessProbe: renderProbe(app.readinessProbe, target),
        livenessProbe: renderProbe(app.livenessProbe, target),
        startupProbe: renderProbe(app.startupProbe, target),
        lifecycle: renderLifecycle(app.lifecycle, preStopDrain(ctx.drainSeconds, ctx.adminPort), target),
    };
}

export function appContainer(app: AppContainer, ctx: AppContainerContext): k8s.types.input.core.v1.Container {
    const extra = (app.ports ?? []).map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol ?? PortProtocol.Tcp }));
    return {
        name: "app",
        image: app.image,
        command: app.command,
        args: app.args,
        env: app.env === undefined ? undefined : Object.entries(app.env).map(([envName, value]) => ({ name: envName, value })),
        envFrom: app.envFrom === undefined || app.envFrom.length === 0 ? undefined : app.envFrom,
        ports: [{ name: "http", containerPort: app.port, protocol: PortProtocol.Tcp }, ...extra],
        resources: app.resources === undefined ? undefined : resourceRequirements(app.resources),
        ...sidecarHandlers(app, app.port, ctx),
        volumeMounts: renderVolumeMounts(app.volumeMounts),
        securityContext: appSecurityContext(ctx.profile, app.securityContext),
    };
}

/**
 * The app: its image, drain, probes and hooks (by the `rules` of the interception and the proxy), its other ports
 * (clear of the pod's own, `taken`), its env sources and resources. Its mounts are checked with `pod.volumes`.
 */
export function checkAppContainer(app: AppContainer, rules: ProbeRules, taken: NamedPort[], problems: Problems): void {
    problems.check(() => checked(app.image, (v) => checkNonEmptyString("app.image", v)));
    if (app.drainSeconds !== undefined) {
        const why = " (seconds a deleted pod keeps serving while clients move to other pods; 0 for no preStop drain)";
        problems.check(() => checkIntegerRange("app.drainSeconds", app.drainSeconds, 0, 300, why));
    }
    checkProbesAndHooks(app, rules, problems);
    checkAppPorts(app.ports, taken, problems);
    checkEnvFrom(app.envFrom, problems);
    problems.check(() => checkResources("app.resources", app.resources));
}

/** An IANA service name, as Kubernetes requires of port names. */
function isPortName(name: unknown): boolean {
    return typeof name === "string" && name.length <= 15 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) && /[a-z]/.test(name) && !name.includes("--");
}

const ENV_PREFIX = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** `app.ports`: each valid, named uniquely, and clear of the pod's own ports (`taken`, by argument path). */
export function checkAppPorts(ports: ContainerPort[] | undefined, taken: [string, pulumi.Input<number>][], problems: Problems): void {
    const names: string[] = [];
    const seen: [string, unknown, PortProtocol][] = [];
    (ports ?? []).forEach((p, i) => {
        const at = `app.ports[${i}]`;
        const protocol = p.protocol ?? PortProtocol.Tcp;
        if (p.protocol !== undefined) problems.check(() => checkEnum(`${at}.protocol`, p.protocol, PortProtocol));
        if (p.name !== undefined) {
            if (!isPortName(p.name)) {
                problems.add({ path: `${at}.name`, value: p.name, allowed: "an IANA service name: at most 15 lower-case letters, digits and '-', with a letter, no '--', not starting or ending with '-'" });
            } else if (OWN_PORT_NAMES.includes(p.name) || names.includes(p.name)) {
                problems.add({ path: `${at}.name`, value: p.name, allowed: `a name no other port of the pod has (${[...OWN_PORT_NAMES, ...names].join(", ")} are taken)` });
            }
            names.push(p.name);
        }
        if (!problems.check(() => checked(p.containerPort, (v) => checkPort(`${at}.containerPort`, v))) || !isKnown(p.containerPort)) {
            return;
        }
        const own = protocol === PortProtocol.Tcp ? taken.find(([, port]) => isKnown(port) && port === p.containerPort) : undefined;
        const again = seen.find(([, port, proto]) => port === p.containerPort && proto === protocol);
        if (own !== undefined || again !== undefined) {
            const [other, port] = own ?? again!;
            problems.add({ path: `${at}.containerPort`, value: p.containerPort, allowed: `a port other than ${other} (${port}): each port of the pod needs its own` });
        }
        seen.push([at, p.containerPort, protocol]);
    });
}

/** `app.envFrom`: each one ConfigMap or Secret, by a valid name, with a valid prefix. */
export function checkEnvFrom(sources: EnvFromSource[] | undefined, problems: Problems): void {
    (sources ?? []).forEach((s, i) => {
        const at = `app.envFrom[${i}]`;
        const given = (["configMapRef", "secretRef"] as const).filter((k) => s[k] !== undefined);
        if (given.length !== 1) {
            problems.add({ path: at, value: given, allowed: "exactly one of configMapRef, secretRef" });
        }
        for (const key of given) {
            problems.check(() => checked(s[key]!.name, (v) => checkObjectName(`${at}.${key}.name`, v)));
        }
        if (s.prefix !== undefined) {
            problems.check(() => checked(s.prefix!, (v) => (typeof v === "string" && ENV_PREFIX.test(v) ? undefined : fail(`${at}.prefix`, v))));
        }
    });
}

function fail(path: string, value: unknown): never {
    throw new ConfigError(path, value, "the start of an environment variable name: letters, digits, '_', '-' and '.', not starting with a digit");
}
