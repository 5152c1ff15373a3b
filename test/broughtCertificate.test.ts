// A certificate, key and CA bundle brought by the user are parsed with node:crypto, not matched by their PEM headers:
// each refused (naming the argument or config key, never showing the key) before anything is registered, whether
// given as plain values, as stack config (secret or not) or as Outputs resolved later.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import type * as Components from "../components";
import { broughtCertificateProblems } from "../components/tls/broughtCertificate";
import { brought, garbled, issue, makeCa } from "./support/broughtCertificates";
import { minimalArgs } from "./support/fixtures";
import { EngineMocks, installMocks, settled } from "./support/mocks";
import { refusal } from "./support/program";
import { reportedOnceOn } from "./support/unhandledRejections";

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** One line per problem: `path: allowed`, the value left out (each case asserts what is shown separately). */
function problemsOf(cert: unknown, key: unknown, ca?: unknown): string[] {
    return broughtCertificateProblems(cert, key, ca).map((p) => `${p.path}: ${p.allowed}`);
}

describe("a brought certificate, parsed", () => {
    const { ca, cert, key } = brought();

    it("accepts a certificate with its own key, signed by the CA bundle", () => {
        assert.deepStrictEqual(problemsOf(cert, key, ca), []);
        assert.deepStrictEqual(problemsOf(cert, key), [], "the CA bundle is optional");
    });

    it("accepts a chain through an intermediate, and a bundle whose second CA signs it", () => {
        const root = makeCa("root");
        const intermediate = issue(root, { commonName: "intermediate", intermediate: true });
        const leaf = issue(intermediate);
        assert.deepStrictEqual(problemsOf(leaf.cert + intermediate.cert, leaf.key, root.cert), []);
        assert.deepStrictEqual(problemsOf(leaf.cert, leaf.key, makeCa("other").cert + intermediate.cert), []);
    });

    it("refuses a certificate whose body does not parse", () => {
        assert.deepStrictEqual(
            problemsOf(garbled(cert), key, ca).map((l) => l.replace(/does not: .*\)$/, "does not: …)")),
            ["tls.certificatePem: the server certificate, then any intermediates: PEM certificates that parse as X.509 (certificate 1 of 1 does not: …)"],
        );
        assert.match(problemsOf("hello", key)[0], /^tls\.certificatePem: .*PEM "-----BEGIN CERTIFICATE-----" blocks$/);
    });

    for (const [what, bad] of [
        ["a key whose body does not parse", garbled(key)],
        ["a key that is no PEM at all", "garbage"],
    ]) {
        it(`refuses ${what}, never showing it`, () => {
            const found = broughtCertificateProblems(cert, bad, ca);
            assert.deepStrictEqual(
                found.map((p) => [p.path, p.value]),
                [["tls.privateKeyPem", "(a secret value, not shown)"]],
            );
            assert.match(found[0].allowed, /^an unencrypted PEM private key that parses/);
        });
    }

    it("refuses a key that belongs to another certificate", () => {
        const other = issue(makeCa("other"));
        const found = broughtCertificateProblems(cert, other.key, ca);
        assert.deepStrictEqual(
            found.map((p) => [p.path, p.value]),
            [["tls.privateKeyPem", "(a secret value, not shown)"]],
        );
        assert.match(found[0].allowed, /^the private key of tls\.certificatePem \("CN=app\.example\.com"\): this key is another's$/);
    });

    it("refuses a certificate already expired, and one not yet valid", () => {
        const authority = makeCa();
        const expired = issue(authority, { notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) });
        const early = issue(authority, { notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 30 * DAY) });
        assert.match(problemsOf(expired.cert, expired.key, authority.cert)[0], /^tls\.certificatePem: a certificate valid now \(.*\): this one has expired$/);
        assert.match(problemsOf(early.cert, early.key, authority.cert)[0], /^tls\.certificatePem: a certificate valid now \(.*\): this one is not valid yet$/);
        assert.match(String(broughtCertificateProblems(expired.cert, expired.key, undefined)[0].value), /^the certificate "CN=app\.example\.com", valid from .* to /);
    });

    it("refuses a CA bundle that does not sign the certificate", () => {
        const found = problemsOf(cert, key, makeCa("a stranger").cert);
        assert.deepStrictEqual(found, ['tls.caCertificatePem: a CA bundle with the certificate that signed tls.certificatePem (issuer "CN=brought test CA"): none of its 1 certificate(s) does']);
    });

    it("reports every problem at once: a garbled CA, a certificate not yet valid, another's key", () => {
        const early = issue(makeCa(), { notBefore: new Date(Date.now() + DAY) });
        assert.deepStrictEqual(
            broughtCertificateProblems(early.cert, key, garbled(ca)).map((p) => p.path),
            ["tls.caCertificatePem", "tls.certificatePem", "tls.privateKeyPem"],
        );
    });
});

describe("a brought certificate, through TlsSidecarApp", () => {
    let mocks: EngineMocks;
    let c: typeof Components;
    const { ca, cert, key } = brought();

    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    it("refuses a key that is not the certificate's when constructed, registering nothing", () => {
        const other = issue(makeCa("other"));
        assert.throws(() => new c.TlsSidecarApp("hello", minimalArgs({ tls: { certificatePem: cert, privateKeyPem: other.key, caCertificatePem: ca } })), (e: unknown) => {
            assert.ok(e instanceof c.ConfigError);
            assert.match(e.message, /^tls\.privateKeyPem: "\(a secret value, not shown\)" is not allowed; expected the private key of tls\.certificatePem/);
            assert.ok(!e.message.includes(other.key.split("\n")[1]), "no line of the key");
            return true;
        });
        assert.deepStrictEqual(mocks.resources, []);
    });

    it("given as Outputs resolved later: fails the component with the same message, registers nothing, and the runtime reports it once", async () => {
        const args = (certificatePem: pulumi.Input<string>, privateKeyPem: pulumi.Input<string>) => minimalArgs({ tls: { certificatePem, privateKeyPem, caCertificatePem: ca } });
        const known = (() => {
            try {
                new c.TlsSidecarApp("known", args(cert, garbled(key)));
            } catch (e) {
                return (e as Error).message;
            }
            assert.fail("a garbled key given as a plain value is refused");
        })();
        const app = new c.TlsSidecarApp("hello", args(pulumi.output(cert), pulumi.secret(new Promise<string>((resolve) => setTimeout(() => resolve(garbled(key)), 10)))));
        await assert.rejects(settled(app.url), (e: unknown) => {
            assert.ok(pulumi.ResourceError.isInstance(e), `a ResourceError, got ${e}`);
            assert.strictEqual((e as Error).message, known);
            return true;
        });
        assert.strictEqual(await reportedOnceOn(app), known);
        assert.deepStrictEqual(mocks.resources, [], "nothing registered, the component included");
    });

    it("given as good Outputs: checks them when they resolve and deploys, the key in the Secret", async () => {
        const app = new c.TlsSidecarApp("hello", minimalArgs({ tls: { certificatePem: pulumi.output(cert), privateKeyPem: pulumi.secret(key), caCertificatePem: pulumi.output(ca) } }));
        await settled(app.url);
        assert.strictEqual(mocks.one("kubernetes:core/v1:Secret").inputs.stringData["tls.key"], key);
    });
});

describe("a brought certificate in the stack's configuration", () => {
    const { ca, cert, key } = brought();
    const SECRET_KEYS = ["tlsPrivateKey"];

    for (const [what, overrides, line] of [
        ["a garbage secret key", { tlsCertificate: cert, tlsPrivateKey: "garbage" }, /^ {2}tls-sidecar:tlsPrivateKey: "\(a secret value, not shown\)" is not allowed; expected an unencrypted PEM private key that parses/m],
        ["a key with a garbled body", { tlsCertificate: cert, tlsPrivateKey: garbled(key) }, /^ {2}tls-sidecar:tlsPrivateKey: "\(a secret value, not shown\)" is not allowed; expected an unencrypted PEM private key that parses/m],
        ["a certificate with a garbled body", { tlsCertificate: garbled(cert), tlsPrivateKey: key }, /^ {2}tls-sidecar:tlsCertificate: "-----BEGIN CERTIFICATE-----.*" is not allowed; expected .*PEM certificates that parse as X\.509/m],
        ["another certificate's key", { tlsCertificate: cert, tlsPrivateKey: issue(makeCa("other")).key, tlsCaCertificate: ca }, /^ {2}tls-sidecar:tlsPrivateKey: "\(a secret value, not shown\)" is not allowed; expected the private key of tls\.certificatePem/m],
        ["a CA that did not sign the certificate", { tlsCertificate: cert, tlsPrivateKey: key, tlsCaCertificate: makeCa("stranger").cert }, /^ {2}tls-sidecar:tlsCaCertificate: .* none of its 1 certificate\(s\) does$/m],
    ] as [string, Record<string, string>, RegExp][]) {
        it(`refuses ${what} before registering anything, in one error with the other problems, never showing the key`, async () => {
            // refusal() asserts that no resource was registered; the suite's guard, that nothing was left unhandled.
            const message = await refusal("dev", { ...overrides, appPort: 0 }, SECRET_KEYS);
            assert.match(message, /^invalid configuration \(2 problems\):\n/);
            assert.match(message, /^ {2}tls-sidecar:appPort: 0 is not allowed/m);
            assert.match(message, line);
            const body = overrides.tlsPrivateKey.split("\n").find((l) => l.length > 20 && !l.startsWith("-----"));
            assert.ok(body === undefined || !message.includes(body), "no line of the key");
            assert.ok(!message.includes("garbage"));
        });
    }
});
