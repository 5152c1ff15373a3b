// From the sidecar's arguments to podSpec()'s parts: the one place where the proxy's and the redirect's defaults are
// applied, so that SidecarWorkload's pods and a pod spec of your own given the sidecar by withTlsSidecar() are alike.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { WORKLOAD_DEFAULTS } from "../defaults";
import { ClientAuth, InterceptionMode, RedirectMode, UpstreamProtocol } from "../enums";
import { DEFAULT_INIT_RESOURCES, DEFAULT_PROXY_RESOURCES, PodSpecParts, ContainerResources } from "./podSpec";

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

/** Each field given overrides its default; fields left undefined keep it. */
function withDefaults(defaults: ContainerResources, given: ContainerResources | undefined): ContainerResources {
    const set = Object.entries(given ?? {}).filter(([, v]) => v !== undefined);
    return { ...defaults, ...Object.fromEntries(set) };
}

/** The sidecar's own ports, defaults applied. */
export function sidecarPorts(proxy: TlsProxy | undefined): { proxyPort: pulumi.Input<number>; adminPort: pulumi.Input<number> } {
    return { proxyPort: proxy?.port ?? WORKLOAD_DEFAULTS.proxyPort, adminPort: proxy?.adminPort ?? WORKLOAD_DEFAULTS.adminPort };
}

/** What a pod needs for the sidecar, beside the app container (already rendered) and the pod's own fields. */
export interface SidecarPodInputs {
    app: k8s.types.input.core.v1.Container;
    appPort: pulumi.Input<number>;
    proxy?: TlsProxy;
    redirect?: Redirect;
    interception: InterceptionMode;
    nativeSidecar?: boolean;
    drainSeconds: number;
    proxyImage: pulumi.Input<string>;
    initImage: pulumi.Input<string>;
    secretName: pulumi.Input<string>;
    podSecurityContext?: pulumi.Input<k8s.types.input.core.v1.PodSecurityContext>;
    appVolumes: k8s.types.input.core.v1.Volume[];
    podFields: Partial<k8s.types.input.core.v1.PodSpec>;
    preStopSeconds: number;
}

export function sidecarPodParts(i: SidecarPodInputs): PodSpecParts {
    return {
        ...sidecarPorts(i.proxy),
        app: i.app,
        appPort: i.appPort,
        proxyImage: i.proxyImage,
        clientAuth: i.proxy?.clientAuth ?? ClientAuth.None,
        upstreamProtocol: i.proxy?.upstreamProtocol ?? UpstreamProtocol.Http1,
        proxyResources: withDefaults(DEFAULT_PROXY_RESOURCES, i.proxy?.resources),
        shutdownTimeoutSeconds: i.proxy?.shutdownTimeoutSeconds ?? WORKLOAD_DEFAULTS.shutdownTimeoutSeconds,
        drainSeconds: i.drainSeconds,
        initImage: i.initImage,
        redirectMode: i.redirect?.mode ?? RedirectMode.Auto,
        excludePorts: i.redirect?.excludePorts ?? [],
        initResources: withDefaults(DEFAULT_INIT_RESOURCES, i.redirect?.resources),
        interception: i.interception,
        nativeSidecar: i.nativeSidecar ?? true,
        secretName: i.secretName,
        podSecurityContext: i.podSecurityContext,
        appVolumes: i.appVolumes,
        podFields: i.podFields,
        preStopSeconds: i.preStopSeconds,
    };
}
