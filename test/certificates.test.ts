import * as assert from "assert";
import * as crypto from "crypto";
import { EngineMocks, installMocks, promiseOf } from "./support/mocks";
import { minimalArgs } from "./support/fixtures";
import type * as Components from "../components";
import { brought } from "./support/broughtCertificates";

let c: typeof Components;
let mocks: EngineMocks;

const KEY = "tls:index/privateKey:PrivateKey";
const CA = "tls:index/selfSignedCert:SelfSignedCert";
const CSR = "tls:index/certRequest:CertRequest";
const LEAF = "tls:index/locallySignedCert:LocallySignedCert";
const SECRET = "kubernetes:core/v1:Secret";

async function deploy(args: Partial<Components.TlsSidecarAppArgs> = {}) {
    const app = new c.TlsSidecarApp("hello", minimalArgs(args));
    await Promise.all([promiseOf(app.url), promiseOf(app.secretName), promiseOf(app.caCertPem), promiseOf(app.workloadName)]);
    return app;
}

function sans(certPem: string): string[] {
    return (new crypto.X509Certificate(certPem).subjectAltName ?? "").split(", ").filter((s) => s !== "");
}

describe("SidecarCertificates (through TlsSidecarApp)", () => {
    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    it("creates a CA, a server key, CSR and a CA-signed certificate, and one kubernetes.io/tls Secret", async () => {
        await deploy();
        assert.strictEqual(mocks.ofType(KEY).length, 2);
        assert.strictEqual(mocks.ofType(CA).length, 1);
        assert.strictEqual(mocks.ofType(CSR).length, 1);
        assert.strictEqual(mocks.ofType(LEAF).length, 1);
        const secret = mocks.one(SECRET);
        assert.strictEqual(secret.inputs.type, "kubernetes.io/tls");
        assert.strictEqual(secret.inputs.metadata.name, undefined, "auto-named, so a new certificate rolls the Deployment");
        assert.strictEqual(secret.inputs.metadata.namespace, "default");
    });

    it("uses ECDSA P-256 by default, never the provider's P-224 default", async () => {
        await deploy();
        for (const key of mocks.ofType(KEY)) {
            assert.deepStrictEqual(key.inputs, { algorithm: "ECDSA", ecdsaCurve: "P256" });
        }
    });

    for (const [choice, expected] of [
        ["RSA-2048", { algorithm: "RSA", rsaBits: 2048 }],
        ["RSA-4096", { algorithm: "RSA", rsaBits: 4096 }],
        ["ECDSA-P384", { algorithm: "ECDSA", ecdsaCurve: "P384" }],
    ] as const) {
        it(`maps keyAlgorithm ${choice} to the provider's inputs`, async () => {
            await deploy({ tls: { keyAlgorithm: choice as Components.KeyAlgorithm } });
            for (const key of mocks.ofType(KEY)) {
                assert.deepStrictEqual(key.inputs, expected);
            }
        });
    }

    it("marks the CA as a CA and limits the server certificate to server use", async () => {
        await deploy();
        const ca = mocks.one(CA).inputs;
        assert.strictEqual(ca.isCaCertificate, true);
        assert.ok(ca.allowedUses.includes("cert_signing"));
        const leaf = mocks.one(LEAF).inputs;
        assert.ok(!leaf.isCaCertificate);
        assert.ok(leaf.allowedUses.includes("server_auth"));
        assert.ok(!leaf.allowedUses.includes("cert_signing"));
    });

    it("puts the Service's in-cluster names, publicHost and configured names and IPs in the SANs", async () => {
        await deploy({
            namespace: "shop",
            serviceName: "web",
            publicHost: "node1.example.com",
            tls: { hostnames: ["web.example.com"], ipAddresses: ["192.0.2.10", "2001:db8::10"] },
        });
        const csr = mocks.one(CSR).inputs;
        assert.deepStrictEqual(csr.dnsNames, ["web", "web.shop", "web.shop.svc", "web.shop.svc.cluster.local", "web.example.com", "node1.example.com"]);
        assert.deepStrictEqual(csr.ipAddresses, ["192.0.2.10", "2001:db8::10"]);
        const leafPem = mocks.one(LEAF).state.certPem;
        assert.deepStrictEqual(sans(leafPem), [
            "DNS:web",
            "DNS:web.shop",
            "DNS:web.shop.svc",
            "DNS:web.shop.svc.cluster.local",
            "DNS:web.example.com",
            "DNS:node1.example.com",
            "IP Address:192.0.2.10",
            "IP Address:2001:DB8:0:0:0:0:0:10",
        ]);
    });

    it("puts an IP publicHost in the IP SANs, bracketed in the url", async () => {
        const app = await deploy({ publicHost: "2001:db8::1", service: { nodePort: 30443 } });
        assert.deepStrictEqual(mocks.one(CSR).inputs.ipAddresses, ["2001:db8::1"]);
        assert.strictEqual(await promiseOf(app.url), "https://[2001:db8::1]:30443");
    });

    it("signs the server certificate with the CA it exports, with the configured lifetimes", async () => {
        const app = await deploy({ tls: { validityDays: 30, renewBeforeDays: 10, caValidityDays: 365 } });
        const caPem = (await promiseOf(app.caCertPem))!;
        const leaf = mocks.one(LEAF);
        const caCert = new crypto.X509Certificate(caPem);
        const leafCert = new crypto.X509Certificate(leaf.state.certPem);
        assert.ok(leafCert.verify(caCert.publicKey), "the server certificate verifies against caCertPem");
        assert.strictEqual(leaf.inputs.validityPeriodHours, 30 * 24);
        assert.strictEqual(leaf.inputs.earlyRenewalHours, 10 * 24);
        assert.strictEqual(mocks.one(CA).inputs.validityPeriodHours, 365 * 24);
        assert.strictEqual(await promiseOf(app.certNotAfter), leaf.state.validityEndTime);
        assert.strictEqual(await promiseOf(app.caNotAfter), mocks.one(CA).state.validityEndTime);
    });

    it("writes tls.crt, tls.key and ca.crt, all as one Pulumi secret", async () => {
        const app = await deploy();
        const secret = mocks.one(SECRET);
        const data = secret.inputs.stringData;
        assert.strictEqual(data["tls.crt"], mocks.one(LEAF).state.certPem);
        assert.strictEqual(data["ca.crt"], await promiseOf(app.caCertPem));
        const serverKey = mocks.ofType(KEY).find((k) => k.name.startsWith("hello-server-"))!;
        assert.strictEqual(data["tls.key"], serverKey.state.privateKeyPem);
        assert.deepStrictEqual(secret.secretPaths, ["stringData"]);
        // The key matches the certificate.
        const signature = crypto.sign(null, Buffer.from("probe"), data["tls.key"]);
        assert.ok(crypto.verify(null, Buffer.from("probe"), new crypto.X509Certificate(data["tls.crt"]).publicKey, signature));
    });

    it("bring-your-own pair: makes the Secret from it, generates nothing", async () => {
        const { cert: certPem, key: keyPem, ca: caPem } = brought();
        const app = await deploy({ tls: { certificatePem: certPem, privateKeyPem: keyPem, caCertificatePem: caPem } });
        assert.strictEqual(mocks.ofType(KEY).length + mocks.ofType(CA).length + mocks.ofType(LEAF).length, 0);
        const secret = mocks.one(SECRET);
        assert.deepStrictEqual(secret.inputs.stringData, { "tls.crt": certPem, "tls.key": keyPem, "ca.crt": caPem });
        assert.deepStrictEqual(secret.secretPaths, ["stringData"]);
        assert.strictEqual(await promiseOf(app.caCertPem), caPem);
    });

    it("bring-your-own Secret: mounts it and creates no Secret and no certificate", async () => {
        const app = await deploy({ tls: { existingSecretName: "shop-tls" } });
        assert.strictEqual(mocks.ofType(SECRET).length, 0);
        assert.strictEqual(mocks.ofType(KEY).length, 0);
        assert.strictEqual(mocks.ofType(CA).length + mocks.ofType(CSR).length + mocks.ofType(LEAF).length, 0, "no CA, no certificate");
        assert.ok(mocks.resources.every((r) => !r.type.startsWith("tls:")));
        assert.strictEqual(await promiseOf(app.certNotAfter), undefined);
        assert.strictEqual(await promiseOf(app.certRenewAfter), undefined, "renewal is the Secret owner's job");
        assert.deepStrictEqual(await promiseOf(app.clientCertificates), {});
        assert.strictEqual(await promiseOf(app.secretName), "shop-tls");
        assert.strictEqual(await promiseOf(app.caCertPem), undefined);
        const spec = mocks.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec;
        assert.strictEqual(spec.volumes[0].secret.secretName, "shop-tls");
    });

    it("issues a client certificate per consumer, signed by the CA, for client auth only, as a secret output", async () => {
        const app = await deploy({ proxy: { clientAuth: c.ClientAuth.Require }, tls: { clientCertificates: ["billing", "audit"] } });
        const issued = await promiseOf(app.clientCertificates);
        assert.deepStrictEqual(Object.keys(issued).sort(), ["audit", "billing"]);
        assert.strictEqual(await (app.clientCertificates as any).isSecret, true, "keys never reach the state in plaintext");
        const ca = new crypto.X509Certificate((await promiseOf(app.caCertPem))!);
        for (const [consumer, { certPem, privateKeyPem }] of Object.entries(issued)) {
            const cert = new crypto.X509Certificate(certPem);
            assert.ok(cert.verify(ca.publicKey), `${consumer}: signed by the CA the proxy verifies against`);
            assert.match(cert.subject, new RegExp(`CN=${consumer}`));
            const signature = crypto.sign(null, Buffer.from("probe"), privateKeyPem);
            assert.ok(crypto.verify(null, Buffer.from("probe"), cert.publicKey, signature), `${consumer}: key matches`);
            const leaf = mocks.ofType(LEAF).find((r) => r.name === `hello-client-${consumer}`)!;
            assert.ok(leaf.inputs.allowedUses.includes("client_auth"));
            assert.ok(!leaf.inputs.allowedUses.includes("server_auth"));
        }
        const args = mocks.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec.initContainers.find((x: any) => x.name === "tls-proxy").args;
        assert.ok(args.includes("--client-auth=require"));
    });

    it("in-place rollout names the Secret after the Service and mounts it by that name", async () => {
        await deploy({ serviceName: "web", tls: { rollout: c.CertificateRollout.InPlace } });
        assert.strictEqual(mocks.one(SECRET).inputs.metadata.name, "web-tls");
        assert.strictEqual(mocks.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec.volumes[0].secret.secretName, "web-tls");
    });
});
