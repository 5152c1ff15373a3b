import * as net from "net";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { KeyAlgorithm } from "./enums";
import {
    checkDnsLabel,
    checked,
    checkEnum,
    checkHost,
    checkHostname,
    checkIpAddress,
    checkNonEmptyString,
    checkPositiveInteger,
    ConfigError,
    isKnown,
} from "./validation";

/** Keys of a `kubernetes.io/tls` Secret, as the proxy reads them from its `--tls-dir`. */
export const SECRET_KEYS = { cert: "tls.crt", key: "tls.key", ca: "ca.crt" } as const;

/** A certificate issued elsewhere: the Secret is made from these. */
export interface ProvidedCertificateArgs {
    /** PEM of the server certificate (and any intermediates after it). */
    certificatePem: pulumi.Input<string>;
    /** PEM of its private key. Stored as a Pulumi secret. */
    privateKeyPem: pulumi.Input<string>;
    /** PEM of the CA clients should trust; written as `ca.crt` and exported as `caCertPem`. */
    caCertificatePem?: pulumi.Input<string>;
}

export interface SidecarCertificatesArgs {
    /** Namespace of the Secret and the Service. */
    namespace: pulumi.Input<string>;
    /** Name of the Service: its in-cluster DNS names become SANs. */
    serviceName: pulumi.Input<string>;
    /** Cluster DNS domain. Default "cluster.local". */
    clusterDomain?: pulumi.Input<string>;
    /** Host clients use from outside: a DNS SAN or an IP SAN, whichever it is. */
    publicHost?: pulumi.Input<string>;
    /** Extra DNS SANs. */
    hostnames?: pulumi.Input<string>[];
    /** IP SANs, e.g. a node address. */
    ipAddresses?: pulumi.Input<string>[];
    /** Key algorithm of the CA and server keys. Default ECDSA P-256. */
    keyAlgorithm?: KeyAlgorithm;
    /** Lifetime of the server certificate in days. Default 90. */
    validityDays?: pulumi.Input<number>;
    /** The server certificate is renewed this many days before it expires. Default 30; must be less than `validityDays`. */
    renewBeforeDays?: pulumi.Input<number>;
    /** Lifetime of the CA in days. Default 3650; must exceed `validityDays`. */
    caValidityDays?: pulumi.Input<number>;
    /** Organization in the certificates' subjects. Default "tls-sidecar". */
    organization?: pulumi.Input<string>;
    /** Bring your own: mount this existing `kubernetes.io/tls` Secret (e.g. one cert-manager renews) and create none. */
    existingSecretName?: pulumi.Input<string>;
    /** Bring your own: make the Secret from this certificate and key instead of generating them. */
    provided?: ProvidedCertificateArgs;
}

export const CERT_DEFAULTS = { validityDays: 90, renewBeforeDays: 30, caValidityDays: 3650 } as const;

/** Maps the choice to the tls provider's inputs. The curve is always explicit: the provider defaults to P-224. */
export function privateKeyInputs(algorithm: KeyAlgorithm): tls.PrivateKeyArgs {
    switch (algorithm) {
        case KeyAlgorithm.EcdsaP256:
            return { algorithm: "ECDSA", ecdsaCurve: "P256" };
        case KeyAlgorithm.EcdsaP384:
            return { algorithm: "ECDSA", ecdsaCurve: "P384" };
        case KeyAlgorithm.Rsa2048:
            return { algorithm: "RSA", rsaBits: 2048 };
        case KeyAlgorithm.Rsa3072:
            return { algorithm: "RSA", rsaBits: 3072 };
        case KeyAlgorithm.Rsa4096:
            return { algorithm: "RSA", rsaBits: 4096 };
    }
}

/** The Service's in-cluster names, most specific last. */
export function serviceDnsNames(service: string, namespace: string, clusterDomain: string): string[] {
    return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.${clusterDomain}`];
}

/**
 * The TLS material of the sidecar: a private CA, a server certificate it signs for the Service's names,
 * and the `kubernetes.io/tls` Secret (`tls.crt`, `tls.key`, `ca.crt`) the proxy mounts.
 * Or, bring-your-own, a Secret made from a given pair, or an existing Secret used as it is.
 */
export class SidecarCertificates extends pulumi.ComponentResource {
    /** Name of the Secret the proxy mounts. */
    readonly secretName: pulumi.Output<string>;
    /** PEM of the CA clients should trust; undefined for an existing Secret. */
    readonly caCertPem: pulumi.Output<string | undefined>;
    /** PEM of the server certificate; undefined for an existing Secret. */
    readonly certPem: pulumi.Output<string | undefined>;
    /** RFC 3339 time the generated server certificate expires; undefined when not generated here. */
    readonly certNotAfter: pulumi.Output<string | undefined>;
    /** RFC 3339 time the generated CA expires; undefined when not generated here. */
    readonly caNotAfter: pulumi.Output<string | undefined>;
    /** DNS SANs of the generated server certificate. */
    readonly dnsNames: pulumi.Output<string[]>;

    constructor(name: string, args: SidecarCertificatesArgs, opts?: pulumi.ComponentResourceOptions) {
        validateCertificatesArgs(args);
        super("tls-sidecar:index:SidecarCertificates", name, {}, opts);

        const labels = { "app.kubernetes.io/managed-by": "tls-sidecar", "app.kubernetes.io/instance": name };
        const makeSecret = (cert: pulumi.Input<string>, key: pulumi.Input<string>, ca: pulumi.Input<string> | undefined) =>
            new k8s.core.v1.Secret(
                name,
                {
                    // Auto-named: a new certificate makes a new Secret name, which rolls the Deployment without downtime.
                    metadata: { namespace: args.namespace, labels },
                    type: "kubernetes.io/tls",
                    stringData: pulumi.secret(
                        pulumi.all([cert, key, ca]).apply(([c, k, a]) => ({
                            [SECRET_KEYS.cert]: c,
                            [SECRET_KEYS.key]: k,
                            ...(a === undefined ? {} : { [SECRET_KEYS.ca]: a }),
                        })),
                    ),
                },
                { parent: this },
            );

        if (args.existingSecretName !== undefined) {
            this.secretName = pulumi.output(args.existingSecretName);
            this.caCertPem = pulumi.output(undefined);
            this.certPem = pulumi.output(undefined);
            this.certNotAfter = pulumi.output(undefined);
            this.caNotAfter = pulumi.output(undefined);
            this.dnsNames = pulumi.output([]);
        } else if (args.provided !== undefined) {
            const secret = makeSecret(args.provided.certificatePem, pulumi.secret(args.provided.privateKeyPem), args.provided.caCertificatePem);
            this.secretName = secret.metadata.name;
            this.caCertPem = pulumi.output(args.provided.caCertificatePem);
            this.certPem = pulumi.output(args.provided.certificatePem);
            this.certNotAfter = pulumi.output(undefined);
            this.caNotAfter = pulumi.output(undefined);
            this.dnsNames = pulumi.output([]);
        } else {
            const algorithm = args.keyAlgorithm ?? KeyAlgorithm.EcdsaP256;
            const organization = args.organization ?? "tls-sidecar";
            const validityDays = args.validityDays ?? CERT_DEFAULTS.validityDays;
            const renewBeforeDays = args.renewBeforeDays ?? CERT_DEFAULTS.renewBeforeDays;
            const caValidityDays = args.caValidityDays ?? CERT_DEFAULTS.caValidityDays;

            const caKey = new tls.PrivateKey(`${name}-ca`, privateKeyInputs(algorithm), { parent: this });
            const ca = new tls.SelfSignedCert(
                `${name}-ca`,
                {
                    privateKeyPem: caKey.privateKeyPem,
                    isCaCertificate: true,
                    subject: { commonName: `${name} CA`, organization },
                    validityPeriodHours: pulumi.output(caValidityDays).apply((d) => d * 24),
                    allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
                    setSubjectKeyId: true,
                },
                { parent: this },
            );

            const publicHost = pulumi.output(args.publicHost);
            const publicIps = publicHost.apply((h) => (h !== undefined && net.isIP(h) !== 0 ? [h] : []));
            const publicNames = publicHost.apply((h) => (h !== undefined && net.isIP(h) === 0 ? [h] : []));
            this.dnsNames = pulumi
                .all([args.serviceName, args.namespace, args.clusterDomain ?? "cluster.local", pulumi.all(args.hostnames ?? []), publicNames])
                .apply(([svc, ns, domain, hosts, pub]) => [...new Set([...serviceDnsNames(svc, ns, domain), ...hosts, ...pub])]);
            const ipAddresses = pulumi.all([pulumi.all(args.ipAddresses ?? []), publicIps]).apply(([ips, pub]) => [...new Set([...ips, ...pub])]);

            const serverKey = new tls.PrivateKey(`${name}-server`, privateKeyInputs(algorithm), { parent: this });
            const request = new tls.CertRequest(
                `${name}-server`,
                {
                    privateKeyPem: serverKey.privateKeyPem,
                    subject: { commonName: pulumi.output(args.serviceName), organization },
                    dnsNames: this.dnsNames,
                    ipAddresses,
                },
                { parent: this },
            );
            const server = new tls.LocallySignedCert(
                `${name}-server`,
                {
                    certRequestPem: request.certRequestPem,
                    caPrivateKeyPem: caKey.privateKeyPem,
                    caCertPem: ca.certPem,
                    validityPeriodHours: pulumi.output(validityDays).apply((d) => d * 24),
                    earlyRenewalHours: pulumi.output(renewBeforeDays).apply((d) => d * 24),
                    allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
                    setSubjectKeyId: true,
                },
                { parent: this },
            );

            const secret = makeSecret(server.certPem, serverKey.privateKeyPem, ca.certPem);
            this.secretName = secret.metadata.name;
            this.caCertPem = ca.certPem;
            this.certPem = server.certPem;
            this.certNotAfter = server.validityEndTime;
            this.caNotAfter = ca.validityEndTime;
        }

        this.registerOutputs({
            secretName: this.secretName,
            caCertPem: this.caCertPem,
            certPem: this.certPem,
            certNotAfter: this.certNotAfter,
            caNotAfter: this.caNotAfter,
            dnsNames: this.dnsNames,
        });
    }
}

export function validateCertificatesArgs(args: SidecarCertificatesArgs): void {
    if (args.existingSecretName !== undefined && args.provided !== undefined) {
        throw new ConfigError("tls.existingSecretName", args.existingSecretName, "either tls.existingSecretName or tls.certificatePem with tls.privateKeyPem, not both");
    }
    if (args.existingSecretName !== undefined) {
        checked(args.existingSecretName, (v) => checkDnsSubdomain("tls.existingSecretName", v));
    }
    if (args.provided !== undefined) {
        const { certificatePem, privateKeyPem } = args.provided;
        if (certificatePem === undefined || certificatePem === "") {
            throw new ConfigError("tls.certificatePem", certificatePem, "the PEM of the server certificate, given with its key");
        }
        if (privateKeyPem === undefined || privateKeyPem === "") {
            throw new ConfigError("tls.privateKeyPem", privateKeyPem, "the PEM of the certificate's private key: a certificate needs its key");
        }
        checked(certificatePem, (v) => checkPem("tls.certificatePem", v, "CERTIFICATE"));
        checked(privateKeyPem, (v) => checkPem("tls.privateKeyPem", v, "PRIVATE KEY", true));
        if (args.provided.caCertificatePem !== undefined) {
            checked(args.provided.caCertificatePem, (v) => checkPem("tls.caCertificatePem", v, "CERTIFICATE"));
        }
    }
    if (args.keyAlgorithm !== undefined) {
        checkEnum("tls.keyAlgorithm", args.keyAlgorithm, KeyAlgorithm);
    }
    (args.hostnames ?? []).forEach((h, i) => checked(h, (v) => checkHostname(`tls.hostnames[${i}]`, v)));
    (args.ipAddresses ?? []).forEach((ip, i) => checked(ip, (v) => checkIpAddress(`tls.ipAddresses[${i}]`, v)));
    if (args.publicHost !== undefined) {
        checked(args.publicHost, (v) => checkHost("publicHost", v));
    }
    if (args.clusterDomain !== undefined) {
        checked(args.clusterDomain, (v) => checkHostname("tls.clusterDomain", v));
    }

    const validity = args.validityDays ?? CERT_DEFAULTS.validityDays;
    const renewBefore = args.renewBeforeDays ?? CERT_DEFAULTS.renewBeforeDays;
    const caValidity = args.caValidityDays ?? CERT_DEFAULTS.caValidityDays;
    checked(validity, (v) => checkPositiveInteger("tls.validityDays", v, 36500));
    checked(renewBefore, (v) => checkPositiveInteger("tls.renewBeforeDays", v, 36500));
    checked(caValidity, (v) => checkPositiveInteger("tls.caValidityDays", v, 36500));
    if (isKnown(validity) && isKnown(renewBefore) && renewBefore >= validity) {
        throw new ConfigError("tls.renewBeforeDays", renewBefore, `fewer days than tls.validityDays (${validity}): the renewal window must fit inside the certificate's lifetime`);
    }
    if (isKnown(validity) && isKnown(caValidity) && caValidity <= validity) {
        throw new ConfigError("tls.caValidityDays", caValidity, `more days than tls.validityDays (${validity}): the CA must outlive the certificates it signs`);
    }
}

function checkDnsSubdomain(path: string, value: unknown): void {
    if (typeof value !== "string" || value.length > 253 || !value.split(".").every((l) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(l))) {
        throw new ConfigError(path, value, "a Kubernetes object name: lower-case letters, digits, '-' and '.', at most 253 characters");
    }
    checkNonEmptyString(path, value);
}

/** Never echoes a secret value: a key's error names the key and the expected form only. */
function checkPem(path: string, value: unknown, kind: string, secret = false): void {
    if (typeof value !== "string" || !new RegExp(`-----BEGIN [A-Z ]*${kind}-----`).test(value)) {
        const shown = secret ? "(a secret value, not shown)" : typeof value === "string" ? `${value.slice(0, 40)}…` : value;
        throw new ConfigError(path, shown, `a PEM block "-----BEGIN …${kind}-----"`);
    }
}
