// Certificates and keys a user might bring (tls.certificatePem, tls.privateKeyPem, tls.caCertificatePem), made for
// real with the openssl CLI at test time: a CA, certificates it signs with any validity window, and their keys.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface KeyedCertificate {
    cert: string;
    key: string;
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

// `openssl ca` is the CLI's one way to set both ends of a validity window (OpenSSL 3.0's x509 and req only take -days).
const CA_CONFIG = ["[ca]", "default_ca = here", "[here]", "database = index.txt", "new_certs_dir = .", "serial = serial", "default_md = sha256", "policy = any", "copy_extensions = copy", "unique_subject = no", "[any]", "commonName = supplied", ""].join("\n");

function inTempDir<T>(fn: (run: (args: string[]) => void, read: (file: string) => string, write: (file: string, text: string) => void) => T): T {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "brought-certs-"));
    try {
        return fn(
            (args) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] }),
            (file) => fs.readFileSync(path.join(dir, file), "utf8"),
            (file, text) => fs.writeFileSync(path.join(dir, file), text),
        );
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

export function makeCa(commonName = "brought test CA"): KeyedCertificate {
    return inTempDir((run, read) => {
        run(["req", "-x509", ...EC_KEY, "-keyout", "ca.key", "-out", "ca.crt", "-days", "30", "-subj", `/CN=${commonName}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
        return { cert: read("ca.crt"), key: read("ca.key") };
    });
}

/** OpenSSL's `YYYYMMDDHHMMSSZ`. */
function opensslTime(date: Date): string {
    return date.toISOString().replace(/[-:T]/g, "").replace(/\.\d{3}Z$/, "Z");
}

const HOUR = 3600_000;

export interface IssueOptions {
    commonName?: string;
    /** Default an hour ago. */
    notBefore?: Date;
    /** Default in 30 days. */
    notAfter?: Date;
    /** An intermediate CA rather than a server certificate. */
    intermediate?: boolean;
}

/** A certificate signed by `ca`, with its key. */
export function issue(ca: KeyedCertificate, options: IssueOptions = {}): KeyedCertificate {
    const { commonName = "app.example.com", notBefore = new Date(Date.now() - HOUR), notAfter = new Date(Date.now() + 720 * HOUR), intermediate = false } = options;
    const extensions = intermediate ? ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"] : [`subjectAltName=DNS:${commonName}`];
    return inTempDir((run, read, write) => {
        write("ca.crt", ca.cert);
        write("ca.key", ca.key);
        write("ca.cnf", CA_CONFIG);
        write("index.txt", "");
        write("serial", "01\n");
        run(["req", "-new", ...EC_KEY, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", `/CN=${commonName}`, ...extensions.flatMap((e) => ["-addext", e])]);
        run(["ca", "-batch", "-config", "ca.cnf", "-cert", "ca.crt", "-keyfile", "ca.key", "-in", "leaf.csr", "-out", "leaf.crt", "-notext", "-startdate", opensslTime(notBefore), "-enddate", opensslTime(notAfter)]);
        return { cert: read("leaf.crt"), key: read("leaf.key") };
    });
}

export interface Brought {
    ca: string;
    cert: string;
    key: string;
}

let made: Brought | undefined;

/** A CA, a certificate it signed (valid now) and its key: what a user brings. Made once per test run. */
export function brought(): Brought {
    if (made === undefined) {
        const ca = makeCa();
        const leaf = issue(ca);
        made = { ca: ca.cert, cert: leaf.cert, key: leaf.key };
    }
    return made;
}

/** The PEM with its base64 body replaced by bytes that are no DER: headers intact, contents garbage. */
export function garbled(pem: string): string {
    return pem.replace(/(-----BEGIN [A-Z ]+-----\n)[\s\S]+?(\n-----END)/, `$1${Buffer.from("not a DER structure at all").toString("base64")}$2`);
}
