// The sidecar for a Deployment you already define: the images, the certificates and their Secret (and, with
// `images.registry.pullSecret`, the pull Secret), without a workload or a Service. withTlsSidecar() then adds the
// sidecar to your pod spec, exactly as TlsSidecarApp's pods have it; TlsSidecarApp makes its own the same way.
import * as pulumi from "@pulumi/pulumi";
import { Images, pullSecretFor, SidecarImages, validateImagesArgs } from "./images";
import { withLateChecks } from "./lateChecks";
import { checkTlsArgs, ClientCertificate, SidecarCertificates, sidecarCertificatesArgs, Tls } from "./tls";
import { checkDnsLabel, checked, checkServiceName, Problems } from "./validation";

export interface TlsSidecarArgs {
    /** Namespace of your Deployment: the Secrets go there. Default "default". */
    namespace?: pulumi.Input<string>;
    /** Name of the Service in front of your pods: its in-cluster names go into the certificate. */
    serviceName: pulumi.Input<string>;
    /** Host clients use from outside, added to the certificate's SANs. Default: none. */
    publicHost?: pulumi.Input<string>;
    tls?: Tls;
    images: Images;
}

/**
 * What a pod of your own needs for the TLS sidecar: the proxy and init images, and the `kubernetes.io/tls` Secret the
 * proxy mounts. Pass it to `withTlsSidecar(podSpec, sidecar, { appPort })` in your Deployment's pod template.
 */
export class TlsSidecar extends pulumi.ComponentResource {
    /** The `kubernetes.io/tls` Secret the proxy mounts. */
    readonly secretName: pulumi.Output<string>;
    readonly proxyImage: pulumi.Output<string>;
    readonly initImage: pulumi.Output<string>;
    /** With `images.registry.pullSecret`: the `kubernetes.io/dockerconfigjson` Secret (withTlsSidecar adds it to the pod). */
    readonly pullSecretName: pulumi.Output<string | undefined>;
    /** PEM of the CA clients should trust (undefined with an existing Secret). */
    readonly caCertPem: pulumi.Output<string | undefined>;
    readonly certNotAfter: pulumi.Output<string | undefined>;
    readonly caNotAfter: pulumi.Output<string | undefined>;
    readonly certRenewAfter: pulumi.Output<string | undefined>;
    /** Client certificates by consumer name, a Pulumi secret. */
    readonly clientCertificates: pulumi.Output<Record<string, ClientCertificate>>;

    constructor(name: string, args: TlsSidecarArgs, opts?: pulumi.ComponentResourceOptions) {
        super("tls-sidecar:index:TlsSidecar", name, {}, withLateChecks(() => validateTlsSidecarArgs(args), opts));
        const namespace = args.namespace ?? "default";
        const images = new SidecarImages(name, args.images, { parent: this });
        const certificates = new SidecarCertificates(name, sidecarCertificatesArgs(namespace, args.serviceName, args.publicHost, args.tls ?? {}), { parent: this });
        const pullSecret = pullSecretFor(name, namespace, args.images, { parent: this });

        this.secretName = certificates.secretName;
        this.proxyImage = images.proxyImage;
        this.initImage = images.initImage;
        this.pullSecretName = pullSecret?.metadata.name ?? pulumi.output<string | undefined>(undefined);
        this.caCertPem = certificates.caCertPem;
        this.certNotAfter = certificates.certNotAfter;
        this.caNotAfter = certificates.caNotAfter;
        this.certRenewAfter = certificates.certRenewAfter;
        this.clientCertificates = certificates.clientCertificates;
        this.registerOutputs({
            secretName: this.secretName,
            proxyImage: this.proxyImage,
            initImage: this.initImage,
            pullSecretName: this.pullSecretName,
            caCertPem: this.caCertPem,
            certNotAfter: this.certNotAfter,
            caNotAfter: this.caNotAfter,
            certRenewAfter: this.certRenewAfter,
            clientCertificates: this.clientCertificates,
        });
    }
}

/**
 * TlsSidecar's arguments (and TlsSidecarApp's of the same names), each problem kept. `serviceNamePath` names the
 * service name in messages, e.g. when it is a default.
 */
export function checkTlsSidecarArgs(args: TlsSidecarArgs, problems: Problems, serviceNamePath = "serviceName"): void {
    if (args.namespace !== undefined) problems.check(() => checked(args.namespace!, (v) => checkDnsLabel("namespace", v)));
    problems.check(() => checked(args.serviceName, (v) => checkServiceName(serviceNamePath, v)));
    checkTlsArgs(args.namespace ?? "default", args.serviceName, args.publicHost, args.tls ?? {}, problems);
    if (args.images === undefined) {
        problems.add({ path: "images", value: undefined, allowed: "{ registry } to build and push the images, or { prebuilt: { proxy, init } }" });
    } else {
        problems.check(() => validateImagesArgs(args.images));
    }
}

/** TlsSidecar's arguments: one ConfigError naming every bad one, before anything is created. */
export function validateTlsSidecarArgs(args: TlsSidecarArgs): void {
    const problems = new Problems();
    checkTlsSidecarArgs(args, problems);
    problems.throwIfAny();
}
