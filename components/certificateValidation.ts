// SidecarCertificates' argument checks (and TlsSidecarApp's `tls`): every independent check runs.
import * as pulumi from "@pulumi/pulumi";
import type { SidecarCertificatesArgs } from "./certificates";
import { CERT_DEFAULTS } from "./certificates";
import { broughtCertificateProblems } from "./broughtCertificate";
import { CertificateRollout, KeyAlgorithm } from "./enums";
import { DEFAULT_SCHEDULE_EPOCH, parseTime } from "./rotation";
import { checkDnsLabel, checked, checkEnum, checkHost, checkHostname, checkIpAddress, checkNonEmptyString, checkPositiveInteger, ConfigError, isKnown, Problems } from "./validation";

/** Throws one ConfigError naming every bad argument found. */
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
