// What the tls provider computes, done for real with openssl so the mocked program yields certificates
// a client can verify: keys, CSRs and certificates carrying exactly the SANs and lifetimes the component asked for.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

function withTempDir<T>(fn: (dir: string) => T): T {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tls-engine-"));
    try {
        return fn(dir);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function openssl(args: string[], cwd: string): string {
    return execFileSync("openssl", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export interface PrivateKeyInputs {
    algorithm: string;
    ecdsaCurve?: string;
    rsaBits?: number;
}

export function privateKey(inputs: PrivateKeyInputs): { privateKeyPem: string; publicKeyPem: string; privateKeyPemPkcs8: string } {
    const pair =
        inputs.algorithm === "ECDSA"
            ? crypto.generateKeyPairSync("ec", { namedCurve: { P224: "P-224", P256: "P-256", P384: "P-384", P521: "P-521" }[inputs.ecdsaCurve ?? "P224"]! })
            : crypto.generateKeyPairSync("rsa", { modulusLength: inputs.rsaBits ?? 2048 });
    const traditional = pair.privateKey.export({ format: "pem", type: inputs.algorithm === "ECDSA" ? "sec1" : "pkcs1" }) as string;
    return {
        privateKeyPem: traditional,
        privateKeyPemPkcs8: pair.privateKey.export({ format: "pem", type: "pkcs8" }) as string,
        publicKeyPem: pair.publicKey.export({ format: "pem", type: "spki" }) as string,
    };
}

interface Subject {
    commonName?: string;
    organization?: string;
    organizationalUnit?: string;
    serialNumber?: string;
}

function subjectArg(s: Subject | undefined): string {
    const parts = [
        s?.organization ? `/O=${s.organization}` : "",
        s?.organizationalUnit ? `/OU=${s.organizationalUnit}` : "",
        s?.commonName ? `/CN=${s.commonName}` : "",
        s?.serialNumber ? `/serialNumber=${s.serialNumber}` : "",
    ].join("");
    return parts === "" ? "/" : parts;
}

function sanLine(dnsNames: string[] = [], ipAddresses: string[] = []): string | undefined {
    const sans = [...dnsNames.map((d) => `DNS:${d}`), ...ipAddresses.map((ip) => `IP:${ip}`)];
    return sans.length > 0 ? `subjectAltName=${sans.join(",")}` : undefined;
}

const USES: Record<string, [string, string]> = {
    cert_signing: ["keyUsage", "keyCertSign"],
    crl_signing: ["keyUsage", "cRLSign"],
    digital_signature: ["keyUsage", "digitalSignature"],
    key_encipherment: ["keyUsage", "keyEncipherment"],
    server_auth: ["extendedKeyUsage", "serverAuth"],
    client_auth: ["extendedKeyUsage", "clientAuth"],
};

function extensions(allowedUses: string[], isCa: boolean): string[] {
    const key = allowedUses.filter((u) => USES[u]?.[0] === "keyUsage").map((u) => USES[u][1]);
    const ext = allowedUses.filter((u) => USES[u]?.[0] === "extendedKeyUsage").map((u) => USES[u][1]);
    return [
        `basicConstraints=critical,CA:${isCa ? "TRUE" : "FALSE"}`,
        ...(key.length > 0 ? [`keyUsage=critical,${key.join(",")}`] : []),
        ...(ext.length > 0 ? [`extendedKeyUsage=${ext.join(",")}`] : []),
        "subjectKeyIdentifier=hash",
    ];
}

function days(hours: number): string {
    return String(Math.max(1, Math.ceil(hours / 24)));
}

function validity(certPem: string): { validityStartTime: string; validityEndTime: string } {
    const cert = new crypto.X509Certificate(certPem);
    return { validityStartTime: new Date(cert.validFrom).toISOString(), validityEndTime: new Date(cert.validTo).toISOString() };
}

export interface CertRequestInputs {
    privateKeyPem: string;
    subject?: Subject;
    dnsNames?: string[];
    ipAddresses?: string[];
}

export function certRequest(inputs: CertRequestInputs): { certRequestPem: string } {
    return withTempDir((dir) => {
        fs.writeFileSync(path.join(dir, "key.pem"), inputs.privateKeyPem);
        const san = sanLine(inputs.dnsNames, inputs.ipAddresses);
        const pem = openssl(["req", "-new", "-key", "key.pem", "-subj", subjectArg(inputs.subject), ...(san ? ["-addext", san] : [])], dir);
        return { certRequestPem: pem };
    });
}

export interface SelfSignedCertInputs extends CertRequestInputs {
    isCaCertificate?: boolean;
    validityPeriodHours: number;
    allowedUses: string[];
}

export function selfSignedCert(inputs: SelfSignedCertInputs): { certPem: string; validityStartTime: string; validityEndTime: string } {
    return withTempDir((dir) => {
        fs.writeFileSync(path.join(dir, "key.pem"), inputs.privateKeyPem);
        const san = sanLine(inputs.dnsNames, inputs.ipAddresses);
        const exts = [...extensions(inputs.allowedUses, inputs.isCaCertificate ?? false), ...(san ? [san] : [])];
        const pem = openssl(
            ["req", "-x509", "-new", "-key", "key.pem", "-subj", subjectArg(inputs.subject), "-days", days(inputs.validityPeriodHours), ...exts.flatMap((e) => ["-addext", e])],
            dir,
        );
        return { certPem: pem, ...validity(pem) };
    });
}

export interface LocallySignedCertInputs {
    certRequestPem: string;
    caPrivateKeyPem: string;
    caCertPem: string;
    validityPeriodHours: number;
    allowedUses: string[];
    isCaCertificate?: boolean;
}

export function locallySignedCert(inputs: LocallySignedCertInputs): { certPem: string; validityStartTime: string; validityEndTime: string } {
    return withTempDir((dir) => {
        fs.writeFileSync(path.join(dir, "req.pem"), inputs.certRequestPem);
        fs.writeFileSync(path.join(dir, "ca.key"), inputs.caPrivateKeyPem);
        fs.writeFileSync(path.join(dir, "ca.crt"), inputs.caCertPem);
        fs.writeFileSync(path.join(dir, "ext.cnf"), extensions(inputs.allowedUses, inputs.isCaCertificate ?? false).join("\n") + "\n");
        const serial = `0x${crypto.randomBytes(16).toString("hex")}`;
        const pem = openssl(
            ["x509", "-req", "-in", "req.pem", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", serial, "-days", days(inputs.validityPeriodHours), "-copy_extensions", "copy", "-extfile", "ext.cnf"],
            dir,
        );
        return { certPem: pem, ...validity(pem) };
    });
}
