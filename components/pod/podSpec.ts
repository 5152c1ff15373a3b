// The pod: the app unchanged, the proxy beside it, the redirect set up first (iptables interception), the TLS Secret
// volume and a grace period that covers the drain and the proxy's shutdown. Built from the sidecar's parts with their
// defaults applied, so that SidecarWorkload's pods and a pod spec of your own given the sidecar by withTlsSidecar()
// are alike.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { InterceptionMode } from "../enums";
import { checkEnum, Problems } from "../validation";
import { checkProxyArgs, proxyContainer, ResolvedProxy, resolveProxy, TLS_VOLUME, TlsProxy } from "./proxy";
import { checkRedirectArgs, Redirect, redirectContainer, ResolvedRedirect, resolveRedirect } from "./redirect";

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

/** The sidecar's arguments, as TlsSidecarApp, SidecarWorkload and withTlsSidecar() take them. */
export interface SidecarArgs {
    /** Default iptables. */
    interception?: InterceptionMode;
    /** Default true. */
    nativeSidecar?: boolean;
    proxy?: TlsProxy;
    redirect?: Redirect;
}

/** The sidecar with its defaults applied. */
export interface Sidecar {
    interception: InterceptionMode;
    nativeSidecar: boolean;
    proxy: ResolvedProxy;
    redirect: ResolvedRedirect;
}

export function resolveSidecar(args: SidecarArgs): Sidecar {
    return {
        interception: args.interception ?? InterceptionMode.Iptables,
        nativeSidecar: args.nativeSidecar ?? true,
        proxy: resolveProxy(args.proxy),
        redirect: resolveRedirect(args.redirect),
    };
}

/** The app in the pod: its container (already rendered) and what the pod's termination takes from it. */
export interface AppInPod {
    container: ContainerInput;
    port: pulumi.Input<number>;
    /** Seconds a deleted pod keeps serving, drained through the app's preStop hook; 0 for none. */
    drainSeconds: number;
    /** Seconds of the app's own preStop sleep (only with no drain), which the grace period must cover too. */
    preStopSeconds: number;
}

/** The pod around the containers. */
export interface PodAround {
    /** The pod's own fields: service account, image pull secrets, scheduling (see pod.ts). */
    fields: Partial<PodSpecInput>;
    securityContext?: pulumi.Input<k8s.types.input.core.v1.PodSecurityContext>;
    /** The app's volumes, beside the proxy's Secret. */
    volumes: k8s.types.input.core.v1.Volume[];
}

/** Seconds kubelet waits, beyond the drain and the proxy's shutdown timeout, before SIGKILL: the app's own exit. */
export const GRACE_MARGIN_SECONDS = 5;

export function sidecarPodSpec(sidecar: Sidecar, refs: TlsSidecarRefs, app: AppInPod, pod: PodAround): PodSpecInput {
    const proxy = proxyContainer(sidecar.proxy, { image: refs.proxyImage, appPort: app.port, drainSeconds: app.drainSeconds, nativeSidecar: sidecar.nativeSidecar });
    const inits: ContainerInput[] = sidecar.interception === InterceptionMode.Iptables ? [redirectContainer(sidecar.redirect, refs.initImage, { appPort: app.port, proxyPort: sidecar.proxy.port })] : [];
    if (sidecar.nativeSidecar) {
        inits.push(proxy);
    }
    return {
        ...pod.fields,
        initContainers: inits.length > 0 ? inits : undefined,
        containers: sidecar.nativeSidecar ? [app.container] : [app.container, proxy],
        securityContext: pod.securityContext,
        volumes: [
            {
                name: TLS_VOLUME,
                // All keys, no `items`: an existing Secret may lack `ca.crt`, and the proxy treats it as optional.
                secret: { secretName: refs.secretName, optional: false },
            },
            ...pod.volumes,
        ],
        // The drain (or the app's own preStop sleep), then the proxy's shutdown timeout for what is in flight (a native
        // sidecar only once the app has exited); kubelet must wait a little longer than both before SIGKILL.
        terminationGracePeriodSeconds: app.drainSeconds + app.preStopSeconds + sidecar.proxy.shutdownTimeoutSeconds + GRACE_MARGIN_SECONDS,
    };
}

/** The sidecar's choices and its two containers' arguments (the ports are checked with the pod's others, see ports.ts). */
export function checkSidecarArgs(args: SidecarArgs, appPort: pulumi.Input<number>, problems: Problems): void {
    if (args.interception !== undefined) problems.check(() => checkEnum("interception", args.interception, InterceptionMode));
    checkProxyArgs(args.proxy, problems);
    checkRedirectArgs(args.redirect, appPort, problems);
}
