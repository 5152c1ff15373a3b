// The top-level component: a TlsSidecar (images, certificates, pull Secret) and a SidecarWorkload (the pods with the
// proxy beside the app, the Service), with cloudflared beside them when a tunnel is given. Its arguments are checked
// at the foot, all at once, before anything is registered.
import * as pulumi from "@pulumi/pulumi";
import { AppContainer } from "./app";
import { InterceptionMode, PodSecurityProfile, ServiceType, TunnelOrigin, WorkloadKind } from "./enums";
import { wantsPullSecret, Images } from "./images";
import { withLateChecks } from "./lateChecks";
import { ClientAuth, ownPorts, Pod, PodSecurityContext, PROXY_DEFAULTS, Redirect, TlsProxy } from "./pod";
import { checkSidecarWorkloadArgs, SidecarWorkload } from "./sidecarWorkload";
import { ClientCertificate, secretHasCaCrt, Tls } from "./tls";
import { checkTlsSidecarArgs, TlsSidecar } from "./tlsSidecar";
import { CloudflareTunnelSidecar, originFor, Tunnel, tunnelContainerParts, TUNNEL_DEFAULTS, validateTunnelCommon } from "./tunnel";
import { checkEnum, ConfigError, isKnown, Problems } from "./validation";
import { appUrl, NetworkPolicy, Service, SERVICE_DEFAULTS, serviceTypeOf, Workload } from "./workload";

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

        const { tls, images, publicHost: givenHost, tunnel: givenTunnel, workloadKind, ...shared } = args;
        const namespace = args.namespace ?? "default";
        const serviceName = args.serviceName ?? name;
        const publicHost = givenHost ?? "localhost";

        const sidecar = new TlsSidecar(name, { namespace, serviceName, publicHost, tls, images }, { parent: this, transformations: [keptUnder(this)] });
        // The pod pulls with the Secrets named in pod.imagePullSecrets, then with ours.
        const pod = wantsPullSecret(images) ? { ...args.pod, imagePullSecrets: [...(args.pod?.imagePullSecrets ?? []), sidecar.pullSecretName as pulumi.Output<string>] } : args.pod;
        const serviceType = serviceTypeOf(args.service, givenTunnel !== undefined);
        const tunnel = givenTunnel === undefined ? undefined : cloudflared(name, { tunnel: givenTunnel, args, namespace, serviceName, secretName: sidecar.secretName }, this);
        const workload = new SidecarWorkload(
            name,
            {
                ...shared,
                namespace,
                serviceName,
                kind: workloadKind,
                service: { ...args.service, type: serviceType },
                pod,
                proxyImage: sidecar.proxyImage,
                initImage: sidecar.initImage,
                secretName: sidecar.secretName,
                tunnel: tunnel?.parts,
            },
            { parent: this },
        );

        const servicePort = args.service?.port ?? SERVICE_DEFAULTS.port;
        this.nodePort = workload.nodePort;
        this.url = appUrl({
            type: serviceType,
            tunnelHostname: givenTunnel?.hostname,
            publicHost,
            namespace,
            servicePort,
            service: { serviceName: workload.serviceName, nodePort: workload.nodePort, loadBalancerAddress: workload.loadBalancerAddress },
        });
        this.clusterUrl =
            serviceType === ServiceType.None
                ? (pulumi.output(undefined) as unknown as pulumi.Output<string>)
                : pulumi.interpolate`https://${workload.serviceName}.${namespace}.svc.${tls?.clusterDomain ?? "cluster.local"}:${servicePort}`;
        this.caCertPem = sidecar.caCertPem;
        this.namespace = pulumi.output(namespace);
        this.serviceName = workload.serviceName;
        this.secretName = sidecar.secretName;
        this.pullSecretName = sidecar.pullSecretName;
        this.workloadName = workload.workloadName;
        this.networkPolicyName = workload.networkPolicyName;
        this.proxyImage = sidecar.proxyImage;
        this.initImage = sidecar.initImage;
        this.certNotAfter = sidecar.certNotAfter;
        this.caNotAfter = sidecar.caNotAfter;
        this.certRenewAfter = sidecar.certRenewAfter;
        this.clientCertificates = sidecar.clientCertificates;
        const none = pulumi.output<string | undefined>(undefined);
        this.tunnelSecretName = tunnel?.component.secretName ?? none;
        this.tunnelOriginService = tunnel?.component.originService ?? none;
        this.tunnelOriginServerName = tunnel?.component.originServerName ?? none;
        this.tunnelOriginCaPool = tunnel !== undefined && secretHasCaCrt(tls ?? {}) ? tunnel.component.originCaPool : none;
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

/**
 * Stacks made before TlsSidecarApp composed a TlsSidecar hold the images, the certificates and the pull Secret right
 * under the app: each child of the TlsSidecar answers to its place there by an alias (and its own children with it),
 * so an update moves them and replaces none. Passed as a transformation of the TlsSidecar, which meets it first.
 */
function keptUnder(app: pulumi.Resource): pulumi.ResourceTransformation {
    let sidecar: pulumi.Resource | undefined;
    return (a) => {
        sidecar ??= a.resource;
        return a.opts.parent === sidecar ? { props: a.props, opts: pulumi.mergeOptions(a.opts, { aliases: [{ parent: app }] }) } : undefined;
    };
}

/** Where the tunnel goes in the app's pod. */
interface TunnelPlace {
    tunnel: Tunnel;
    args: TlsSidecarAppArgs;
    namespace: pulumi.Input<string>;
    serviceName: string;
    /** The Secret whose `ca.crt` cloudflared verifies the proxy with (origin = the proxy). */
    secretName: pulumi.Output<string>;
}

/** The tunnel's component (its token Secret) and the cloudflared container for the pods. */
function cloudflared(name: string, place: TunnelPlace, parent: pulumi.Resource) {
    const { origin = TUNNEL_DEFAULTS.origin, ...tunnel } = place.tunnel;
    const proxyPort = place.args.proxy?.port ?? PROXY_DEFAULTS.port;
    const tunnelArgs = {
        ...tunnel,
        namespace: place.namespace,
        ...originFor(origin, place.args.app.port, proxyPort, place.serviceName, place.namespace),
        originCaSecretName: origin === TunnelOrigin.Proxy ? place.secretName : undefined,
    };
    const component = new CloudflareTunnelSidecar(name, tunnelArgs, { parent });
    return { component, parts: tunnelContainerParts(tunnelArgs, component.secretName) };
}

/** Throws one ConfigError naming every bad argument found. Values given as Outputs are checked when they resolve. */
export function validateAppArgs(name: string, args: TlsSidecarAppArgs): void {
    if (args.app === undefined) {
        throw new ConfigError("app", undefined, "the app to deploy: { image, port }");
    }
    const problems = new Problems();
    const metricsPort = args.tunnel === undefined ? undefined : (args.tunnel.metricsPort ?? TUNNEL_DEFAULTS.metricsPort);
    checkSidecarWorkloadArgs({ ...args, kind: args.workloadKind, kindPath: "workloadKind", tunnel: metricsPort === undefined ? undefined : { metricsPort } }, problems);
    checkTunnel(args, problems);
    checkClientAuthWithBroughtCertificate(args, problems);
    const serviceNamePath = args.serviceName === undefined ? "serviceName (defaults to the component name)" : "serviceName";
    checkTlsSidecarArgs({ namespace: args.namespace, serviceName: args.serviceName ?? name, publicHost: args.publicHost, tls: args.tls, images: args.images }, problems, serviceNamePath);
    problems.throwIfAny();
}

/** `tunnel` (the Service type it allows is checked in workload/service.ts). */
function checkTunnel(args: TlsSidecarAppArgs, problems: Problems): void {
    const tunnel = args.tunnel;
    if (tunnel === undefined) {
        return;
    }
    if (tunnel.origin !== undefined) problems.check(() => checkEnum("tunnel.origin", tunnel.origin, TunnelOrigin));
    problems.check(() => validateTunnelCommon("tunnel.", tunnel));
    const metricsPort = tunnel.metricsPort ?? TUNNEL_DEFAULTS.metricsPort;
    const clash = ownPorts(args.app.port, args.proxy).find(([, port]) => isKnown(metricsPort) && isKnown(port) && metricsPort === port);
    if (clash !== undefined) {
        problems.add({ path: "tunnel.metricsPort", value: metricsPort, allowed: `a port other than ${clash[0]} (${clash[1]}): cloudflared's metrics listen in the same pod` });
    }
    if (args.proxy?.clientAuth === ClientAuth.Require) {
        problems.add({
            path: "proxy.clientAuth",
            value: args.proxy.clientAuth,
            allowed:
                '"none" or "request" with a tunnel: cloudflared presents no client certificate to the proxy, and the app origin would bypass it (use Cloudflare Access to authenticate tunnel clients)',
        });
    }
}

/** A brought certificate without its CA leaves the proxy nothing to verify client certificates against. */
function checkClientAuthWithBroughtCertificate(args: TlsSidecarAppArgs, problems: Problems): void {
    const tls = args.tls ?? {};
    const clientAuth = args.proxy?.clientAuth ?? ClientAuth.None;
    if (clientAuth !== ClientAuth.None && tls.certificatePem !== undefined && tls.caCertificatePem === undefined) {
        problems.add({
            path: "proxy.clientAuth",
            value: clientAuth,
            allowed: '"none" unless tls.caCertificatePem is given: the proxy verifies client certificates against ca.crt and will not start without it',
        });
    }
}
