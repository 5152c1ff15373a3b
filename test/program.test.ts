import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { argsFromConfig } from "../program/config";
import { DECLARED_KEYS } from "../program/configKeys";
import { ConfigReader } from "../program/reader";
import { declaredConfig, ProgramFailure, ROOT, runProgram, stackConfig, stackFile } from "./support/program";
import { brought } from "./support/broughtCertificates";


describe("the program (index.ts)", () => {
    describe("Pulumi.yaml", () => {
        it("declares every key with a type, a default and a description", () => {
            const keys = Object.entries(declaredConfig());
            assert.ok(keys.length > 20);
            for (const [key, decl] of keys) {
                assert.ok(["string", "integer", "boolean", "array"].includes(decl.type), `${key}: type`);
                assert.notStrictEqual(decl.default, undefined, `${key}: default`);
                assert.ok((decl.description ?? "").length > 10, `${key}: description`);
            }
        });

        it("declares every key the program reads, and every key a stack file sets", () => {
            const declared = new Set(Object.keys(declaredConfig()));
            const read = new Set<string>();
            // Gates open, so that the keys under them are read too.
            const reader = new (class extends ConfigReader {
                raw(key: string) {
                    read.add(key);
                    return super.raw(key);
                }
            })(stackConfig("dev", { tunnel: true, tunnelToken: "t", networkPolicy: true }), DECLARED_KEYS);
            argsFromConfig(reader);
            assert.ok(read.size > 20);
            for (const key of read) {
                assert.ok(declared.has(key), `the program reads undeclared key ${key}`);
            }
            assert.deepStrictEqual([...declared].filter((key) => !read.has(key)), [], "declared keys the program never reads");
            for (const stack of fs.readdirSync(ROOT).filter((f) => /^Pulumi\.[\w-]+\.yaml$/.test(f))) {
                for (const key of Object.keys(stackFile(stack.split(".")[1]))) {
                    assert.ok(key.startsWith("tls-sidecar:"), `${stack}: ${key} is in the project's namespace`);
                    assert.ok(declared.has(key.split(":")[1]), `${stack} sets undeclared key ${key}`);
                }
            }
        });
    });

    describe("the dev stack", () => {
        it("creates the images, CA and server certificate, Secret (under a TlsSidecar), Deployment and Service under one TlsSidecarApp", async () => {
            const { mocks } = await runProgram("dev");
            const counts: Record<string, number> = {};
            for (const r of mocks.resources) {
                counts[r.type] = (counts[r.type] ?? 0) + 1;
            }
            assert.deepStrictEqual(counts, {
                "tls-sidecar:index:TlsSidecarApp": 1,
                "tls-sidecar:index:TlsSidecar": 1,
                "tls-sidecar:index:SidecarImages": 1,
                "tls-sidecar:index:SidecarCertificates": 1,
                "tls-sidecar:index:SidecarWorkload": 1,
                "docker:index/image:Image": 2,
                "tls:index/privateKey:PrivateKey": 2,
                "tls:index/selfSignedCert:SelfSignedCert": 1,
                "tls:index/certRequest:CertRequest": 1,
                "tls:index/locallySignedCert:LocallySignedCert": 1,
                "kubernetes:core/v1:Secret": 1,
                "kubernetes:apps/v1:Deployment": 1,
                "kubernetes:core/v1:Service": 1,
            });
        });

        it("previews (as on a pull request) with the same resources, without hanging on computed outputs", async () => {
            const types = (run: { mocks: { resources: { type: string }[] } }) => run.mocks.resources.map((r) => r.type).sort();
            const previewed = await runProgram("dev", {}, [], true);
            const updated = await runProgram("dev");
            assert.deepStrictEqual(types(previewed), types(updated));
            assert.strictEqual(previewed.mocks.resources.length, 15);
            assert.strictEqual(typeof previewed.outputs.url, "string");
        });

        it("pushes to the stack's local registry", async () => {
            const { mocks } = await runProgram("dev");
            const registry = stackFile("dev")["tls-sidecar:registryServer"] as string;
            for (const image of mocks.ofType("docker:index/image:Image")) {
                assert.ok(image.inputs.imageName.startsWith(`${registry}/`), image.inputs.imageName);
            }
        });

        it("exports the node port, the url, the CA and the names", async () => {
            const { outputs, mocks } = await runProgram("dev");
            const dev = stackFile("dev");
            assert.strictEqual(outputs.nodePort, dev["tls-sidecar:nodePort"]);
            assert.strictEqual(outputs.url, `https://${dev["tls-sidecar:publicHost"]}:${dev["tls-sidecar:nodePort"]}`);
            assert.strictEqual(outputs.namespace, "default");
            assert.strictEqual(outputs.clusterUrl, "https://hello.default.svc.cluster.local:443");
            assert.strictEqual(outputs.serviceName, dev["tls-sidecar:appName"]);
            assert.strictEqual(outputs.secretName, mocks.one("kubernetes:core/v1:Secret").state.metadata.name);
            assert.strictEqual(outputs.workloadName, mocks.one("kubernetes:apps/v1:Deployment").state.metadata.name);
            assert.match(outputs.proxyImage as string, /\/proxy@sha256:[0-9a-f]{64}$/);
            assert.match(outputs.initImage as string, /\/init@sha256:[0-9a-f]{64}$/);
            const ca = new crypto.X509Certificate(outputs.caCertPem as string);
            assert.ok(ca.ca, "caCertPem is a CA certificate");
            assert.ok(Date.parse(outputs.certNotAfter as string) < Date.parse(outputs.caNotAfter as string));
        });

        it("issues a certificate that a client reaching the url can verify", async () => {
            const { outputs, mocks } = await runProgram("dev");
            const leaf = new crypto.X509Certificate(mocks.one("kubernetes:core/v1:Secret").inputs.stringData["tls.crt"]);
            const ca = new crypto.X509Certificate(outputs.caCertPem as string);
            assert.ok(leaf.verify(ca.publicKey));
            const host = new URL(outputs.url as string).hostname;
            assert.strictEqual(leaf.checkHost(host), host);
            assert.strictEqual(leaf.checkIP("127.0.0.1"), "127.0.0.1");
            assert.strictEqual(leaf.checkHost("hello.default.svc.cluster.local"), "hello.default.svc.cluster.local");
        });

        it("keeps the private keys out of plaintext: the Secret's data is a Pulumi secret", async () => {
            const { mocks } = await runProgram("dev");
            assert.deepStrictEqual(mocks.one("kubernetes:core/v1:Secret").secretPaths, ["stringData"]);
        });
    });

    describe("configuration", () => {
        it("uses prebuilt images when both are configured, and builds nothing", async () => {
            const { mocks, outputs } = await runProgram("dev", { proxyImage: "ghcr.io/a/proxy@sha256:1", initImage: "ghcr.io/a/init@sha256:2" });
            assert.strictEqual(mocks.ofType("docker:index/image:Image").length, 0);
            assert.strictEqual(outputs.proxyImage, "ghcr.io/a/proxy@sha256:1");
        });

        it("keeps the registry password and a provided private key secret", async () => {
            const { cert, key } = brought();
            const { mocks } = await runProgram(
                "dev",
                { registryUsername: "ci", registryPassword: "hunter2", tlsCertificate: cert, tlsPrivateKey: key },
                ["registryPassword", "tlsPrivateKey"],
            );
            for (const image of mocks.ofType("docker:index/image:Image")) {
                assert.strictEqual(image.inputs.registry.password, "hunter2");
                assert.ok(image.secretPaths.some((p) => p === "registry" || p === "registry.password"));
            }
            const secret = mocks.one("kubernetes:core/v1:Secret");
            assert.strictEqual(secret.inputs.stringData["tls.key"], key);
            assert.deepStrictEqual(secret.secretPaths, ["stringData"]);
        });

        it("lets the cluster allocate the node port when nodePort is 0", async () => {
            const { mocks, outputs } = await runProgram("dev", { nodePort: 0 });
            assert.strictEqual(mocks.one("kubernetes:core/v1:Service").inputs.spec.ports[0].nodePort, undefined);
            assert.ok((outputs.nodePort as number) >= 30000);
        });

        it("service interception and a bare Pod from config", async () => {
            const { mocks } = await runProgram("dev", { interception: "service", workloadKind: "Pod", nativeSidecar: false });
            const pod = mocks.one("kubernetes:core/v1:Pod").inputs.spec;
            assert.strictEqual(pod.initContainers, undefined);
            assert.deepStrictEqual(
                pod.containers.map((x: any) => x.name),
                ["app", "tls-proxy"],
            );
        });

        const BAD: [Record<string, unknown>, RegExp][] = [
            [{ appPort: 0 }, /invalid configuration: tls-sidecar:appPort: 0 is not allowed; expected an integer port from 1 to 65535/],
            [{ proxyPort: 80 }, /tls-sidecar:proxyPort: 80 .*other than app\.port/],
            [{ nodePort: 80 }, /tls-sidecar:nodePort: 80 .*30000 to 32767/],
            [{ hostnames: ["ok.example", "not valid"] }, /tls-sidecar:hostnames\[1\]: "not valid" /],
            [{ ipAddresses: ["10.0.0.300"] }, /tls-sidecar:ipAddresses\[0\]: "10\.0\.0\.300" /],
            [{ interception: "istio" }, /tls-sidecar:interception: "istio" .*"iptables", "service"/],
            [{ keyAlgorithm: "ed25519" }, /tls-sidecar:keyAlgorithm: "ed25519" .*"ECDSA-P256"/],
            [{ tlsCertificate: "-----BEGIN CERTIFICATE-----\nx" }, /tls-sidecar:tlsPrivateKey: a missing value/],
            [{ validityDays: 20, renewBeforeDays: 30 }, /tls-sidecar:renewBeforeDays: 30 .*fewer days than tls\.validityDays \(20\)/],
            [{ proxyMemoryLimit: "64 MB" }, /tls-sidecar:proxyMemoryLimit: "64 MB" .*quantity/],
            [{ proxyImage: "ghcr.io/a/proxy@sha256:1" }, /tls-sidecar:initImage: "" /],
        ];
        for (const [overrides, message] of BAD) {
            it(`fails before creating anything on ${JSON.stringify(overrides)}, naming the config key`, async () => {
                await assert.rejects(
                    () => runProgram("dev", overrides),
                    (e: unknown) => {
                        assert.ok(e instanceof ProgramFailure, String(e));
                        assert.match(e.message, message);
                        assert.deepStrictEqual(
                            e.mocks.resources.map((r) => r.type),
                            [],
                        );
                        return true;
                    },
                );
            });
        }
    });
});
