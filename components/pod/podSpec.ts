import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClientAuth, InterceptionMode, RedirectMode, UpstreamProtocol } from "../enums";

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
export interface ContainerResources {
    cpuRequest?: pulumi.Input<string>;
    memoryRequest?: pulumi.Input<string>;
    cpuLimit?: pulumi.Input<string>;
    memoryLimit?: pulumi.Input<string>;
}

/** @deprecated Renamed `ContainerResources`: every SDK adds its own `Args` (Python `ContainerResourcesArgs`). Kept for existing TypeScript programs. */
export type ResourcesArgs = ContainerResources;

/**
 * Defaults near seed 000's sidecar (10m CPU / 20Mi). The proxy gets a memory limit but no CPU limit:
 * CFS throttling of a proxy adds latency to every request of the app behind it.
 */
export const DEFAULT_PROXY_RESOURCES: ContainerResources = { cpuRequest: "10m", memoryRequest: "20Mi", memoryLimit: "64Mi" };
export const DEFAULT_INIT_RESOURCES: ContainerResources = { cpuRequest: "10m", memoryRequest: "10Mi", cpuLimit: "100m", memoryLimit: "32Mi" };

export function resourceRequirements(r: ContainerResources): k8s.types.input.core.v1.ResourceRequirements {
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
    upstreamProtocol: UpstreamProtocol;
    proxyResources: ContainerResources;
    shutdownTimeoutSeconds: number;
    /** Seconds a deleted pod keeps serving, drained through the app's preStop hook (`--drain-delay`); 0 for none. */
    drainSeconds: number;
    initImage: pulumi.Input<string>;
    redirectMode: RedirectMode;
    excludePorts: pulumi.Input<number>[];
    initResources: ContainerResources;
    interception: InterceptionMode;
    nativeSidecar: boolean;
    secretName: pulumi.Input<string>;
    podSecurityContext?: pulumi.Input<k8s.types.input.core.v1.PodSecurityContext>;
    /** The app's volumes, beside the proxy's Secret. */
    appVolumes: k8s.types.input.core.v1.Volume[];
    /** The pod's own fields: service account, image pull secrets, scheduling (see podOptions.ts). */
    podFields: Partial<PodSpecInput>;
    /** Seconds of the app's own preStop sleep (only with no drain), which the grace period must cover too. */
    preStopSeconds: number;
}

export const RESTRICTED: k8s.types.input.core.v1.SecurityContext = {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};

/** Seconds kubelet waits, beyond the drain and the proxy's shutdown timeout, before SIGKILL: the app's own exit. */
export const GRACE_MARGIN_SECONDS = 5;

/**
 * The `preStop` hook that drains the proxy before the app is stopped: kubelet calls the proxy's `GET /drain` on its
 * admin port, which answers every request with `Connection: close` from then on and returns after `--drain-delay`
 * (`seconds`); only then does the app get SIGTERM. Meanwhile the endpoint leaves kube-proxy's rules and keep-alive
 * clients move to other pods, so nothing meets a stopped app. Measured on a real node (test/e2e/rollouts.e2e.test.ts):
 * a `sleep` hook keeps new connections whole but a keep-alive client pinned to the pod still gets 502 after the app
 * exits, because a native sidecar hears of the pod's end only then. `httpGet` needs nothing in the app's image and
 * works on every Kubernetes version (`sleep` needs 1.30). Undefined for 0.
 */
export function preStopDrain(seconds: number, adminPort: pulumi.Input<number>): k8s.types.input.core.v1.Lifecycle | undefined {
    return seconds > 0 ? { preStop: { httpGet: { path: "/drain", port: adminPort, scheme: "HTTPS" } } } : undefined;
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
        pulumi.output(`--drain-delay=${p.drainSeconds}s`),
        // only when not the proxy's default: the pods of stacks that never set it keep their args (no roll)
        ...(p.upstreamProtocol === UpstreamProtocol.Http1 ? [] : [pulumi.output(`--upstream-protocol=${p.upstreamProtocol}`)]),
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
        // gets SIGTERM together with the app, so it runs the same drain first (the second call of /drain returns
        // when the first one's delay is spent).
        ...(p.nativeSidecar ? { restartPolicy: "Always" } : { lifecycle: preStopDrain(p.drainSeconds, p.adminPort) }),
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
        ...p.podFields,
        initContainers: inits.length > 0 ? inits : undefined,
        containers: p.nativeSidecar ? [p.app] : [p.app, proxy],
        securityContext: p.podSecurityContext,
        volumes: [
            {
                name: TLS_VOLUME,
                // All keys, no `items`: an existing Secret may lack `ca.crt`, and the proxy treats it as optional.
                secret: { secretName: p.secretName, optional: false },
            },
            ...p.appVolumes,
        ],
        // The drain (or the app's own preStop sleep), then the proxy's shutdown timeout for what is in flight (a native
        // sidecar only once the app has exited); kubelet must wait a little longer than both before SIGKILL.
        terminationGracePeriodSeconds: p.drainSeconds + p.preStopSeconds + p.shutdownTimeoutSeconds + GRACE_MARGIN_SECONDS,
    };
}
