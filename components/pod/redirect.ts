// The init container that redirects the app's port to the proxy (iptables interception only): its arguments, their
// defaults, its flags, its container, and the checks of its arguments at the foot.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checked, checkEnum, checkPort, isKnown, Problems } from "../validation";
import { checkResources, ContainerResources, resourceRequirements, RESTRICTED, withDefaultResources } from "./containers";

/** Which iptables back end the init container writes its rules with. */
export enum RedirectMode {
    /** Legacy when the pod's network namespace already has legacy rules, nft otherwise (as Istio and Linkerd choose). */
    Auto = "auto",
    Nft = "nft",
    Legacy = "legacy",
}

/** The init container that redirects the app port to the proxy (iptables interception only). */
export interface Redirect {
    /** Default auto. */
    mode?: RedirectMode;
    /** Ports never redirected. */
    excludePorts?: pulumi.Input<number>[];
    resources?: ContainerResources;
}

/** @deprecated Renamed `Redirect`: every SDK adds its own `Args` (Python `RedirectArgs`). Kept for existing TypeScript programs. */
export type RedirectArgs = Redirect;

export const INIT_CONTAINER = "tls-init";
export const DEFAULT_INIT_RESOURCES: ContainerResources = { cpuRequest: "10m", memoryRequest: "10Mi", cpuLimit: "100m", memoryLimit: "32Mi" };

/** The redirect's arguments with their defaults applied. */
export interface ResolvedRedirect {
    mode: RedirectMode;
    excludePorts: pulumi.Input<number>[];
    resources: ContainerResources;
}

export function resolveRedirect(given: Redirect | undefined): ResolvedRedirect {
    return {
        mode: given?.mode ?? RedirectMode.Auto,
        excludePorts: given?.excludePorts ?? [],
        resources: withDefaultResources(DEFAULT_INIT_RESOURCES, given?.resources),
    };
}

/** The ports the rules send from and to. */
export interface RedirectPorts {
    appPort: pulumi.Input<number>;
    proxyPort: pulumi.Input<number>;
}

/**
 * Capabilities the init container adds (measured, see images/init/README.md): NET_ADMIN writes rules; legacy
 * x_tables also opens a raw socket (NET_RAW). `auto` may pick legacy, so it gets both; `nft` is the least privilege.
 */
export function initCapabilities(mode: RedirectMode): string[] {
    return mode === RedirectMode.Nft ? ["NET_ADMIN"] : ["NET_ADMIN", "NET_RAW"];
}

export function redirectFlags(redirect: ResolvedRedirect, ports: RedirectPorts): pulumi.Output<string>[] {
    const flags = [pulumi.interpolate`--app-port=${ports.appPort}`, pulumi.interpolate`--proxy-port=${ports.proxyPort}`, pulumi.output(`--mode=${redirect.mode}`)];
    if (redirect.excludePorts.length > 0) {
        flags.push(pulumi.all(redirect.excludePorts).apply((excluded) => `--exclude-ports=${excluded.join(",")}`));
    }
    return flags;
}

export function redirectContainer(redirect: ResolvedRedirect, image: pulumi.Input<string>, ports: RedirectPorts): k8s.types.input.core.v1.Container {
    return {
        name: INIT_CONTAINER,
        image,
        args: redirectFlags(redirect, ports),
        securityContext: {
            ...RESTRICTED,
            // Rules are written as root in the pod's network namespace only; no other privilege.
            runAsNonRoot: false,
            runAsUser: 0,
            capabilities: { add: initCapabilities(redirect.mode), drop: ["ALL"] },
        },
        resources: resourceRequirements(redirect.resources),
    };
}

/** `redirect`: its mode, its resources, and excluded ports that are ports, and not the app's. */
export function checkRedirectArgs(redirect: Redirect | undefined, appPort: pulumi.Input<number>, problems: Problems): void {
    if (redirect?.mode !== undefined) problems.check(() => checkEnum("redirect.mode", redirect.mode, RedirectMode));
    (redirect?.excludePorts ?? []).forEach((p, i) => {
        const path = `redirect.excludePorts[${i}]`;
        if (problems.check(() => checked(p, (v) => checkPort(path, v))) && isKnown(p) && isKnown(appPort) && p === appPort) {
            problems.add({ path, value: p, allowed: `a port other than app.port (${p}): excluding the app port would leave the app reachable in plaintext` });
        }
    });
    problems.check(() => checkResources("redirect.resources", redirect?.resources));
}
