// The sidecar's TLS material: a private CA and the server certificate it signs (generated and renewed on a schedule),
// or a certificate brought by the user, or an existing Secret; the `kubernetes.io/tls` Secret the proxy mounts; and
// the checks of these arguments, at the foot.
import * as net from "net";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { withLateChecks } from "../lateChecks";
import { checkDnsLabel, checked, checkEnum, checkHost, checkHostname, checkIpAddress, checkNonEmptyString, checkPositiveInteger, ConfigError, isKnown, Problems } from "../validation";
import { broughtCertificateProblems } from "./broughtCertificate";
import { DEFAULT_SCHEDULE_EPOCH, parseTime, Schedule, scheduleAt } from "./rotation";

/** Key algorithm of the generated CA and server keys. */
export enum KeyAlgorithm {
    EcdsaP256 = "ECDSA-P256",
    EcdsaP384 = "ECDSA-P384",
    Rsa2048 = "RSA-2048",
    Rsa3072 = "RSA-3072",
    Rsa4096 = "RSA-4096",
}

/** How pods get a renewed certificate. */
export enum CertificateRollout {
    /**
     * The default. Every new certificate goes into a new, auto-named Secret; the pod template's Secret name changes,
     * so the Deployment rolls (maxUnavailable 0) and `pulumi up` waits until the new pods are ready.
     */
    NewSecret = "new-secret",
    /**
     * One Secret with a fixed name, updated in place: the pod template never changes and the proxy reloads the
     * renewed files (kubelet's `..data` swap) without a restart, once the kubelet has synced the volume.
     */
    InPlace = "in-place",
}

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
        const made = args.existingSecretName !== undefined ? existingSecret(args.existingSecretName) : args.provided !== undefined ? providedSecret(name, args, args.provided, this) : generated(name, args, this);
        this.secretName = made.secretName;
        this.caCertPem = made.caCertPem;
        this.certPem = made.certPem;
        this.certNotAfter = made.certNotAfter;
        this.caNotAfter = made.caNotAfter;
        this.certRenewAfter = made.certRenewAfter;
        this.clientCertificates = made.clientCertificates;
        this.dnsNames = made.dnsNames;
        this.registerOutputs({ ...made });
    }
}

/** SidecarCertificates' outputs, as each source of the certificate makes them. */
type CertificateOutputs = Pick<SidecarCertificates, "secretName" | "caCertPem" | "certPem" | "certNotAfter" | "caNotAfter" | "certRenewAfter" | "clientCertificates" | "dnsNames">;

const NO_CLIENT_CERTIFICATES = () => pulumi.secret(pulumi.output({}) as pulumi.Output<Record<string, ClientCertificate>>);
const UNKNOWN = () => pulumi.output<string | undefined>(undefined);

/** An existing Secret, mounted as it is: nothing is created. */
function existingSecret(secretName: pulumi.Input<string>): CertificateOutputs {
    return { secretName: pulumi.output(secretName), caCertPem: UNKNOWN(), certPem: UNKNOWN(), certNotAfter: UNKNOWN(), caNotAfter: UNKNOWN(), certRenewAfter: UNKNOWN(), clientCertificates: NO_CLIENT_CERTIFICATES(), dnsNames: pulumi.output([]) };
}

/** The `kubernetes.io/tls` Secret the proxy mounts (`tls.crt`, `tls.key` and, when there is one, `ca.crt`). */
function tlsSecret(name: string, args: SidecarCertificatesArgs, cert: pulumi.Input<string>, key: pulumi.Input<string>, ca: pulumi.Input<string> | undefined, parent: pulumi.Resource): k8s.core.v1.Secret {
    const rollout = args.rollout ?? CertificateRollout.NewSecret;
    return new k8s.core.v1.Secret(
        name,
        {
            metadata: {
                // NewSecret: auto-named, so a new certificate makes a new Secret name, which rolls the Deployment.
                // InPlace: a fixed name the pod template keeps; the proxy reloads the files kubelet swaps in.
                name: rollout === CertificateRollout.InPlace ? pulumi.interpolate`${args.serviceName}-tls` : undefined,
                namespace: args.namespace,
                labels: { "app.kubernetes.io/managed-by": "tls-sidecar", "app.kubernetes.io/instance": name },
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
        { parent },
    );
}

/** A certificate brought by the user, in a Secret made here. */
function providedSecret(name: string, args: SidecarCertificatesArgs, provided: ProvidedCertificate, parent: pulumi.Resource): CertificateOutputs {
    const secret = tlsSecret(name, args, provided.certificatePem, pulumi.secret(provided.privateKeyPem), provided.caCertificatePem, parent);
    return {
        ...existingSecret(secret.metadata.name),
        caCertPem: pulumi.output(provided.caCertificatePem),
        certPem: pulumi.output(provided.certificatePem),
    };
}

interface Authority {
    key: tls.PrivateKey;
    cert: tls.SelfSignedCert;
}

/**
 * One CA per generation, named by it: a new generation is created next to the old one, and the old one is deleted
 * once it has left ca.crt. Nothing about a CA changes during its life.
 */
function authorities(name: string, schedule: Schedule, algorithm: KeyAlgorithm, organization: pulumi.Input<string>, caValidityDays: number, parent: pulumi.Resource): Map<number, Authority> {
    const cas = new Map<number, Authority>();
    for (const generation of schedule.caGenerations) {
        const key = new tls.PrivateKey(`${name}-ca-${generation}`, privateKeyInputs(algorithm), { parent });
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
            { parent },
        );
        cas.set(generation, { key, cert });
    }
    return cas;
}

/** What every leaf certificate of a run shares: its period, its signer, its lifetime. */
interface LeafPolicy {
    schedule: Schedule;
    signer: Authority;
    algorithm: KeyAlgorithm;
    organization: pulumi.Input<string>;
    validityDays: number;
    renewBeforeDays: number;
}

/**
 * A leaf: a new key each period (the key's name carries the period), a CSR whose subject carries it too, and the
 * certificate signed by the current signer CA. A new period or signer changes all three.
 */
function issue(base: string, subject: { commonName: pulumi.Input<string>; organizationalUnit?: string }, uses: string[], sans: Partial<tls.CertRequestArgs>, policy: LeafPolicy, parent: pulumi.Resource) {
    const key = new tls.PrivateKey(`${base}-${policy.schedule.leafId}`, privateKeyInputs(policy.algorithm), { parent });
    const request = new tls.CertRequest(base, { privateKeyPem: key.privateKeyPem, subject: { ...subject, organization: policy.organization, serialNumber: policy.schedule.leafId }, ...sans }, { parent });
    const cert = new tls.LocallySignedCert(
        base,
        {
            certRequestPem: request.certRequestPem,
            caPrivateKeyPem: policy.signer.key.privateKeyPem,
            caCertPem: policy.signer.cert.certPem,
            validityPeriodHours: policy.validityDays * 24,
            // A safety net only: the provider acts on it during refresh (see docs/certificates.md).
            earlyRenewalHours: policy.renewBeforeDays * 24,
            allowedUses: uses,
            setSubjectKeyId: true,
        },
        { parent },
    );
    return { key, cert };
}

/** The CA(s), the server certificate for the Service's names, the client certificates, and their Secret. */
function generated(name: string, args: SidecarCertificatesArgs, parent: pulumi.Resource): CertificateOutputs {
    const algorithm = args.keyAlgorithm ?? KeyAlgorithm.EcdsaP256;
    const organization = args.organization ?? "tls-sidecar";
    const schedule = certificateSchedule(args);
    const cas = authorities(name, schedule, algorithm, organization, args.caValidityDays ?? CERT_DEFAULTS.caValidityDays, parent);
    const signer = cas.get(schedule.signerGeneration)!;
    const bundle = pulumi.all(schedule.caGenerations.map((g) => cas.get(g)!.cert.certPem)).apply((pems) => pems.map(withNewline).join(""));
    const policy: LeafPolicy = {
        schedule,
        signer,
        algorithm,
        organization,
        validityDays: args.validityDays ?? CERT_DEFAULTS.validityDays,
        renewBeforeDays: args.renewBeforeDays ?? CERT_DEFAULTS.renewBeforeDays,
    };

    const publicHost = pulumi.output(args.publicHost);
    const publicIps = publicHost.apply((h) => (h !== undefined && net.isIP(h) !== 0 ? [h] : []));
    const publicNames = publicHost.apply((h) => (h !== undefined && net.isIP(h) === 0 ? [h] : []));
    const dnsNames = pulumi
        .all([args.serviceName, args.namespace, args.clusterDomain ?? "cluster.local", pulumi.all(args.hostnames ?? []), publicNames])
        .apply(([svc, ns, domain, hosts, pub]) => [...new Set([...serviceDnsNames(svc, ns, domain), ...hosts, ...pub])]);
    const ipAddresses = pulumi.all([pulumi.all(args.ipAddresses ?? []), publicIps]).apply(([ips, pub]) => [...new Set([...ips, ...pub])]);

    const server = issue(`${name}-server`, { commonName: pulumi.output(args.serviceName) }, ["digital_signature", "key_encipherment", "server_auth"], { dnsNames, ipAddresses }, policy, parent);
    const clients = (args.clientCertificates ?? []).map((consumer) => {
        const issued = issue(`${name}-client-${consumer}`, { commonName: consumer, organizationalUnit: "client" }, ["digital_signature", "key_encipherment", "client_auth"], {}, policy, parent);
        return pulumi.all([issued.cert.certPem, issued.key.privateKeyPem]).apply(([certPem, privateKeyPem]) => [consumer, { certPem, privateKeyPem }] as const);
    });
    const secret = tlsSecret(name, args, server.cert.certPem, server.key.privateKeyPem, bundle, parent);
    return {
        secretName: secret.metadata.name,
        caCertPem: bundle,
        certPem: server.cert.certPem,
        certNotAfter: server.cert.validityEndTime,
        caNotAfter: signer.cert.validityEndTime,
        certRenewAfter: pulumi.output(schedule.renewAfter),
        clientCertificates: pulumi.secret(pulumi.all(clients).apply((entries) => Object.fromEntries(entries) as Record<string, ClientCertificate>)),
        dnsNames,
    };
}

function withNewline(pem: string): string {
    return pem.endsWith("\n") ? pem : `${pem}\n`;
}

/** SidecarCertificates' arguments (and TlsSidecarApp's `tls`): one ConfigError naming every bad one. */
export function validateCertificatesArgs(args: SidecarCertificatesArgs): void {
    const problems = new Problems();
    problems.check(() => checkSource(args));
    if (args.keyAlgorithm !== undefined) problems.check(() => checkEnum("tls.keyAlgorithm", args.keyAlgorithm, KeyAlgorithm));
    (args.hostnames ?? []).forEach((h, i) => problems.check(() => checked(h, (v) => checkHostname(`tls.hostnames[${i}]`, v))));
    (args.ipAddresses ?? []).forEach((ip, i) => problems.check(() => checked(ip, (v) => checkIpAddress(`tls.ipAddresses[${i}]`, v))));
    if (args.publicHost !== undefined) problems.check(() => checked(args.publicHost!, (v) => checkHost("publicHost", v)));
    if (args.clusterDomain !== undefined) problems.check(() => checked(args.clusterDomain!, (v) => checkHostname("tls.clusterDomain", v)));
    problems.check(() => checkLifetimes(args));
    if (args.rollout !== undefined) problems.check(() => checkEnum("tls.rollout", args.rollout, CertificateRollout));
    problems.check(() => checkSchedule(args));
    problems.check(() => checkConsumers(args));
    problems.throwIfAny();
}

/** Generated, provided, or an existing Secret: one of them, complete. */
function checkSource(args: SidecarCertificatesArgs): void {
    if (args.existingSecretName !== undefined && args.provided !== undefined) {
        throw new ConfigError("tls.existingSecretName", args.existingSecretName, "either tls.existingSecretName or tls.certificatePem with tls.privateKeyPem, not both");
    }
    if (args.existingSecretName !== undefined) {
        checked(args.existingSecretName, (v) => checkDnsSubdomain("tls.existingSecretName", v));
    }
    if (args.provided === undefined) {
        return;
    }
    const { certificatePem, privateKeyPem, caCertificatePem } = args.provided;
    const problems = new Problems();
    if (certificatePem === undefined || certificatePem === "") {
        problems.add({ path: "tls.certificatePem", value: certificatePem, allowed: "the PEM of the server certificate, given with its key" });
    }
    if (privateKeyPem === undefined || privateKeyPem === "") {
        problems.add({ path: "tls.privateKeyPem", value: privateKeyPem, allowed: "the PEM of the certificate's private key: a certificate needs its key" });
    }
    problems.throwIfAny();
    // Parsed together: whether the key is the certificate's and the CA signs it needs all three.
    const brought = [certificatePem, privateKeyPem, caCertificatePem];
    checked(brought.every((v) => isKnown(v)) ? brought : pulumi.all(brought), ([cert, key, ca]) => {
        const found = broughtCertificateProblems(cert, key, ca);
        if (found.length > 0) throw ConfigError.of(found);
    });
}

/** Lifetimes: each a plain positive integer, then how they relate (only once each is valid). */
function checkLifetimes(args: SidecarCertificatesArgs): void {
    const validity = args.validityDays ?? CERT_DEFAULTS.validityDays;
    const renewBefore = args.renewBeforeDays ?? CERT_DEFAULTS.renewBeforeDays;
    const caValidity = args.caValidityDays ?? CERT_DEFAULTS.caValidityDays;
    const caOverlap = args.caOverlapDays ?? CERT_DEFAULTS.caOverlapDays;
    const problems = new Problems();
    // Plain numbers: they set the schedule, hence resource names, which must be known when the program runs.
    for (const [path, value, max] of [
        ["tls.validityDays", validity, 36500],
        ["tls.renewBeforeDays", renewBefore, 36500],
        ["tls.caValidityDays", caValidity, 36500],
        ["tls.caOverlapDays", caOverlap, 3650],
    ] as const) {
        problems.check(() => {
            checkPlain(path, value);
            checkPositiveInteger(path, value, max);
        });
    }
    problems.throwIfAny();
    if (renewBefore >= validity) {
        throw new ConfigError("tls.renewBeforeDays", renewBefore, `fewer days than tls.validityDays (${validity}): the renewal window must fit inside the certificate's lifetime`);
    }
    if (caValidity <= validity) {
        throw new ConfigError("tls.caValidityDays", caValidity, `more days than tls.validityDays (${validity}): the CA must outlive the certificates it signs`);
    }
    if (caValidity < validity + 2 * caOverlap) {
        throw new ConfigError(
            "tls.caValidityDays",
            caValidity,
            `at least tls.validityDays + 2 × tls.caOverlapDays (${validity + 2 * caOverlap}): a CA is in ca.crt for an overlap before it signs and after it stops`,
        );
    }
}

function checkSchedule(args: SidecarCertificatesArgs): void {
    for (const [path, value] of [["tls.clock", args.clock], ["tls.scheduleEpoch", args.scheduleEpoch]] as const) {
        if (value !== undefined && (typeof value !== "string" || Number.isNaN(parseTime(value)))) {
            throw new ConfigError(path, value, 'an RFC 3339 time such as "2025-01-01T00:00:00Z"');
        }
    }
    const epoch = parseTime(args.scheduleEpoch ?? DEFAULT_SCHEDULE_EPOCH);
    const now = args.clock === undefined ? Date.now() : parseTime(args.clock);
    if (now < epoch) {
        throw new ConfigError("tls.scheduleEpoch", args.scheduleEpoch ?? DEFAULT_SCHEDULE_EPOCH, `a time not after the clock (${new Date(now).toISOString()}): renewal periods count from it`);
    }
}

function checkConsumers(args: SidecarCertificatesArgs): void {
    const consumers = args.clientCertificates ?? [];
    if (!Array.isArray(consumers)) {
        throw new ConfigError("tls.clientCertificates", consumers, "a list of consumer names");
    }
    if (consumers.length > 0 && (args.existingSecretName !== undefined || args.provided !== undefined)) {
        throw new ConfigError("tls.clientCertificates", consumers, "[] with a certificate or Secret you bring: client certificates are signed by the generated CA, whose key only exists when it is generated here");
    }
    consumers.forEach((consumer, i) => {
        checkDnsLabel(`tls.clientCertificates[${i}]`, consumer);
        if (consumers.indexOf(consumer) !== i) {
            throw new ConfigError(`tls.clientCertificates[${i}]`, consumer, "a name not already in the list: each consumer gets one certificate");
        }
    });
}

function checkPlain(path: string, value: unknown): void {
    if (!isKnown(value as pulumi.Input<unknown>)) {
        throw new ConfigError(path, "(an Output)", "a plain number: it sets the renewal schedule, which names resources");
    }
}

function checkDnsSubdomain(path: string, value: unknown): void {
    if (typeof value !== "string" || value.length > 253 || !value.split(".").every((l) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(l))) {
        throw new ConfigError(path, value, "a Kubernetes object name: lower-case letters, digits, '-' and '.', at most 253 characters");
    }
    checkNonEmptyString(path, value);
}
