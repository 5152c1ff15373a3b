// Throwaway X.509 material for the e2e, made with the openssl CLI (node:crypto cannot issue certificates).
import { randomBytes, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./docker";

export interface CA {
    cert: string;
    key: string;
}

export interface ServerCert {
    cert: string;
    key: string;
    serial: string; // upper-case hex, as X509Certificate.serialNumber prints it
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
    const dir = mkdtempSync(join(tmpdir(), "tls-e2e-certs-"));
    try {
        return await fn(dir);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

export function makeCA(commonName: string): Promise<CA> {
    return withDir(async (dir) => {
        await run("openssl", ["req", "-x509", ...ecKey, "-keyout", join(dir, "ca.key"), "-out", join(dir, "ca.crt"),
            "-days", "2", "-subj", `/CN=${commonName}`,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
        return { cert: readFileSync(join(dir, "ca.crt"), "utf8"), key: readFileSync(join(dir, "ca.key"), "utf8") };
    });
}

/** sans in OpenSSL syntax, e.g. ["DNS:app.default.svc", "IP:127.0.0.1"]. */
export function issueServerCert(ca: CA, commonName: string, sans: string[]): Promise<ServerCert> {
    return withDir(async (dir) => {
        writeFileSync(join(dir, "ca.crt"), ca.cert);
        writeFileSync(join(dir, "ca.key"), ca.key, { mode: 0o600 });
        writeFileSync(join(dir, "ext.cnf"), [
            "basicConstraints=critical,CA:FALSE",
            "keyUsage=critical,digitalSignature",
            "extendedKeyUsage=serverAuth",
            `subjectAltName=${sans.join(",")}`,
        ].join("\n") + "\n");
        await run("openssl", ["req", ...ecKey, "-keyout", join(dir, "tls.key"), "-out", join(dir, "tls.csr"), "-subj", `/CN=${commonName}`]);
        await run("openssl", ["x509", "-req", "-in", join(dir, "tls.csr"), "-CA", join(dir, "ca.crt"), "-CAkey", join(dir, "ca.key"),
            "-set_serial", "0x" + randomBytes(12).toString("hex").replace(/^0/, "1"), "-days", "2",
            "-extfile", join(dir, "ext.cnf"), "-out", join(dir, "tls.crt")]);
        const cert = readFileSync(join(dir, "tls.crt"), "utf8");
        return { cert, key: readFileSync(join(dir, "tls.key"), "utf8"), serial: new X509Certificate(cert).serialNumber };
    });
}

/** The SANs of a PEM certificate in OpenSSL syntax ("DNS:x", "IP:1.2.3.4"), e.g. to issue a successor. */
export function sansOf(certPem: string): string[] {
    const alt = new X509Certificate(certPem).subjectAltName ?? "";
    return alt.split(",").map((s) => s.trim()).filter(Boolean).map((s) => s.replace(/^IP Address:/, "IP:"));
}

/** The first DNS SAN: the name the e2e client verifies the proxy's certificate against. */
export function dnsNameOf(certPem: string): string {
    const dns = sansOf(certPem).find((s) => s.startsWith("DNS:"));
    if (!dns) {
        throw new Error("the pod's tls.crt has no DNS subjectAltName to verify against");
    }
    return dns.slice(4);
}
