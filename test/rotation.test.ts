// Renewal and CA rollover as a sequence of `pulumi up`s with an injected clock (config certificateClock).
// Each run after the first gets the previous run's resources as its prior state (test/support/mocks.ts): a resource
// with the same type, name and inputs is "same" (no diff, its recorded outputs come back), otherwise "changed" or "create".
import * as assert from "assert";
import * as crypto from "crypto";
import { RecordedResource } from "./support/mocks";
import { ProgramFailure, ProgramRun, runProgram } from "./support/program";
import { scheduleAt } from "../components/tls/rotation";
import { brought } from "./support/broughtCertificates";

const DAY = 24 * 60 * 60 * 1000;
const EPOCH = "2025-01-01T00:00:00Z";
const at = (days: number) => new Date(Date.parse(EPOCH) + days * DAY).toISOString();

const KEY = "tls:index/privateKey:PrivateKey";
const CA = "tls:index/selfSignedCert:SelfSignedCert";
const CSR = "tls:index/certRequest:CertRequest";
const LEAF = "tls:index/locallySignedCert:LocallySignedCert";
const SECRET = "kubernetes:core/v1:Secret";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

/** Days: server certificates live 90 and are renewed 30 before expiry, so a period is 60 days (the defaults). */
function up(days: number, prior?: ProgramRun, overrides: Record<string, unknown> = {}): Promise<ProgramRun> {
    return runProgram("dev", { certificateClock: at(days), certificateEpoch: EPOCH, ...overrides }, [], false, prior?.mocks.resources ?? []);
}

const steps = (run: ProgramRun) => Object.fromEntries(run.mocks.resources.map((r) => [`${r.type}::${r.name}`, r.step]));
const changed = (run: ProgramRun) => run.mocks.resources.filter((r) => r.step !== "same").map((r) => `${r.type.split(":").pop()}::${r.name}:${r.step}`).sort();
const deleted = (run: ProgramRun) => run.mocks.deleted().map((r) => `${r.type.split(":").pop()}::${r.name}`).sort();
const podTemplate = (run: ProgramRun) => run.mocks.one(DEPLOYMENT).inputs.spec.template;
const secretData = (run: ProgramRun): Record<string, string> => run.mocks.one(SECRET).inputs.stringData;

function pems(bundle: string): crypto.X509Certificate[] {
    return (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new crypto.X509Certificate(p));
}

/** True when a client trusting exactly `bundle` accepts `leafPem` (signature by one of its CAs, within validity). */
function trusts(bundle: string, leafPem: string): boolean {
    const leaf = new crypto.X509Certificate(leafPem);
    return pems(bundle).some((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey) && Date.parse(ca.validTo) > Date.now());
}

describe("certificate schedule (pure)", () => {
    const s = { validityDays: 90, renewBeforeDays: 30, caValidityDays: 3650, caOverlapDays: 30, epoch: EPOCH };
    const t = (days: number) => Date.parse(EPOCH) + days * DAY;

    it("keeps the server certificate's period for validityDays - renewBeforeDays days, then moves on", () => {
        assert.strictEqual(scheduleAt(t(0), s).leafPeriod, 0);
        assert.strictEqual(scheduleAt(t(59.99), s).leafPeriod, 0);
        assert.strictEqual(scheduleAt(t(60), s).leafPeriod, 1);
        assert.strictEqual(scheduleAt(t(10), s).renewAfter, new Date(t(60)).toISOString());
        assert.strictEqual(scheduleAt(t(10), s).leafPeriodDays, 60);
    });

    it("a certificate issued anywhere in a period is still valid renewBeforeDays into the next one", () => {
        for (const issued of [0, 1, 30, 59.9]) {
            const nextPeriodStart = (scheduleAt(t(issued), s).leafPeriod + 1) * 60;
            assert.ok(issued + 90 >= nextPeriodStart + 30, `issued on day ${issued}`);
        }
    });

    it("rolls the CA over: the new CA is published, then signs, then the old one leaves", () => {
        const ca = { ...s, caValidityDays: 100, caOverlapDays: 4, validityDays: 40, renewBeforeDays: 10 }; // generations every 92 days
        const view = (days: number) => {
            const x = scheduleAt(t(days), ca);
            return { cas: x.caGenerations, signer: x.signerGeneration };
        };
        assert.deepStrictEqual(view(91), { cas: [0], signer: 0 });
        assert.deepStrictEqual(view(93), { cas: [0, 1], signer: 0 });
        assert.deepStrictEqual(view(97), { cas: [0, 1], signer: 1 });
        assert.deepStrictEqual(view(101), { cas: [1], signer: 1 });
        assert.strictEqual(scheduleAt(t(93), ca).renewAfter, new Date(t(96)).toISOString(), "the signer switch renews the certificate");
    });
});

describe("renewal on a plain `pulumi up` (dev stack, injected clock)", function () {
    this.timeout(60_000);

    it("before the renewal window: a second up changes nothing", async () => {
        const first = await up(10);
        const second = await up(59, first);
        assert.deepStrictEqual(changed(second), []);
        assert.deepStrictEqual(deleted(second), []);
        assert.strictEqual(second.outputs.certNotAfter, first.outputs.certNotAfter);
        assert.strictEqual(second.outputs.certRenewAfter, at(60));
    });

    it("inside the window: a new key and certificate, a new auto-named Secret, and the Deployment rolls with maxUnavailable 0", async () => {
        const first = await up(10);
        const second = await up(61, first);
        const oldKey = first.mocks.ofType(KEY).find((k) => k.name.startsWith("hello-server-"))!;
        const newKey = second.mocks.ofType(KEY).find((k) => k.name.startsWith("hello-server-"))!;
        assert.strictEqual(newKey.step, "create");
        assert.notStrictEqual(newKey.name, oldKey.name);
        assert.deepStrictEqual(deleted(second), [`PrivateKey::${oldKey.name}`], "the old key is deleted");
        assert.strictEqual(steps(second)[`${CSR}::hello-server`], "changed");
        assert.strictEqual(steps(second)[`${LEAF}::hello-server`], "changed");
        assert.strictEqual(steps(second)[`${CA}::hello-ca-0`], "same", "the CA stays");
        assert.strictEqual(second.mocks.one(CSR).inputs.subject.serialNumber, "ca0-p1");

        const before = podTemplate(first).spec.volumes[0].secret.secretName;
        const after = podTemplate(second).spec.volumes[0].secret.secretName;
        assert.strictEqual(first.mocks.one(SECRET).inputs.metadata.name, undefined, "auto-named");
        assert.notStrictEqual(after, before, "new certificate, new Secret name");
        assert.strictEqual(after, second.mocks.one(SECRET).state.metadata.name);
        assert.strictEqual(steps(second)[`${DEPLOYMENT}::hello`], "changed", "the pod template changed: the Deployment rolls");
        assert.deepStrictEqual(second.mocks.one(DEPLOYMENT).inputs.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });

        assert.ok(Date.parse(second.outputs.certNotAfter as string) >= Date.parse(first.outputs.certNotAfter as string));
        assert.ok(trusts(second.outputs.caCertPem as string, secretData(second)["tls.crt"]));
        assert.strictEqual(second.outputs.caCertPem, first.outputs.caCertPem, "clients keep their CA");
        assert.strictEqual(second.outputs.certRenewAfter, at(120));
    });

    it("in-place rollout: the fixed-name Secret is updated and the pod template does not change", async () => {
        const first = await up(10, undefined, { certificateRollout: "in-place" });
        const second = await up(61, first, { certificateRollout: "in-place" });
        const secret = second.mocks.one(SECRET);
        assert.strictEqual(secret.inputs.metadata.name, "hello-tls");
        assert.strictEqual(secret.step, "changed");
        assert.notStrictEqual(secret.inputs.stringData["tls.crt"], secretData(first)["tls.crt"]);
        assert.strictEqual(podTemplate(second).spec.volumes[0].secret.secretName, "hello-tls");
        assert.strictEqual(steps(second)[`${DEPLOYMENT}::hello`], "same", "no rollout: the proxy reloads the files");
        assert.deepStrictEqual(secret.secretPaths, ["stringData"]);
    });

    it("a CA rollover over four ups: publish, switch the signer, drop the old CA; a client with the published bundle trusts every step", async () => {
        // CA generations every 100 - 2×4 = 92 days; server periods of 30 days (90..120 is one).
        const cfg = { validityDays: 40, renewBeforeDays: 10, caValidityDays: 100, caOverlapDays: 4 };
        const t0 = await up(91, undefined, cfg);
        const t1 = await up(93, t0, cfg);
        const t2 = await up(97, t1, cfg);
        const t3 = await up(101, t2, cfg);

        assert.deepStrictEqual(t0.mocks.ofType(CA).map((r) => r.name), ["hello-ca-0"]);
        // Publish: the new CA joins ca.crt; the server certificate is untouched, still signed by the old CA.
        assert.deepStrictEqual(changed(t1), [`SelfSignedCert::hello-ca-1:create`, `PrivateKey::hello-ca-1:create`, `Secret::hello:changed`, `Deployment::hello:changed`].sort());
        assert.strictEqual(pems(secretData(t1)["ca.crt"]).length, 2);
        assert.strictEqual(t1.outputs.caCertPem, secretData(t1)["ca.crt"]);
        assert.strictEqual(secretData(t1)["tls.crt"], secretData(t0)["tls.crt"]);
        // Switch: after the overlap, the server certificate is reissued by the new CA.
        const leaf2 = new crypto.X509Certificate(secretData(t2)["tls.crt"]);
        assert.ok(leaf2.issuer.includes("hello CA 1"), leaf2.issuer);
        assert.strictEqual(steps(t2)[`${LEAF}::hello-server`], "changed");
        assert.strictEqual(t2.outputs.caNotAfter, t2.mocks.ofType(CA).find((c) => c.name === "hello-ca-1")!.state.validityEndTime);
        // Drop: the old CA leaves ca.crt and is deleted; the certificate stays.
        assert.deepStrictEqual(deleted(t3), ["PrivateKey::hello-ca-0", "SelfSignedCert::hello-ca-0"]);
        assert.strictEqual(pems(secretData(t3)["ca.crt"]).length, 1);
        assert.strictEqual(secretData(t3)["tls.crt"], secretData(t2)["tls.crt"]);

        const published = t1.outputs.caCertPem as string; // what a client fetched during the overlap
        for (const run of [t1, t2, t3]) {
            assert.ok(trusts(published, secretData(run)["tls.crt"]));
        }
        assert.ok(!trusts(t0.outputs.caCertPem as string, secretData(t2)["tls.crt"]), "a client that never fetched the bundle loses trust at the switch");
    });

    it("preview at a later clock shows the renewal before it happens", async () => {
        const first = await up(10);
        const preview = await runProgram("dev", { certificateClock: at(61), certificateEpoch: EPOCH }, [], true, first.mocks.resources);
        assert.ok(changed(preview).includes("LocallySignedCert::hello-server:changed"));
    });
});

describe("certificate configuration errors", () => {
    const BAD: [Record<string, unknown>, RegExp][] = [
        [{ certificateRollout: "rolling" }, /tls-sidecar:certificateRollout: "rolling" .*"new-secret", "in-place"/],
        [{ certificateClock: "yesterday" }, /tls-sidecar:certificateClock: "yesterday" .*RFC 3339/],
        [{ certificateEpoch: "2999-01-01T00:00:00Z" }, /tls-sidecar:certificateEpoch: "2999-01-01T00:00:00Z" .*not after the clock/],
        [{ caOverlapDays: 0 }, /tls-sidecar:caOverlapDays: 0 /],
        [{ validityDays: 90, caValidityDays: 120, caOverlapDays: 30 }, /tls-sidecar:caValidityDays: 120 .*at least tls\.validityDays \+ 2 × tls\.caOverlapDays \(150\)/],
        [{ clientCertificates: ["billing", "Bad_Name"] }, /tls-sidecar:clientCertificates\[1\]: "Bad_Name" .*DNS-1123 label/],
        [{ clientCertificates: ["billing", "billing"] }, /tls-sidecar:clientCertificates\[1\]: "billing" .*not already in the list/],
        [{ clientCertificates: ["billing"], tlsSecretName: "shop-tls" }, /tls-sidecar:clientCertificates: \["billing"\] .*generated CA/],
        [
            { clientAuth: "require", tlsCertificate: brought().cert, tlsPrivateKey: brought().key },
            /tls-sidecar:clientAuth: "require" .*tls\.caCertificatePem/,
        ],
    ];
    for (const [overrides, message] of BAD) {
        it(`fails before creating anything on ${JSON.stringify(overrides)}`, async () => {
            await assert.rejects(
                () => runProgram("dev", overrides),
                (e: unknown) => {
                    assert.ok(e instanceof ProgramFailure, String(e));
                    assert.match(e.message, message);
                    assert.deepStrictEqual(e.mocks.resources, [] as RecordedResource[]);
                    return true;
                },
            );
        });
    }
});
