// The pods running the app with the TLS proxy beside it (a Deployment, or a bare Pod), and what fronts them: the
// Service and, opt-in, a NetworkPolicy. Its arguments are checked at the foot, before anything is registered.
import * as pulumi from "@pulumi/pulumi";
import { APP_DEFAULTS, AppContainer, appContainer, checkAppContainer } from "./app";
import { InterceptionMode, PodSecurityProfile, ServiceType, WorkloadKind } from "./enums";
import { withLateChecks } from "./lateChecks";
import {
    checkOwnPorts,
    checkPodArgs,
    checkSidecarArgs,
    checkVolumes,
    ownPorts,
    Pod,
    podFields,
    PodSecurityContext,
    podSecurityContext,
    preStopSleepSeconds,
    Redirect,
    renderVolumes,
    resolveSidecar,
    selectorLabels,
    sidecarPodSpec,
    TLS_MOUNT_PATH,
    TLS_VOLUME,
    TlsProxy,
    validatePodSecurity,
    withUserLabels,
} from "./pod";
import { ORIGIN_CA_DIR, ORIGIN_CA_VOLUME, TunnelContainerParts, withTunnel } from "./tunnel";
import { checkBoolean, checked, checkEnum, checkPositiveInteger, ConfigError, isKnown, Problems } from "./validation";
import {
    checkNetworkPolicyArgs,
    checkServiceArgs,
    checkWorkloadArgs,
    NetworkPolicy,
    Service,
    serviceTypeOf,
    sidecarNetworkPolicy,
    sidecarPods,
    sidecarService,
    Workload,
    WORKLOAD_DEFAULTS,
} from "./workload";

export interface SidecarWorkloadArgs {
    namespace: pulumi.Input<string>;
    /** Name of the Service; also the `app.kubernetes.io/name` label. */
    serviceName: pulumi.Input<string>;
    app: AppContainer;
    proxy?: TlsProxy;
    redirect?: Redirect;
    /** Default NodePort (ClusterIP with a tunnel). */
    service?: Service;
    proxyImage: pulumi.Input<string>;
    initImage: pulumi.Input<string>;
    /** The `kubernetes.io/tls` Secret the proxy mounts. */
    secretName: pulumi.Input<string>;
    /** Default iptables. */
    interception?: InterceptionMode;
    /** Default Deployment. */
    kind?: WorkloadKind;
    /** Deployment replicas. Default 1. */
    replicas?: pulumi.Input<number>;
    /** Run the proxy as a native sidecar (an init container with restartPolicy Always, Kubernetes ≥ 1.29). Default true. */
    nativeSidecar?: boolean;
    /** Add this cloudflared container (see `CloudflareTunnelSidecar`). */
    tunnel?: TunnelContainerParts;
    /** The Pod Security level every container must pass. Default `PodSecurityProfile.None`. */
    podSecurity?: PodSecurityProfile;
    /** The pod's security context. Default: none, or what `podSecurity` requires. */
    podSecurityContext?: PodSecurityContext;
    /** The pod: service account, image pull secrets, labels, annotations, scheduling, the app's volumes. */
    pod?: Pod;
    /** The Deployment (or bare Pod): its labels and annotations, rollout, PodDisruptionBudget. */
    workload?: Workload;
    /** A NetworkPolicy letting in only the TLS and admin ports (see networkPolicy.ts). Default: none. */
    networkPolicy?: NetworkPolicy;
}

/** The pods (a Deployment, or a bare Pod) running the app with the proxy beside it, and the Service (see workload/service.ts). */
export class SidecarWorkload extends pulumi.ComponentResource {
    readonly serviceName: pulumi.Output<string>;
    readonly nodePort: pulumi.Output<number>;
    /** A LoadBalancer Service's ingress hostname or IP, once it has one; else undefined. */
    readonly loadBalancerAddress: pulumi.Output<string | undefined>;
    readonly workloadName: pulumi.Output<string>;
    /** With `networkPolicy`: the NetworkPolicy's name (else undefined). */
    readonly networkPolicyName: pulumi.Output<string | undefined>;

    constructor(name: string, args: SidecarWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
        // A pod the API server (or its namespace's Pod Security level) would reject is refused before anything is registered.
        super("tls-sidecar:index:SidecarWorkload", name, {}, withLateChecks(() => validateSidecarWorkloadArgs(args), opts));

        const sidecar = resolveSidecar(args);
        const appPort = args.app.port;
        const { port: proxyPort, adminPort } = sidecar.proxy;
        const drainSeconds = args.app.drainSeconds ?? APP_DEFAULTS.drainSeconds;
        const profile = args.podSecurity ?? PodSecurityProfile.None;
        const selector = selectorLabels(args.serviceName, name);
        const labels = withUserLabels(selector);

        const app = { container: appContainer(args.app, { profile, interception: sidecar.interception, adminPort, drainSeconds }), port: appPort, drainSeconds, preStopSeconds: preStopSleepSeconds(args.app.lifecycle) };
        const around = { fields: podFields(args.pod, selector), securityContext: podSecurityContext(profile, args.podSecurityContext), volumes: renderVolumes(args.pod?.volumes) };
        const spec = sidecarPodSpec(sidecar, args, app, around);
        const pods = {
            namespace: args.namespace,
            kind: args.kind ?? WORKLOAD_DEFAULTS.kind,
            replicas: args.replicas ?? WORKLOAD_DEFAULTS.replicas,
            selector,
            spec: args.tunnel === undefined ? spec : withTunnel(spec, args.tunnel),
            podLabels: args.pod?.labels,
            podAnnotations: args.pod?.annotations,
        };
        this.workloadName = sidecarPods(name, pods, args.workload, this);

        const policy =
            args.networkPolicy === undefined
                ? undefined
                : sidecarNetworkPolicy(name, args.namespace, labels, selector, args.networkPolicy, { appPort, proxyPort, adminPort, interception: sidecar.interception }, { parent: this });
        this.networkPolicyName = policy?.metadata.name ?? pulumi.output(undefined);

        const serviceType = serviceTypeOf(args.service, args.tunnel !== undefined);
        const none = pulumi.output(undefined);
        const service =
            serviceType === ServiceType.None
                ? undefined
                : sidecarService(
                      name,
                      {
                          namespace: args.namespace,
                          serviceName: args.serviceName,
                          service: { ...args.service, type: serviceType },
                          selector,
                          labels,
                          // iptables: the app port, redirected to the proxy inside the pod. service: the proxy itself.
                          targetPort: sidecar.interception === InterceptionMode.Iptables ? appPort : proxyPort,
                      },
                      { parent: this },
                  );
        // Without a Service (a tunnel is the only way in) these are undefined, typed as always present for compatibility.
        this.serviceName = (service?.serviceName ?? none) as pulumi.Output<string>;
        // Undefined unless NodePort or LoadBalancer (typed as a number for compatibility).
        this.nodePort = (service?.nodePort ?? none) as pulumi.Output<number>;
        this.loadBalancerAddress = service?.loadBalancerAddress ?? none;
        this.registerOutputs({
            serviceName: this.serviceName,
            nodePort: this.nodePort,
            loadBalancerAddress: this.loadBalancerAddress,
            workloadName: this.workloadName,
            networkPolicyName: this.networkPolicyName,
        });
    }
}

/** The volumes the proxy and cloudflared mount, kept apart from the app's. */
const SIDECAR_MOUNTS = { volumes: [TLS_VOLUME, ORIGIN_CA_VOLUME], paths: [TLS_MOUNT_PATH, ORIGIN_CA_DIR] };

/** What the workload's checks read: SidecarWorkload's arguments, or TlsSidecarApp's under the same names. */
export interface WorkloadChecks extends Omit<SidecarWorkloadArgs, "namespace" | "serviceName" | "proxyImage" | "initImage" | "secretName" | "tunnel"> {
    /** The argument that chose `kind`, for messages: `kind` here, `workloadKind` in TlsSidecarApp. */
    kindPath: string;
    /** Whether cloudflared runs beside the app (and serves its metrics on this port). */
    tunnel?: { metricsPort: pulumi.Input<number> };
}

/**
 * Keeps a problem for every argument of the pods and what fronts them that the API server or the namespace's Pod
 * Security level would refuse: the app, the sidecar, the workload's kind and replicas, the pod's own ports, the
 * Service, the security profile, the volumes, the pod's and the workload's options and the NetworkPolicy.
 */
export function checkSidecarWorkloadArgs(args: WorkloadChecks, problems: Problems): void {
    const { app, proxy } = args;
    const interception = args.interception ?? InterceptionMode.Iptables;
    const rules = { appPort: app.port, interception, clientAuth: resolveSidecar(args).proxy.clientAuth, drainSeconds: app.drainSeconds ?? APP_DEFAULTS.drainSeconds };
    checkAppContainer(app, rules, ownPorts(app.port, proxy, args.tunnel?.metricsPort), problems);
    checkSidecarArgs(args, app.port, problems);
    if (args.kind !== undefined) problems.check(() => checkEnum(args.kindPath, args.kind, WorkloadKind));
    checkBoolean("nativeSidecar", args.nativeSidecar, problems);
    if (args.replicas !== undefined) {
        problems.check(() => checked(args.replicas!, (v) => checkPositiveInteger("replicas", v, 1000)));
        if (args.kind === WorkloadKind.Pod && isKnown(args.replicas) && args.replicas !== 1) {
            problems.add({ path: "replicas", value: args.replicas, allowed: `1 with ${args.kindPath} "Pod" (a bare Pod has no replicas; use "Deployment")` });
        }
    }
    const ports = checkOwnPorts(app.port, proxy, problems);
    checkServiceArgs(args.service, args.tunnel !== undefined, problems);
    problems.check(() => validatePodSecurity({ ...args, interception }));
    checkVolumes(args.pod?.volumes, app.volumeMounts, SIDECAR_MOUNTS, problems);
    checkPodArgs(args.pod, problems);
    checkWorkloadArgs(args.workload, args.kind, problems);
    const [, proxyPort, adminPort] = ports.map(([, port]) => port);
    const openable = (app.ports ?? []).map((p) => p.containerPort);
    checkNetworkPolicyArgs(args.networkPolicy, { appPort: app.port, proxyPort, adminPort, interception, tunnelMetricsPort: args.tunnel?.metricsPort }, openable, problems);
}

/** SidecarWorkload's arguments: one ConfigError naming every bad one. */
function validateSidecarWorkloadArgs(args: SidecarWorkloadArgs): void {
    if (args.app === undefined) {
        throw new ConfigError("app", undefined, "the app to deploy: { image, port }");
    }
    const problems = new Problems();
    checkSidecarWorkloadArgs({ ...args, kindPath: "kind" }, problems);
    problems.throwIfAny();
}
