// A certificate brought by the user (tls.certificatePem, its key and CA), parsed with node:crypto before the proxy
// ever loads it: every PEM block must parse, the key must be the certificate's, the certificates valid now, and the
// CA bundle must sign the certificate (directly, or through the intermediates that follow it). A key is never shown.
import { createPrivateKey, KeyObject, X509Certificate } from "crypto";
import { ConfigProblem, Problems, SECRET_NOT_SHOWN } from "../validation";

const CERT = "tls.certificatePem";
const KEY = "tls.privateKeyPem";
const CA = "tls.caCertificatePem";

/** A certificate's PEM shown in a message: its start only (it is public, but long). */
function shown(pem: string): string {
    return pem.length > 40 ? `${pem.slice(0, 40)}…` : pem;
}

/** The certificates in `pem` (a bundle: one or more CERTIFICATE blocks); a problem, and undefined, when one does not parse. */
function parseCertificates(path: string, pem: unknown, what: string, problems: Problems): X509Certificate[] | undefined {
    const blocks = typeof pem === "string" ? (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []) : [];
    if (blocks.length === 0) {
        problems.add({ path, value: typeof pem === "string" ? shown(pem) : pem, allowed: `${what}: PEM "-----BEGIN CERTIFICATE-----" blocks` });
        return undefined;
    }
    const parsed: X509Certificate[] = [];
    blocks.forEach((block, i) => {
        try {
            parsed.push(new X509Certificate(block));
        } catch (e) {
            problems.add({ path, value: shown(pem as string), allowed: `${what}: PEM certificates that parse as X.509 (certificate ${i + 1} of ${blocks.length} does not: ${(e as Error).message})` });
        }
    });
    return parsed.length === blocks.length ? parsed : undefined;
}

function parseKey(pem: unknown, problems: Problems): KeyObject | undefined {
    try {
        if (typeof pem !== "string" || !pem.includes("-----BEGIN")) throw new Error("no PEM block");
        return createPrivateKey(pem);
    } catch {
        // The parser's message is left out: it may quote part of the key.
        problems.add({ path: KEY, value: SECRET_NOT_SHOWN, allowed: "an unencrypted PEM private key that parses (PKCS #8 \"-----BEGIN PRIVATE KEY-----\", or PKCS #1 RSA or SEC 1 EC)" });
        return undefined;
    }
}

function checkValidNow(path: string, cert: X509Certificate, now: number, problems: Problems): void {
    const from = new Date(cert.validFrom);
    const to = new Date(cert.validTo);
    const window = `the certificate "${cert.subject.replace(/\n/g, ", ")}", valid from ${from.toISOString()} to ${to.toISOString()}`;
    if (now < from.getTime()) {
        problems.add({ path, value: window, allowed: `a certificate valid now (${new Date(now).toISOString()}): this one is not valid yet` });
    } else if (now > to.getTime()) {
        problems.add({ path, value: window, allowed: `a certificate valid now (${new Date(now).toISOString()}): this one has expired` });
    }
}

function signs(issuer: X509Certificate, cert: X509Certificate): boolean {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/** The CA certificate that signs `chain[0]`, following the intermediates in `chain`; undefined when none does. */
function signingCa(chain: X509Certificate[], cas: X509Certificate[]): X509Certificate | undefined {
    let current = chain[0];
    for (let hops = 0; hops < chain.length; hops++) {
        const ca = cas.find((c) => signs(c, current));
        if (ca !== undefined) return ca;
        const next = chain.find((c) => c !== current && signs(c, current));
        if (next === undefined) return undefined;
        current = next;
    }
    return undefined;
}

/** Every problem with a brought certificate, its key and (optional) CA bundle, each under its argument. */
export function broughtCertificateProblems(certificatePem: unknown, privateKeyPem: unknown, caCertificatePem: unknown, now = Date.now()): ConfigProblem[] {
    const problems = new Problems();
    const chain = parseCertificates(CERT, certificatePem, "the server certificate, then any intermediates", problems);
    const key = parseKey(privateKeyPem, problems);
    const cas = caCertificatePem === undefined ? undefined : parseCertificates(CA, caCertificatePem, "the CA certificates that sign tls.certificatePem", problems);
    if (chain !== undefined) {
        chain.forEach((c) => checkValidNow(CERT, c, now, problems));
        if (key !== undefined && !chain[0].checkPrivateKey(key)) {
            problems.add({ path: KEY, value: SECRET_NOT_SHOWN, allowed: `the private key of tls.certificatePem ("${chain[0].subject.replace(/\n/g, ", ")}"): this key is another's` });
        }
        if (cas !== undefined) {
            const ca = signingCa(chain, cas);
            if (ca === undefined) {
                problems.add({ path: CA, value: shown(caCertificatePem as string), allowed: `a CA bundle with the certificate that signed tls.certificatePem (issuer "${chain[chain.length - 1].issuer.replace(/\n/g, ", ")}"): none of its ${cas.length} certificate(s) does` });
            } else {
                checkValidNow(CA, ca, now, problems);
            }
        }
    }
    return [...problems.all];
}
