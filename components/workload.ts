import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { appContainer, AppContainer } from "./appContainer";
import { WORKLOAD_DEFAULTS } from "./defaults";
import { InterceptionMode, PodSecurityProfile, ServiceType, WorkloadKind } from "./enums";
import { mergedAnnotations, selectorLabels, withUserLabels } from "./pod/labels";
import { NetworkPolicy, sidecarNetworkPolicy } from "./networkPolicy";
import { podFields, Pod } from "./pod/pod";
import { podSpec } from "./pod/podSpec";
import { validatePodSecurity } from "./pod/podSecurityValidation";
import { preStopSleepSeconds } from "./pod/probes";
import { podSecurityContext, PodSecurityContext } from "./pod/securityContext";
import { TlsProxy, Redirect, sidecarPodParts, sidecarPorts } from "./pod/sidecarPod";
import { TunnelContainerParts, withTunnel } from "./tunnel";
import { checkServiceArgs, Service, serviceTypeOf, sidecarService } from "./service";
import { renderVolumes } from "./pod/volumes";
import { Problems } from "./validation";
import { validateWorkloadParts } from "./workloadValidation";
import { disruptionBudgetSpec, rollingUpdate, wantsDisruptionBudget, Workload } from "./workloadOptions";
import { withLateChecks } from "./lateChecks";

export { AppContainer } from "./appContainer";
export { Service } from "./service";

export { TlsProxy, Redirect } from "./pod/sidecarPod";

export { WORKLOAD_DEFAULTS };

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

/** The pods (a Deployment, or a bare Pod) running the app with the proxy beside it, and the Service (see service.ts). */
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

        const interception = args.interception ?? InterceptionMode.Iptables;
        const appPort = args.app.port;
        const { proxyPort, adminPort } = sidecarPorts(args.proxy);
        const drainSeconds = args.app.drainSeconds ?? WORKLOAD_DEFAULTS.drainSeconds;
        const profile = args.podSecurity ?? PodSecurityProfile.None;
        const kind = args.kind ?? WorkloadKind.Deployment;
        const replicas = args.replicas ?? WORKLOAD_DEFAULTS.replicas;
        const selector = selectorLabels(args.serviceName, name);
        const labels = withUserLabels(selector);

        const parts = sidecarPodParts({
            app: appContainer(args.app, { profile, interception, adminPort, drainSeconds }),
            appPort,
            proxy: args.proxy,
            redirect: args.redirect,
            interception,
            nativeSidecar: args.nativeSidecar,
            drainSeconds,
            proxyImage: args.proxyImage,
            initImage: args.initImage,
            secretName: args.secretName,
            podSecurityContext: podSecurityContext(profile, args.podSecurityContext),
            appVolumes: renderVolumes(args.pod?.volumes),
            podFields: podFields(args.pod, selector),
            preStopSeconds: preStopSleepSeconds(args.app.lifecycle),
        });
        const spec = args.tunnel === undefined ? podSpec(parts) : withTunnel(podSpec(parts), args.tunnel);

        if (kind === WorkloadKind.Deployment) {
            const deployment = new k8s.apps.v1.Deployment(
                name,
                {
                    metadata: { namespace: args.namespace, labels: withUserLabels(selector, args.workload?.labels), annotations: mergedAnnotations(args.workload?.annotations) },
                    spec: {
                        replicas,
                        selector: { matchLabels: selector },
                        // By default surge, never go below the wanted count: an image or certificate change rolls with no downtime.
                        strategy: { type: "RollingUpdate", rollingUpdate: rollingUpdate(args.workload) },
                        template: { metadata: { labels: withUserLabels(selector, args.pod?.labels), annotations: mergedAnnotations(args.pod?.annotations) }, spec },
                    },
                },
                { parent: this },
            );
            this.workloadName = deployment.metadata.name;
        } else {
            // A bare Pod is its own template: the workload's metadata and the pod's, the pod's winning.
            const metadata = {
                namespace: args.namespace,
                labels: withUserLabels(selector, args.workload?.labels, args.pod?.labels),
                annotations: mergedAnnotations(args.workload?.annotations, args.pod?.annotations),
            };
            const pod = new k8s.core.v1.Pod(name, { metadata, spec }, { parent: this });
            this.workloadName = pod.metadata.name;
        }
        if (wantsDisruptionBudget(kind, replicas, args.workload)) {
            new k8s.policy.v1.PodDisruptionBudget(name, { metadata: { namespace: args.namespace, labels }, spec: disruptionBudgetSpec(selector) }, { parent: this });
        }

        const policy =
            args.networkPolicy === undefined
                ? undefined
                : sidecarNetworkPolicy(name, args.namespace, labels, selector, args.networkPolicy, { appPort, proxyPort, adminPort, interception }, { parent: this });
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
                          targetPort: interception === InterceptionMode.Iptables ? appPort : proxyPort,
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

/** Throws one ConfigError naming every argument the API server or the namespace's Pod Security level would refuse. */
function validateSidecarWorkloadArgs(args: SidecarWorkloadArgs): void {
    const problems = new Problems();
    problems.check(() => validatePodSecurity(args));
    problems.check(() => validateWorkloadParts(args, args.kind, args.tunnel?.metricsPort));
    checkServiceArgs(args.service, args.tunnel !== undefined, problems);
    problems.throwIfAny();
}
