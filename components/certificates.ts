import * as net from "net";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { CertificateRollout, KeyAlgorithm } from "./enums";
import { DEFAULT_SCHEDULE_EPOCH, parseTime, Schedule, scheduleAt } from "./rotation";
import { validateCertificatesArgs } from "./certificateValidation";
import { withLateChecks } from "./lateChecks";

/** Keys of a `kubernetes.io/tls` Secret, as the proxy reads them from its `--tls-dir`. */
export const SECRET_KEYS = { cert: "tls.crt", key: "tls.key", ca: "ca.crt" } as const;

/** A certificate issued elsewhere: the Secret is made from these. */
export interface ProvidedCertificate {
    /** PEM of the server certificate (and any intermediates after it). */
    certificatePem: pulumi.Input<string>;
    /** PEM of its private key. Stored as a Pulumi secret. */
    privateKeyPem: pulumi.Input<string>;
    /** PEM of the CA clients should trust; written as `ca.crt` and exported as `caCertPem`. */
    caCertificatePem?: pulumi.Input<string>;
}

/** @deprecated Renamed `ProvidedCertificate`: every SDK adds its own `Args` (Python `ProvidedCertificateArgs`). Kept for existing TypeScript programs. */
export type ProvidedCertificateArgs = ProvidedCertificate;

/** How certificates are made and renewed: shared by `SidecarCertificates` and `TlsSidecarApp`'s `tls`. */
export interface CertificatePolicyArgs {
    /** Cluster DNS domain. Default "cluster.local". */
    clusterDomain?: pulumi.Input<string>;
    /** Extra DNS SANs. The Service's in-cluster names and the public host are always included. */
    hostnames?: pulumi.Input<string>[];
    /** IP SANs, e.g. a node address. */
    ipAddresses?: pulumi.Input<string>[];
    /** Key algorithm of the CA and server keys. Default ECDSA P-256. */
    keyAlgorithm?: KeyAlgorithm;
    /** Lifetime of the server and client certificates in days. Default 90. A plain number: it sets the schedule. */
    validityDays?: number;
    /** Renew this many days before expiry: a plain `pulumi up` after that issues a new certificate. Default 30; less than `validityDays`. */
    renewBeforeDays?: number;
    /** Lifetime of each CA in days. Default 3650; at least `validityDays + 2 × caOverlapDays`. */
    caValidityDays?: number;
    /** On a CA rollover: days the new CA is in `ca.crt` before it signs, and days the old one stays after. Default 30. */
    caOverlapDays?: number;
    /** How pods get a renewed certificate. Default `CertificateRollout.NewSecret` (the Deployment rolls). */
    rollout?: CertificateRollout;
    /** Issue a client certificate (for `ClientAuth.Require`), signed by the same CA, for each of these consumer names (DNS labels). */
    clientCertificates?: string[];
    /** RFC 3339 time the schedule is evaluated at. Default: the time the program runs. For tests and planning. */
    clock?: string;
    /** RFC 3339 anchor of the renewal periods. Default 2025-01-01T00:00:00Z. */
    scheduleEpoch?: string;
    /** Bring your own: mount this existing `kubernetes.io/tls` Secret (e.g. one cert-manager renews) and create none. */
    existingSecretName?: pulumi.Input<string>;
}

export interface SidecarCertificatesArgs extends CertificatePolicyArgs {
    /** Namespace of the Secret and the Service. */
    namespace: pulumi.Input<string>;
    /** Name of the Service: its in-cluster DNS names become SANs. */
    serviceName: pulumi.Input<string>;
    /** Host clients use from outside: a DNS SAN or an IP SAN, whichever it is. */
    publicHost?: pulumi.Input<string>;
    /** Organization in the certificates' subjects. Default "tls-sidecar". */
    organization?: pulumi.Input<string>;
    /** Bring your own: make the Secret from this certificate and key instead of generating them. */
    provided?: ProvidedCertificate;
}

export const CERT_DEFAULTS = { validityDays: 90, renewBeforeDays: 30, caValidityDays: 3650, caOverlapDays: 30 } as const;

/** A client certificate issued for a named consumer. */
export interface ClientCertificate {
    certPem: string;
    privateKeyPem: string;
}

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

/** The schedule these arguments give at their clock (or now). */
export function certificateSchedule(args: Pick<SidecarCertificatesArgs, "validityDays" | "renewBeforeDays" | "caValidityDays" | "caOverlapDays" | "clock" | "scheduleEpoch">): Schedule {
    const now = args.clock === undefined ? Date.now() : parseTime(args.clock);
    return scheduleAt(now, {
        validityDays: args.validityDays ?? CERT_DEFAULTS.validityDays,
        renewBeforeDays: args.renewBeforeDays ?? CERT_DEFAULTS.renewBeforeDays,
        caValidityDays: args.caValidityDays ?? CERT_DEFAULTS.caValidityDays,
        caOverlapDays: args.caOverlapDays ?? CERT_DEFAULTS.caOverlapDays,
        epoch: args.scheduleEpoch ?? DEFAULT_SCHEDULE_EPOCH,
    });
}

/**
 * The TLS material of the sidecar: a private CA (two during a rollover), a server certificate it signs for the
 * Service's names, optional client certificates, and the `kubernetes.io/tls` Secret (`tls.crt`, `tls.key`, `ca.crt`)
 * the proxy mounts. Or, bring-your-own, a Secret made from a given pair, or an existing Secret used as it is.
 *
 * Renewal follows `certificateSchedule`: the period and CA generation are part of the resource names and the
 * certificate subjects, so a plain `pulumi up` in a new period replaces them, and one in the same period changes nothing.
 */
export class SidecarCertificates extends pulumi.ComponentResource {
    /** Name of the Secret the proxy mounts. */
    readonly secretName: pulumi.Output<string>;
    /** PEM of the CA(s) clients should trust (old and new during a rollover); undefined for an existing Secret. */
    readonly caCertPem: pulumi.Output<string | undefined>;
    /** PEM of the server certificate; undefined for an existing Secret. */
    readonly certPem: pulumi.Output<string | undefined>;
    /** RFC 3339 time the generated server certificate expires; undefined when not generated here. */
    readonly certNotAfter: pulumi.Output<string | undefined>;
    /** RFC 3339 time the CA that signed it expires; undefined when not generated here. */
    readonly caNotAfter: pulumi.Output<string | undefined>;
    /** RFC 3339 time from which the next `pulumi up` issues a new server certificate; undefined when not generated here. */
    readonly certRenewAfter: pulumi.Output<string | undefined>;
    /** Client certificates by consumer name (a Pulumi secret); empty when none are issued. */
    readonly clientCertificates: pulumi.Output<Record<string, ClientCertificate>>;
    /** DNS SANs of the generated server certificate. */
    readonly dnsNames: pulumi.Output<string[]>;

    constructor(name: string, args: SidecarCertificatesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("tls-sidecar:index:SidecarCertificates", name, {}, withLateChecks(() => validateCertificatesArgs(args), opts));

        const labels = { "app.kubernetes.io/managed-by": "tls-sidecar", "app.kubernetes.io/instance": name };
        const rollout = args.rollout ?? CertificateRollout.NewSecret;
        const makeSecret = (cert: pulumi.Input<string>, key: pulumi.Input<string>, ca: pulumi.Input<string> | undefined) =>
            new k8s.core.v1.Secret(
                name,
                {
                    metadata: {
                        // NewSecret: auto-named, so a new certificate makes a new Secret name, which rolls the Deployment.
                        // InPlace: a fixed name the pod template keeps; the proxy reloads the files kubelet swaps in.
                        name: rollout === CertificateRollout.InPlace ? pulumi.interpolate`${args.serviceName}-tls` : undefined,
                        namespace: args.namespace,
                        labels,
                    },
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

        this.clientCertificates = pulumi.secret(pulumi.output({}) as pulumi.Output<Record<string, ClientCertificate>>);
        if (args.existingSecretName !== undefined) {
            this.secretName = pulumi.output(args.existingSecretName);
            this.caCertPem = pulumi.output(undefined);
            this.certPem = pulumi.output(undefined);
            this.certNotAfter = pulumi.output(undefined);
            this.caNotAfter = pulumi.output(undefined);
            this.certRenewAfter = pulumi.output(undefined);
            this.dnsNames = pulumi.output([]);
        } else if (args.provided !== undefined) {
            const secret = makeSecret(args.provided.certificatePem, pulumi.secret(args.provided.privateKeyPem), args.provided.caCertificatePem);
            this.secretName = secret.metadata.name;
            this.caCertPem = pulumi.output(args.provided.caCertificatePem);
            this.certPem = pulumi.output(args.provided.certificatePem);
            this.certNotAfter = pulumi.output(undefined);
            this.caNotAfter = pulumi.output(undefined);
            this.certRenewAfter = pulumi.output(undefined);
            this.dnsNames = pulumi.output([]);
        } else {
            const algorithm = args.keyAlgorithm ?? KeyAlgorithm.EcdsaP256;
            const organization = args.organization ?? "tls-sidecar";
            const validityDays = args.validityDays ?? CERT_DEFAULTS.validityDays;
            const renewBeforeDays = args.renewBeforeDays ?? CERT_DEFAULTS.renewBeforeDays;
            const caValidityDays = args.caValidityDays ?? CERT_DEFAULTS.caValidityDays;
            const schedule = certificateSchedule(args);

            // One CA per generation, named by it: a new generation is created next to the old one, and the old one
            // is deleted once it has left ca.crt. Nothing about a CA changes during its life.
            const cas = new Map<number, { key: tls.PrivateKey; cert: tls.SelfSignedCert }>();
            for (const generation of schedule.caGenerations) {
                const key = new tls.PrivateKey(`${name}-ca-${generation}`, privateKeyInputs(algorithm), { parent: this });
                const cert = new tls.SelfSignedCert(
                    `${name}-ca-${generation}`,
                    {
                        privateKeyPem: key.privateKeyPem,
                        isCaCertificate: true,
                        subject: { commonName: `${name} CA ${generation}`, organization },
                        validityPeriodHours: caValidityDays * 24,
                        allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
                        setSubjectKeyId: true,
                    },
                    { parent: this },
                );
                cas.set(generation, { key, cert });
            }
            const signer = cas.get(schedule.signerGeneration)!;
            const bundle = pulumi.all(schedule.caGenerations.map((g) => cas.get(g)!.cert.certPem)).apply((pems) => pems.map(withNewline).join(""));

            const publicHost = pulumi.output(args.publicHost);
            const publicIps = publicHost.apply((h) => (h !== undefined && net.isIP(h) !== 0 ? [h] : []));
            const publicNames = publicHost.apply((h) => (h !== undefined && net.isIP(h) === 0 ? [h] : []));
            this.dnsNames = pulumi
                .all([args.serviceName, args.namespace, args.clusterDomain ?? "cluster.local", pulumi.all(args.hostnames ?? []), publicNames])
                .apply(([svc, ns, domain, hosts, pub]) => [...new Set([...serviceDnsNames(svc, ns, domain), ...hosts, ...pub])]);
            const ipAddresses = pulumi.all([pulumi.all(args.ipAddresses ?? []), publicIps]).apply(([ips, pub]) => [...new Set([...ips, ...pub])]);

            // A leaf: a new key each period (the key's name carries the period), a CSR whose subject carries it too,
            // and the certificate signed by the current signer CA. A new period or signer changes all three.
            const issue = (base: string, subject: { commonName: pulumi.Input<string>; organizationalUnit?: string }, uses: string[], sans: Partial<tls.CertRequestArgs>) => {
                const key = new tls.PrivateKey(`${base}-${schedule.leafId}`, privateKeyInputs(algorithm), { parent: this });
                const request = new tls.CertRequest(
                    base,
                    { privateKeyPem: key.privateKeyPem, subject: { ...subject, organization, serialNumber: schedule.leafId }, ...sans },
                    { parent: this },
                );
                const cert = new tls.LocallySignedCert(
                    base,
                    {
                        certRequestPem: request.certRequestPem,
                        caPrivateKeyPem: signer.key.privateKeyPem,
                        caCertPem: signer.cert.certPem,
                        validityPeriodHours: validityDays * 24,
                        // A safety net only: the provider acts on it during refresh (see docs/certificates.md).
                        earlyRenewalHours: renewBeforeDays * 24,
                        allowedUses: uses,
                        setSubjectKeyId: true,
                    },
                    { parent: this },
                );
                return { key, cert };
            };

            const server = issue(`${name}-server`, { commonName: pulumi.output(args.serviceName) }, ["digital_signature", "key_encipherment", "server_auth"], {
                dnsNames: this.dnsNames,
                ipAddresses,
            });
            const clients = (args.clientCertificates ?? []).map((consumer) => {
                const issued = issue(`${name}-client-${consumer}`, { commonName: consumer, organizationalUnit: "client" }, ["digital_signature", "key_encipherment", "client_auth"], {});
                return pulumi.all([issued.cert.certPem, issued.key.privateKeyPem]).apply(([certPem, privateKeyPem]) => [consumer, { certPem, privateKeyPem }] as const);
            });
            this.clientCertificates = pulumi.secret(pulumi.all(clients).apply((entries) => Object.fromEntries(entries) as Record<string, ClientCertificate>));

            const secret = makeSecret(server.cert.certPem, server.key.privateKeyPem, bundle);
            this.secretName = secret.metadata.name;
            this.caCertPem = bundle;
            this.certPem = server.cert.certPem;
            this.certNotAfter = server.cert.validityEndTime;
            this.caNotAfter = signer.cert.validityEndTime;
            this.certRenewAfter = pulumi.output(schedule.renewAfter);
        }

        this.registerOutputs({
            secretName: this.secretName,
            caCertPem: this.caCertPem,
            certPem: this.certPem,
            certNotAfter: this.certNotAfter,
            caNotAfter: this.caNotAfter,
            certRenewAfter: this.certRenewAfter,
            clientCertificates: this.clientCertificates,
            dnsNames: this.dnsNames,
        });
    }
}

function withNewline(pem: string): string {
    return pem.endsWith("\n") ? pem : `${pem}\n`;
}
