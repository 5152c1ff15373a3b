import * as pulumi from "@pulumi/pulumi";
import { validateAppArgs } from "./appValidation";
import { ClientCertificate, SidecarCertificates } from "./certificates";
import { InterceptionMode, PodSecurityProfile, ServiceType, TunnelOrigin, WorkloadKind } from "./enums";
import { Images, SidecarImages } from "./images";
import { Pod } from "./podOptions";
import { NetworkPolicy } from "./networkPolicy";
import { pullSecretFor } from "./pullSecret";
import { appUrl, Service, serviceTypeOf } from "./service";
import { PodSecurityContext } from "./securityContext";
import { secretHasCaCrt, sidecarCertificatesArgs, Tls } from "./tlsArgs";
import { CloudflareTunnelSidecar, CloudflareTunnelSidecarArgs, originFor, Tunnel, tunnelContainerParts, TUNNEL_DEFAULTS } from "./tunnel";
import { AppContainer, TlsProxy, Redirect, SidecarWorkload, WORKLOAD_DEFAULTS } from "./workload";
import { Workload } from "./workloadOptions";
import { withLateChecks } from "./lateChecks";

export interface TlsSidecarAppArgs {
    /** Namespace for everything. Default "default". */
    namespace?: pulumi.Input<string>;
    /** Name of the Service (a DNS-1035 label). Default: the component's name. */
    serviceName?: string;
    /** The app, deployed unchanged. */
    app: AppContainer;
    /** Host clients use in `url`: a node's DNS name or IP. Added to the certificate's SANs. Default "localhost". */
    publicHost?: pulumi.Input<string>;
    /** Default iptables (the app port is redirected inside the pod); service for Pod Security baseline/restricted namespaces. */
    interception?: InterceptionMode;
    /** Default Deployment. */
    workloadKind?: WorkloadKind;
    /** Default 1. */
    replicas?: pulumi.Input<number>;
    /** Proxy as a native sidecar (Kubernetes ≥ 1.29). Default true; false for older clusters. */
    nativeSidecar?: boolean;
    proxy?: TlsProxy;
    redirect?: Redirect;
    service?: Service;
    tls?: Tls;
    images: Images;
    /** Expose the app through a Cloudflare Tunnel (cloudflared beside it). The Service then defaults to ClusterIP. */
    tunnel?: Tunnel;
    /**
     * The Pod Security level every container of the pod must pass. Default `PodSecurityProfile.None`; `Baseline` and
     * `Restricted` need `interception: InterceptionMode.Service`. With `Restricted`, set `app.securityContext.runAsUser`
     * when the app's image runs as root.
     */
    podSecurity?: PodSecurityProfile;
    /** The pod's security context (fsGroup, supplementalGroups, …). Default: none, or what `podSecurity` requires. */
    podSecurityContext?: PodSecurityContext;
    /** The pod: service account, image pull secrets, labels, annotations, scheduling, the app's volumes. */
    pod?: Pod;
    /**
     * The Deployment (or bare Pod): its labels and annotations, the rollout (`maxSurge` "1", `maxUnavailable` "0") and
     * a PodDisruptionBudget with more than one replica.
     */
    workload?: Workload;
    /**
     * Set (even to `{}`) for a NetworkPolicy selecting the pods that lets in only the TLS port (and `app.port` with
     * iptables interception, where it is redirected) and the admin port, from the sources given. With
     * `interception: Service` it closes the app's plaintext port to the rest of the cluster, where the CNI enforces it.
     */
    networkPolicy?: NetworkPolicy;
}

/**
 * TLS termination for an unmodified HTTP app: the images, a CA and server certificate in a `kubernetes.io/tls`
 * Secret, the app with a TLS proxy beside it, and a Service (NodePort by default, or LoadBalancer, ClusterIP).
 */
export class TlsSidecarApp extends pulumi.ComponentResource {
    /** The Service's node port (NodePort and LoadBalancer Services). */
    readonly nodePort: pulumi.Output<number>;
    /** `https://<load balancer address>:<servicePort>` once a LoadBalancer has one, else `https://<publicHost>:<nodePort>`. */
    readonly url: pulumi.Output<string>;
    /** `https://<service>.<namespace>.svc.<clusterDomain>:<servicePort>`: the address for clients inside the cluster. */
    readonly clusterUrl: pulumi.Output<string>;
    /** PEM of the CA clients should trust (undefined with an existing Secret). */
    readonly caCertPem: pulumi.Output<string | undefined>;
    readonly namespace: pulumi.Output<string>;
    readonly serviceName: pulumi.Output<string>;
    readonly secretName: pulumi.Output<string>;
    /** With `images.registry.pullSecret`: the `kubernetes.io/dockerconfigjson` Secret the pods pull with (else undefined). */
    readonly pullSecretName: pulumi.Output<string | undefined>;
    readonly workloadName: pulumi.Output<string>;
    /** With `networkPolicy`: the NetworkPolicy's name (else undefined). */
    readonly networkPolicyName: pulumi.Output<string | undefined>;
    readonly proxyImage: pulumi.Output<string>;
    readonly initImage: pulumi.Output<string>;
    /** When the server certificate expires (RFC 3339), when generated here. */
    readonly certNotAfter: pulumi.Output<string | undefined>;
    /** When the CA that signed the server certificate expires (RFC 3339), when generated here. */
    readonly caNotAfter: pulumi.Output<string | undefined>;
    /** From when the next `pulumi up` issues a new server certificate (RFC 3339), when generated here. */
    readonly certRenewAfter: pulumi.Output<string | undefined>;
    /** Client certificates by consumer name: `{ certPem, privateKeyPem }`, a Pulumi secret. */
    readonly clientCertificates: pulumi.Output<Record<string, ClientCertificate>>;
    /** With a tunnel: the Secret holding its token (undefined without a tunnel). */
    readonly tunnelSecretName: pulumi.Output<string | undefined>;
    /** With a tunnel: the service URL its public hostname must route to, to enter in the tunnel's configuration. */
    readonly tunnelOriginService: pulumi.Output<string | undefined>;
    /** With a tunnel to the proxy: the "Origin Server Name" to set in the tunnel's configuration. */
    readonly tunnelOriginServerName: pulumi.Output<string | undefined>;
    /**
     * With a tunnel to the proxy and a TLS Secret known to have a `ca.crt` (generated, or brought with
     * `tls.caCertificatePem`): the "CA Pool" path to set in the tunnel's configuration. Undefined otherwise: leave CA
     * Pool empty (a path to a missing file makes cloudflared reject the whole configuration); with
     * `tls.existingSecretName` whose Secret has a `ca.crt`, the path is /etc/cloudflared/origin-ca/ca.crt.
     */
    readonly tunnelOriginCaPool: pulumi.Output<string | undefined>;

    constructor(name: string, args: TlsSidecarAppArgs, opts?: pulumi.ComponentResourceOptions) {
        // Everything is checked before this component or any child is registered: bad input creates nothing.
        super("tls-sidecar:index:TlsSidecarApp", name, {}, withLateChecks(() => validateAppArgs(name, args), opts));

        const namespace = args.namespace ?? "default";
        const serviceName = args.serviceName ?? name;
        const publicHost = args.publicHost ?? "localhost";
        const tlsArgs = args.tls ?? {};

        const images = new SidecarImages(name, args.images, { parent: this });
        const pullSecret = pullSecretFor(name, namespace, args.images, { parent: this });
        // The pod pulls with the Secrets named in pod.imagePullSecrets, then with ours.
        const pod = pullSecret === undefined ? args.pod : { ...args.pod, imagePullSecrets: [...(args.pod?.imagePullSecrets ?? []), pullSecret.metadata.name] };
        const certificates = new SidecarCertificates(name, sidecarCertificatesArgs(namespace, serviceName, publicHost, tlsArgs), { parent: this });
        const serviceType = serviceTypeOf(args.service, args.tunnel !== undefined);
        const tunnelOrigin = args.tunnel?.origin ?? TUNNEL_DEFAULTS.origin;
        const tunnelArgs: CloudflareTunnelSidecarArgs | undefined =
            args.tunnel === undefined
                ? undefined
                : {
                          namespace,
                          token: args.tunnel.token,
                          existingSecretName: args.tunnel.existingSecretName,
                          hostname: args.tunnel.hostname,
                          image: args.tunnel.image,
                          metricsPort: args.tunnel.metricsPort,
                          gracePeriodSeconds: args.tunnel.gracePeriodSeconds,
                          resources: args.tunnel.resources,
                          ...originFor(tunnelOrigin, args.app.port, args.proxy?.port ?? WORKLOAD_DEFAULTS.proxyPort, serviceName, namespace),
                          originCaSecretName: tunnelOrigin === TunnelOrigin.Proxy ? certificates.secretName : undefined,
                  };
        const tunnel = tunnelArgs === undefined ? undefined : new CloudflareTunnelSidecar(name, tunnelArgs, { parent: this });
        const workload = new SidecarWorkload(
            name,
            {
                namespace,
                serviceName,
                app: args.app,
                proxy: args.proxy,
                redirect: args.redirect,
                service: { ...args.service, type: serviceType },
                proxyImage: images.proxyImage,
                initImage: images.initImage,
                secretName: certificates.secretName,
                interception: args.interception,
                kind: args.workloadKind,
                replicas: args.replicas,
                nativeSidecar: args.nativeSidecar,
                podSecurity: args.podSecurity,
                podSecurityContext: args.podSecurityContext,
                pod,
                workload: args.workload,
                networkPolicy: args.networkPolicy,
                tunnel: tunnel === undefined ? undefined : tunnelContainerParts(tunnelArgs!, tunnel.secretName),
            },
            { parent: this },
        );

        const servicePort = args.service?.port ?? WORKLOAD_DEFAULTS.servicePort;
        this.nodePort = workload.nodePort;
        this.url = appUrl({
            type: serviceType,
            tunnelHostname: args.tunnel?.hostname,
            publicHost,
            namespace,
            servicePort,
            service: { serviceName: workload.serviceName, nodePort: workload.nodePort, loadBalancerAddress: workload.loadBalancerAddress },
        });
        this.clusterUrl =
            serviceType === ServiceType.None
                ? (pulumi.output(undefined) as unknown as pulumi.Output<string>)
                : pulumi.interpolate`https://${workload.serviceName}.${namespace}.svc.${tlsArgs.clusterDomain ?? "cluster.local"}:${servicePort}`;
        this.caCertPem = certificates.caCertPem;
        this.namespace = pulumi.output(namespace);
        this.serviceName = workload.serviceName;
        this.secretName = certificates.secretName;
        this.pullSecretName = pullSecret?.metadata.name ?? pulumi.output<string | undefined>(undefined);
        this.workloadName = workload.workloadName;
        this.networkPolicyName = workload.networkPolicyName;
        this.proxyImage = images.proxyImage;
        this.initImage = images.initImage;
        this.certNotAfter = certificates.certNotAfter;
        this.caNotAfter = certificates.caNotAfter;
        this.certRenewAfter = certificates.certRenewAfter;
        this.clientCertificates = certificates.clientCertificates;
        const none = pulumi.output<string | undefined>(undefined);
        this.tunnelSecretName = tunnel?.secretName ?? none;
        this.tunnelOriginService = tunnel?.originService ?? none;
        this.tunnelOriginServerName = tunnel?.originServerName ?? none;
        this.tunnelOriginCaPool = tunnel !== undefined && secretHasCaCrt(tlsArgs) ? tunnel.originCaPool : none;
        this.registerOutputs({
            tunnelSecretName: this.tunnelSecretName,
            tunnelOriginService: this.tunnelOriginService,
            tunnelOriginServerName: this.tunnelOriginServerName,
            tunnelOriginCaPool: this.tunnelOriginCaPool,
            nodePort: this.nodePort,
            url: this.url,
            clusterUrl: this.clusterUrl,
            caCertPem: this.caCertPem,
            namespace: this.namespace,
            serviceName: this.serviceName,
            secretName: this.secretName,
            pullSecretName: this.pullSecretName,
            workloadName: this.workloadName,
            networkPolicyName: this.networkPolicyName,
            proxyImage: this.proxyImage,
            initImage: this.initImage,
            certNotAfter: this.certNotAfter,
            caNotAfter: this.caNotAfter,
            certRenewAfter: this.certRenewAfter,
            clientCertificates: this.clientCertificates,
        });
    }
}
