import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { EngineMocks, installMocks, isSecretAt, promiseOf } from "./support/mocks";
import { section } from "./support/docs";
import { minimalArgs } from "./support/fixtures";
import { brought } from "./support/broughtCertificates";
import type * as Components from "../components";

let c: typeof Components;
let mocks: EngineMocks;

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const SECRET = "kubernetes:core/v1:Secret";
/** Shaped like a real token (base64 of {"a":…,"t":…,"s":…}); not a real one. */
const TOKEN = Buffer.from(JSON.stringify({ a: "0123456789abcdef0123456789abcdef", t: "6ff42ae2-765d-4adf-8112-31c55c1551ef", s: "c2VjcmV0LXNlY3JldA==" })).toString("base64");

function podSpecOf(m: EngineMocks) {
    return m.one(DEPLOYMENT).inputs.spec.template.spec;
}

function container(spec: any, name: string): any {
    const all = [...(spec.initContainers ?? []), ...spec.containers];
    const found = all.filter((x: any) => x.name === name);
    assert.strictEqual(found.length, 1, `one container named ${name}`);
    return found[0];
}

/** The Secret the tunnel component created (not the TLS one). */
function tokenSecret(m: EngineMocks) {
    const found = m.ofType(SECRET).filter((s) => s.inputs.stringData?.token !== undefined);
    assert.strictEqual(found.length, 1, "one token Secret");
    return found[0];
}

async function deploy(args: Partial<Components.TlsSidecarAppArgs> = {}) {
    const app = new c.TlsSidecarApp("hello", minimalArgs(args));
    await promiseOf(app.workloadName);
    await promiseOf(app.url);
    await promiseOf(app.tunnelSecretName);
    return app;
}

/** The lines between `// docs:<name>:start` and `:end` in this file, dedented: what docs/tunnel.md must show verbatim. */
function exampleSource(name: string): string {
    const self = fs.readFileSync(__filename, "utf8").split("\n");
    const start = self.findIndex((l) => l.includes(`// docs:${name}:start`));
    const end = self.findIndex((l) => l.includes(`// docs:${name}:end`));
    const lines = self.slice(start + 1, end);
    const indent = Math.min(...lines.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length));
    return lines.map((l) => l.slice(indent)).join("\n");
}

describe("Cloudflare Tunnel", () => {
    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    describe("the example of docs/tunnel.md", () => {
        it("appears verbatim in the page's Example section", () => {
            const example = section("docs/tunnel.md", "## Example");
            assert.ok(example.includes(exampleSource("tunnel-example")), `docs/tunnel.md shows:\n${exampleSource("tunnel-example")}`);
        });

        it("deploys cloudflared beside the app, a ClusterIP Service, and verifies the proxy as its origin", async () => {
            pulumi.runtime.setConfig("tls-sidecar:tunnelToken", TOKEN);
            const { TlsSidecarApp, TunnelOrigin } = c;
            // docs:tunnel-example:start
            const cfg = new pulumi.Config();
            const app = new TlsSidecarApp("hello", {
                namespace: "shop",
                app: { image: "nginx:1.27", port: 80 },
                images: { prebuilt: { proxy: "ghcr.io/acme/tls-proxy:0.1.0", init: "ghcr.io/acme/tls-init:0.1.0" } },
                tunnel: {
                    token: cfg.requireSecret("tunnelToken"),
                    hostname: "hello.example.com",
                    origin: TunnelOrigin.Proxy,
                },
            });
            // docs:tunnel-example:end
            assert.strictEqual(await promiseOf(app.url), "https://hello.example.com");
            assert.strictEqual(await promiseOf(app.nodePort), undefined, "no node port without a NodePort Service");
            assert.strictEqual(await promiseOf(app.tunnelOriginService!), "https://127.0.0.1:8443");
            assert.strictEqual(await promiseOf(app.tunnelOriginServerName!), "hello.shop.svc");
            assert.strictEqual(await promiseOf(app.tunnelOriginCaPool!), "/etc/cloudflared/origin-ca/ca.crt");
            const tokenSecretName = await promiseOf(app.tunnelSecretName!);
            await promiseOf(app.workloadName);

            const service = mocks.one(SERVICE).inputs.spec;
            assert.strictEqual(service.type, "ClusterIP");
            assert.strictEqual(service.ports[0].nodePort, undefined);

            const spec = podSpecOf(mocks);
            assert.deepStrictEqual(
                spec.containers.map((x: any) => x.name),
                ["app", "cloudflared"],
                "cloudflared is a regular container: SIGTERM with the app, not after it",
            );
            const cloudflared = container(spec, "cloudflared");
            assert.deepStrictEqual(cloudflared.env, [{ name: "TUNNEL_TOKEN", valueFrom: { secretKeyRef: { name: tokenSecretName, key: "token" } } }]);
            const secret = tokenSecret(mocks);
            assert.strictEqual(secret.state.metadata.name, tokenSecretName);
            assert.strictEqual(secret.inputs.metadata.namespace, "shop");
            assert.strictEqual(secret.inputs.stringData.token, TOKEN);
            assert.ok(isSecretAt(secret, "stringData.token"), `the token is a Pulumi secret (secret paths: ${secret.secretPaths})`);

            // The origin CA: only ca.crt of the TLS Secret, read-only, at the CA Pool path; never the key.
            const mount = cloudflared.volumeMounts.find((m: any) => m.mountPath === "/etc/cloudflared/origin-ca");
            assert.strictEqual(mount.readOnly, true);
            const volume = spec.volumes.find((v: any) => v.name === mount.name);
            const tlsSecret = mocks.ofType(SECRET).find((s) => s.inputs.type === "kubernetes.io/tls")!;
            assert.deepStrictEqual(volume.secret, { secretName: tlsSecret.state.metadata.name, items: [{ key: "ca.crt", path: "ca.crt" }], optional: true });

            // The proxy's certificate verifies for the origin server name, under the CA cloudflared gets.
            const leaf = new crypto.X509Certificate(tlsSecret.inputs.stringData["tls.crt"]);
            const ca = new crypto.X509Certificate(tlsSecret.inputs.stringData["ca.crt"]);
            assert.ok(leaf.verify(ca.publicKey));
            assert.strictEqual(leaf.checkHost("hello.shop.svc"), "hello.shop.svc");
        });
    });

    describe("the cloudflared container", () => {
        it("runs today's form: tunnel --no-autoupdate --metrics 0.0.0.0:<port> --grace-period <n>s run", async () => {
            await deploy({ tunnel: { token: TOKEN } });
            const cloudflared = container(podSpecOf(mocks), "cloudflared");
            assert.deepStrictEqual(cloudflared.command, ["cloudflared"]);
            assert.deepStrictEqual(cloudflared.args, ["tunnel", "--no-autoupdate", "--metrics", "0.0.0.0:2000", "--grace-period", "30s", "run"]);
            assert.strictEqual(cloudflared.image, c.TUNNEL_DEFAULTS.image);
            assert.match(cloudflared.image, /^cloudflare\/cloudflared:\d{4}\.\d+\.\d+$/, "pinned to a release");
            assert.deepStrictEqual(cloudflared.ports, [{ name: "tunnel-metrics", containerPort: 2000, protocol: "TCP" }]);
            assert.ok(!JSON.stringify(cloudflared).includes(TOKEN), "the token is never in the pod spec");
        });

        it("is ready only with an edge connection, and is restarted only after 5 minutes without one", async () => {
            await deploy({ tunnel: { token: TOKEN, metricsPort: 2100 } });
            const cloudflared = container(podSpecOf(mocks), "cloudflared");
            assert.deepStrictEqual(cloudflared.readinessProbe, { httpGet: { path: "/ready", port: 2100, scheme: "HTTP" }, periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 });
            assert.deepStrictEqual(cloudflared.livenessProbe, { httpGet: { path: "/ready", port: 2100, scheme: "HTTP" }, periodSeconds: 10, failureThreshold: 30, timeoutSeconds: 3 });
            const tolerated = cloudflared.livenessProbe.periodSeconds * cloudflared.livenessProbe.failureThreshold;
            assert.ok(tolerated >= 300, `an edge outage of ${tolerated}s does not restart it`);
            assert.strictEqual(cloudflared.args[3], "0.0.0.0:2100");
            assert.strictEqual(cloudflared.ports[0].containerPort, 2100);
        });

        it("runs as the image's nonroot user, read-only, no escalation, drops ALL, RuntimeDefault seccomp", async () => {
            await deploy({ tunnel: { token: TOKEN } });
            assert.deepStrictEqual(container(podSpecOf(mocks), "cloudflared").securityContext, {
                allowPrivilegeEscalation: false,
                privileged: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
                seccompProfile: { type: "RuntimeDefault" },
                runAsNonRoot: true,
                runAsUser: 65532,
                runAsGroup: 65532,
            });
        });

        it("passes Pod Security restricted with service interception: nothing adds a capability", async () => {
            await deploy({ interception: c.InterceptionMode.Service, tunnel: { token: TOKEN } });
            const spec = podSpecOf(mocks);
            const caps = [...(spec.initContainers ?? []), ...spec.containers].flatMap((x: any) => x.securityContext?.capabilities?.add ?? []);
            assert.deepStrictEqual(caps, []);
        });

        it("requests 10m/64Mi with a 256Mi memory limit and no CPU limit; overrides field by field", async () => {
            await deploy({ tunnel: { token: TOKEN } });
            assert.deepStrictEqual(container(podSpecOf(mocks), "cloudflared").resources, { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } });
            mocks = await installMocks();
            await deploy({ tunnel: { token: TOKEN, resources: { cpuLimit: "500m", memoryLimit: "512Mi" } } });
            assert.deepStrictEqual(container(podSpecOf(mocks), "cloudflared").resources, { requests: { cpu: "10m", memory: "64Mi" }, limits: { cpu: "500m", memory: "512Mi" } });
        });

        it("gives kubelet longer than cloudflared's grace period, and than the proxy's drain", async () => {
            await deploy({ tunnel: { token: TOKEN } });
            assert.strictEqual(podSpecOf(mocks).terminationGracePeriodSeconds, 35, "30 s grace period + 5");
            mocks = await installMocks();
            await deploy({ tunnel: { token: TOKEN, gracePeriodSeconds: 90 } });
            const spec = podSpecOf(mocks);
            assert.strictEqual(spec.terminationGracePeriodSeconds, 95);
            assert.deepStrictEqual(container(spec, "cloudflared").args.slice(4, 6), ["--grace-period", "90s"]);
            mocks = await installMocks();
            await deploy({ proxy: { shutdownTimeoutSeconds: 120 }, tunnel: { token: TOKEN } });
            assert.strictEqual(podSpecOf(mocks).terminationGracePeriodSeconds, 5 + 120 + 5, "the app's preStop sleep and the proxy's longer drain win");
        });

        it("stores the token exactly as checked: without the white space around it, which cloudflared refuses", async () => {
            await deploy({ tunnel: { token: ` ${TOKEN}\n` } });
            const secret = tokenSecret(mocks);
            assert.strictEqual(secret.inputs.stringData.token, TOKEN);
            assert.ok(isSecretAt(secret, "stringData.token"), "still a Pulumi secret");
        });

        it("defaults to cloudflared 2026.8.2 (security fixes since 2026.7.1)", () => {
            assert.strictEqual(c.TUNNEL_DEFAULTS.image, "cloudflare/cloudflared:2026.8.2");
        });

        it("takes a configured image, pinned by tag or digest", async () => {
            const digest = `cloudflare/cloudflared@sha256:${"a".repeat(64)}`;
            await deploy({ tunnel: { token: TOKEN, image: digest } });
            assert.strictEqual(container(podSpecOf(mocks), "cloudflared").image, digest);
        });

        it("stays a regular container without native sidecars too, and leaves the proxy and redirect as they were", async () => {
            await deploy({ nativeSidecar: false, tunnel: { token: TOKEN } });
            const spec = podSpecOf(mocks);
            assert.deepStrictEqual(
                spec.containers.map((x: any) => x.name),
                ["app", c.PROXY_CONTAINER, "cloudflared"],
            );
            assert.deepStrictEqual(
                spec.initContainers.map((x: any) => x.name),
                [c.INIT_CONTAINER],
            );
        });
    });

    describe("the origin", () => {
        it("defaults to the app over the pod's loopback: no CA mounted, nothing extra to verify", async () => {
            const app = await deploy({ app: { image: "nginx", port: 8080 }, tunnel: { token: TOKEN } });
            assert.strictEqual(await promiseOf(app.tunnelOriginService!), "http://127.0.0.1:8080");
            assert.strictEqual(await promiseOf(app.tunnelOriginServerName!), undefined);
            assert.strictEqual(await promiseOf(app.tunnelOriginCaPool!), undefined);
            const spec = podSpecOf(mocks);
            assert.strictEqual(container(spec, "cloudflared").volumeMounts, undefined);
            assert.deepStrictEqual(
                spec.volumes.map((v: any) => v.name),
                ["tls-sidecar-certs"],
            );
        });

        it("the proxy: on its own port, with the Service's name for verification", async () => {
            const app = await deploy({ serviceName: "web", proxy: { port: 9443 }, tunnel: { token: TOKEN, origin: c.TunnelOrigin.Proxy } });
            assert.strictEqual(await promiseOf(app.tunnelOriginService!), "https://127.0.0.1:9443");
            assert.strictEqual(await promiseOf(app.tunnelOriginServerName!), "web.default.svc");
        });

        it("names a CA Pool only when the TLS Secret has a ca.crt: cloudflared rejects the whole configuration over a missing file", async () => {
            const { cert, key, ca } = brought();
            const POOL = "/etc/cloudflared/origin-ca/ca.crt";
            const proxyOrigin = { token: TOKEN, origin: c.TunnelOrigin.Proxy };
            const cases: [string, Components.Tls, string | undefined][] = [
                ["an existing Secret (its keys unknown)", { existingSecretName: "shop-tls" }, undefined],
                ["a brought certificate without its CA", { certificatePem: cert, privateKeyPem: key }, undefined],
                ["a brought certificate with its CA", { certificatePem: cert, privateKeyPem: key, caCertificatePem: ca }, POOL],
                ["a generated certificate", {}, POOL],
            ];
            for (const [what, tls, pool] of cases) {
                mocks = await installMocks();
                const app = await deploy({ tls, tunnel: proxyOrigin });
                assert.strictEqual(await promiseOf(app.tunnelOriginCaPool!), pool, what);
                // The optional ca.crt volume stays: an existing Secret that has one is still usable at that path.
                const mount = container(podSpecOf(mocks), "cloudflared").volumeMounts[0];
                assert.strictEqual(`${mount.mountPath}/ca.crt`, POOL, what);
            }
        });
    });

    describe("the Service and the outputs", () => {
        it("no tunnel: NodePort, as before, and no tunnel outputs", async () => {
            const app = await deploy();
            assert.strictEqual(mocks.one(SERVICE).inputs.spec.type, "NodePort");
            assert.ok((await promiseOf(app.nodePort)) >= 30000);
            assert.strictEqual(await promiseOf(app.tunnelSecretName), undefined);
            assert.strictEqual(await promiseOf(app.tunnelOriginService), undefined);
            assert.strictEqual(mocks.ofType("tls-sidecar:index:CloudflareTunnelSidecar").length, 0);
        });

        it("a tunnel without a hostname: ClusterIP, and the url is the Service's in-cluster name", async () => {
            const app = await deploy({ tunnel: { token: TOKEN } });
            assert.strictEqual(await promiseOf(app.url), "https://hello.default.svc:443");
            assert.strictEqual(await promiseOf(app.serviceName), "hello");
        });

        it("a tunnel and a NodePort Service on request: both ways in", async () => {
            const app = await deploy({ service: { type: c.ServiceType.NodePort, nodePort: 31443 }, tunnel: { token: TOKEN, hostname: "hello.example.com" } });
            assert.strictEqual(mocks.one(SERVICE).inputs.spec.type, "NodePort");
            assert.strictEqual(await promiseOf(app.nodePort), 31443);
            assert.strictEqual(await promiseOf(app.url), "https://hello.example.com", "the tunnel's hostname is the url");
        });

        it("no Service at all: the tunnel is the only way in", async () => {
            const app = await deploy({ service: { type: c.ServiceType.None }, tunnel: { token: TOKEN, hostname: "hello.example.com" } });
            assert.strictEqual(mocks.ofType(SERVICE).length, 0);
            assert.strictEqual(await promiseOf(app.serviceName), undefined);
            assert.strictEqual(await promiseOf(app.nodePort), undefined);
            assert.strictEqual(await promiseOf(app.url), "https://hello.example.com");
            mocks = await installMocks();
            const anonymous = await deploy({ service: { type: c.ServiceType.None }, tunnel: { token: TOKEN } });
            assert.strictEqual(await promiseOf(anonymous.url), undefined, "no Service and no known hostname: no url");
        });

        it("ClusterIP without a tunnel: in-cluster TLS only", async () => {
            const app = await deploy({ service: { type: c.ServiceType.ClusterIP } });
            assert.strictEqual(mocks.one(SERVICE).inputs.spec.type, "ClusterIP");
            assert.strictEqual(await promiseOf(app.url), "https://hello.default.svc:443");
        });

        it("an existing token Secret: none created, cloudflared reads its token key", async () => {
            const app = await deploy({ tunnel: { existingSecretName: "cf-tunnel" } });
            assert.strictEqual(mocks.ofType(SECRET).length, 1, "only the TLS Secret");
            assert.strictEqual(await promiseOf(app.tunnelSecretName!), "cf-tunnel");
            assert.deepStrictEqual(container(podSpecOf(mocks), "cloudflared").env[0].valueFrom.secretKeyRef, { name: "cf-tunnel", key: "token" });
        });

        it("a plain-string token is still stored as a Pulumi secret", async () => {
            await deploy({ tunnel: { token: TOKEN } });
            assert.ok(isSecretAt(tokenSecret(mocks), "stringData.token"));
        });

        it("parents the token Secret to CloudflareTunnelSidecar, and that to TlsSidecarApp", async () => {
            const parents = new Map<string, string>();
            const app = new c.TlsSidecarApp("hello", minimalArgs({ tunnel: { token: TOKEN } }), {
                transformations: [
                    (args) => {
                        const parent = args.opts.parent as any;
                        parents.set(`${args.type}::${args.name}`, parent ? `${parent.__pulumiType}::${parent.__name}` : "(none)");
                        return undefined;
                    },
                ],
            });
            await promiseOf(app.tunnelSecretName!);
            assert.strictEqual(parents.get("tls-sidecar:index:CloudflareTunnelSidecar::hello"), "tls-sidecar:index:TlsSidecarApp::hello");
            assert.strictEqual(parents.get(`${SECRET}::hello-tunnel-token`), "tls-sidecar:index:CloudflareTunnelSidecar::hello");
            mocks.one("tls-sidecar:index:CloudflareTunnelSidecar");
        });
    });

    describe("CloudflareTunnelSidecar on its own", () => {
        it("creates the token Secret and hands back the container and volumes for any pod", async () => {
            const sidecar = new c.CloudflareTunnelSidecar("edge", {
                namespace: "apps",
                token: pulumi.secret(TOKEN),
                originService: "http://127.0.0.1:3000",
                hostname: "shop.example.com",
            });
            const secretName = await promiseOf(sidecar.secretName);
            assert.strictEqual(await promiseOf(sidecar.url), "https://shop.example.com");
            assert.strictEqual(await promiseOf(sidecar.originService), "http://127.0.0.1:3000");
            assert.strictEqual(await promiseOf(sidecar.metricsPort), 2000);
            const secret = mocks.one(SECRET);
            assert.strictEqual(secret.inputs.metadata.namespace, "apps");
            assert.strictEqual(secret.inputs.type, "Opaque");
            assert.ok(isSecretAt(secret, "stringData.token"));
            const parts = c.tunnelContainerParts({}, sidecar.secretName);
            const container = c.tunnelContainer(parts);
            assert.strictEqual(container.name, "cloudflared");
            assert.deepStrictEqual(c.tunnelVolumes(parts), []);
            const env = (container.env as any[])[0];
            assert.strictEqual(await promiseOf(pulumi.output(env.valueFrom.secretKeyRef.name)), secretName);
        });

        it("withTunnel adds the container, the CA volume and a long enough grace period to any pod spec", () => {
            const spec = c.withTunnel(
                { containers: [{ name: "web", image: "web:1" }], terminationGracePeriodSeconds: 10 },
                { image: "cloudflare/cloudflared:2026.7.1", metricsPort: 2000, gracePeriodSeconds: 30, resources: {}, tokenSecretName: "t", originCaSecretName: "tls" },
            );
            assert.deepStrictEqual(
                (spec.containers as any[]).map((x) => x.name),
                ["web", "cloudflared"],
            );
            assert.strictEqual(spec.terminationGracePeriodSeconds, 35);
            assert.deepStrictEqual(
                (spec.volumes as any[]).map((v) => v.name),
                ["tls-sidecar-origin-ca"],
            );
        });
    });
});
