import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClientAuth, InterceptionMode, RedirectMode } from "./enums";

type ContainerInput = k8s.types.input.core.v1.Container;
type PodSpecInput = k8s.types.input.core.v1.PodSpec;

/** Where the proxy reads `tls.crt`, `tls.key` and `ca.crt`: the proxy's default `--tls-dir`. */
export const TLS_MOUNT_PATH = "/etc/sidecar/tls";
/** Name of the Secret volume in the pod; prefixed so it cannot clash with the app's own volumes. */
export const TLS_VOLUME = "tls-sidecar-certs";
export const PROXY_CONTAINER = "tls-proxy";
export const INIT_CONTAINER = "tls-init";
/** UID/GID the proxy runs as (the image's own non-root user). */
export const PROXY_UID = 65532;

/** CPU and memory for one container, as Kubernetes quantities. Unset fields are left out. */
export interface ResourcesArgs {
    cpuRequest?: pulumi.Input<string>;
    memoryRequest?: pulumi.Input<string>;
    cpuLimit?: pulumi.Input<string>;
    memoryLimit?: pulumi.Input<string>;
}

/**
 * Defaults near seed 000's sidecar (10m CPU / 20Mi). The proxy gets a memory limit but no CPU limit:
 * CFS throttling of a proxy adds latency to every request of the app behind it.
 */
export const DEFAULT_PROXY_RESOURCES: ResourcesArgs = { cpuRequest: "10m", memoryRequest: "20Mi", memoryLimit: "64Mi" };
export const DEFAULT_INIT_RESOURCES: ResourcesArgs = { cpuRequest: "10m", memoryRequest: "10Mi", cpuLimit: "100m", memoryLimit: "32Mi" };

export function resourceRequirements(r: ResourcesArgs): k8s.types.input.core.v1.ResourceRequirements {
    const pick = (cpu?: pulumi.Input<string>, memory?: pulumi.Input<string>) => {
        const out: Record<string, pulumi.Input<string>> = {};
        if (cpu !== undefined) out.cpu = cpu;
        if (memory !== undefined) out.memory = memory;
        return Object.keys(out).length > 0 ? out : undefined;
    };
    return { requests: pick(r.cpuRequest, r.memoryRequest), limits: pick(r.cpuLimit, r.memoryLimit) };
}

/**
 * Capabilities the init container adds (measured, see images/init/README.md): NET_ADMIN writes rules; legacy
 * x_tables also opens a raw socket (NET_RAW). `auto` may pick legacy, so it gets both; `nft` is the least privilege.
 */
export function initCapabilities(mode: RedirectMode): string[] {
    return mode === RedirectMode.Nft ? ["NET_ADMIN"] : ["NET_ADMIN", "NET_RAW"];
}

export interface PodSpecParts {
    app: ContainerInput;
    appPort: pulumi.Input<number>;
    proxyImage: pulumi.Input<string>;
    proxyPort: pulumi.Input<number>;
    adminPort: pulumi.Input<number>;
    clientAuth: ClientAuth;
    proxyResources: ResourcesArgs;
    shutdownTimeoutSeconds: number;
    /** Seconds the app (and a proxy that is not a native sidecar) keeps running after the pod is deleted; 0 for none. */
    preStopSleepSeconds: number;
    initImage: pulumi.Input<string>;
    redirectMode: RedirectMode;
    excludePorts: pulumi.Input<number>[];
    initResources: ResourcesArgs;
    interception: InterceptionMode;
    nativeSidecar: boolean;
    secretName: pulumi.Input<string>;
    podSecurityContext?: k8s.types.input.core.v1.PodSecurityContext;
}

export const RESTRICTED: k8s.types.input.core.v1.SecurityContext = {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};

/** Seconds kubelet waits, beyond the preStop sleep and the proxy's shutdown timeout, before SIGKILL: the proxy's drain delay (3 s) and the app's own exit. */
export const GRACE_MARGIN_SECONDS = 5;

/**
 * A `preStop` sleep: the container keeps serving while kube-proxy and the endpoints controllers take the pod out of
 * the Service, so requests still routed to it do not meet a closed port. `sleep`, not `exec`: the proxy image is
 * FROM scratch and has no shell or sleep binary. Undefined for 0.
 */
export function preStopSleep(seconds: number): k8s.types.input.core.v1.Lifecycle | undefined {
    return seconds > 0 ? { preStop: { sleep: { seconds } } } : undefined;
}

export function proxyArgs(p: PodSpecParts): pulumi.Output<string>[] {
    return [
        pulumi.interpolate`--listen=:${p.proxyPort}`,
        // Loopback: OUTPUT on lo is never redirected, so the proxy reaches the app itself.
        pulumi.interpolate`--upstream=http://127.0.0.1:${p.appPort}`,
        pulumi.output(`--tls-dir=${TLS_MOUNT_PATH}`),
        pulumi.interpolate`--admin-listen=:${p.adminPort}`,
        pulumi.output(`--client-auth=${p.clientAuth}`),
        pulumi.output(`--shutdown-timeout=${p.shutdownTimeoutSeconds}s`),
    ];
}

export function proxyContainer(p: PodSpecParts): ContainerInput {
    const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
        httpGet: { path, port: p.adminPort, scheme: "HTTPS" },
        periodSeconds,
        failureThreshold,
        timeoutSeconds: 2,
    });
    return {
        name: PROXY_CONTAINER,
        image: p.proxyImage,
        args: proxyArgs(p),
        ports: [
            { name: "https", containerPort: p.proxyPort, protocol: "TCP" },
            { name: "proxy-admin", containerPort: p.adminPort, protocol: "TCP" },
        ],
        volumeMounts: [{ name: TLS_VOLUME, mountPath: TLS_MOUNT_PATH, readOnly: true }],
        securityContext: { ...RESTRICTED, runAsNonRoot: true, runAsUser: PROXY_UID, runAsGroup: PROXY_UID },
        resources: resourceRequirements(p.proxyResources),
        startupProbe: probe("/healthz", 1, 30),
        livenessProbe: probe("/healthz", 10, 3),
        readinessProbe: probe("/readyz", 5, 2),
        // A native sidecar: started before the app, stopped after it, and restarted on its own. A regular container
        // gets SIGTERM together with the app, so it waits out the app's preStop sleep too.
        ...(p.nativeSidecar ? { restartPolicy: "Always" } : { lifecycle: preStopSleep(p.preStopSleepSeconds) }),
    };
}

export function initArgs(p: PodSpecParts): pulumi.Output<string>[] {
    const args = [pulumi.interpolate`--app-port=${p.appPort}`, pulumi.interpolate`--proxy-port=${p.proxyPort}`, pulumi.output(`--mode=${p.redirectMode}`)];
    if (p.excludePorts.length > 0) {
        args.push(pulumi.all(p.excludePorts).apply((ports) => `--exclude-ports=${ports.join(",")}`));
    }
    return args;
}

export function initContainer(p: PodSpecParts): ContainerInput {
    return {
        name: INIT_CONTAINER,
        image: p.initImage,
        args: initArgs(p),
        securityContext: {
            ...RESTRICTED,
            // Rules are written as root in the pod's network namespace only; no other privilege.
            runAsNonRoot: false,
            runAsUser: 0,
            capabilities: { add: initCapabilities(p.redirectMode), drop: ["ALL"] },
        },
        resources: resourceRequirements(p.initResources),
    };
}

/** The pod: the app unchanged, the proxy beside it, and (iptables interception) the redirect set up first. */
export function podSpec(p: PodSpecParts): PodSpecInput {
    const proxy = proxyContainer(p);
    const inits: ContainerInput[] = p.interception === InterceptionMode.Iptables ? [initContainer(p)] : [];
    if (p.nativeSidecar) {
        inits.push(proxy);
    }
    return {
        initContainers: inits.length > 0 ? inits : undefined,
        containers: p.nativeSidecar ? [p.app] : [p.app, proxy],
        securityContext: p.podSecurityContext,
        volumes: [
            {
                name: TLS_VOLUME,
                // All keys, no `items`: an existing Secret may lack `ca.crt`, and the proxy treats it as optional.
                secret: { secretName: p.secretName, optional: false },
            },
        ],
        // The app sleeps out its preStop hook, then the proxy drains within its shutdown timeout (a native sidecar
        // only once the app has exited); kubelet must wait a little longer than both before SIGKILL.
        terminationGracePeriodSeconds: p.preStopSleepSeconds + p.shutdownTimeoutSeconds + GRACE_MARGIN_SECONDS,
    };
}
