import * as assert from "assert";
import { EngineMocks, installMocks, isSecretAt } from "./support/mocks";
import { itRejectsEach, minimalArgs, RejectionCase } from "./support/fixtures";
import { declaredConfig, ProgramFailure, runProgram } from "./support/program";
import type * as Components from "../components";

let c: typeof Components;
let mocks: EngineMocks;

const TOKEN = Buffer.from(JSON.stringify({ a: "0123456789abcdef0123456789abcdef", t: "6ff42ae2-765d-4adf-8112-31c55c1551ef", s: "c2VjcmV0LXNlY3JldA==" })).toString("base64");
const BAD_TOKEN = "my token with spaces";

/** Each case: arguments, then what the message must say (the argument, the value, what is allowed). */
const CASES: RejectionCase[] = [
    ["a tunnel without a token", () => ({ tunnel: {} }), /^tunnel\.token: a missing value .*the tunnel token \(a Pulumi secret\), or tunnel\.existingSecretName/],
    ["a token and an existing Secret", () => ({ tunnel: { token: TOKEN, existingSecretName: "cf" } }), /^tunnel\.existingSecretName: "cf" .*either tunnel\.token or tunnel\.existingSecretName, not both/],
    ["a malformed token", () => ({ tunnel: { token: BAD_TOKEN } }), /^tunnel\.token: "\(a secret value, not shown\)" .*the tunnel token/],
    ["an empty token", () => ({ tunnel: { token: "" } }), /^tunnel\.token: .*not shown/],
    ["an invalid existing Secret name", () => ({ tunnel: { existingSecretName: "CF_Token" } }), /^tunnel\.existingSecretName: "CF_Token" .*Kubernetes object name/],
    ["metrics port 0", () => ({ tunnel: { token: TOKEN, metricsPort: 0 } }), /^tunnel\.metricsPort: 0 .*integer port from 1 to 65535/],
    ["metrics port above 65535", () => ({ tunnel: { token: TOKEN, metricsPort: 70000 } }), /^tunnel\.metricsPort: 70000 /],
    ["metrics port on the app port", () => ({ tunnel: { token: TOKEN, metricsPort: 80 } }), /^tunnel\.metricsPort: 80 .*a port other than app\.port \(80\)/],
    ["metrics port on the proxy port", () => ({ tunnel: { token: TOKEN, metricsPort: 8443 } }), /^tunnel\.metricsPort: 8443 .*other than proxy\.port \(8443\)/],
    ["metrics port on the admin port", () => ({ tunnel: { token: TOKEN, metricsPort: 9901 } }), /^tunnel\.metricsPort: 9901 .*other than proxy\.adminPort \(9901\)/],
    ["the default metrics port taken by the app", () => ({ app: { image: "nginx", port: 2000 }, tunnel: { token: TOKEN } }), /^tunnel\.metricsPort: 2000 .*other than app\.port \(2000\)/],
    ["an image tagged latest", () => ({ tunnel: { token: TOKEN, image: "cloudflare/cloudflared:latest" } }), /^tunnel\.image: "cloudflare\/cloudflared:latest" .*pinned by a tag other than "latest"/],
    ["an untagged image", () => ({ tunnel: { token: TOKEN, image: "cloudflare/cloudflared" } }), /^tunnel\.image: "cloudflare\/cloudflared" .*pinned/],
    ["an image with a bad tag", () => ({ tunnel: { token: TOKEN, image: "cloudflare/cloudflared:-2026" } }), /^tunnel\.image: .*pinned/],
    ["an image with a bad digest", () => ({ tunnel: { token: TOKEN, image: "cloudflare/cloudflared@sha256:abc" } }), /^tunnel\.image: .*pinned/],
    ["an empty image", () => ({ tunnel: { token: TOKEN, image: "" } }), /^tunnel\.image: "" /],
    ["a zero grace period", () => ({ tunnel: { token: TOKEN, gracePeriodSeconds: 0 } }), /^tunnel\.gracePeriodSeconds: 0 .*integer from 1 to 180 seconds/],
    // cloudflared exits 1 at start on more ("grace-period must be equal or less than 3m0s"): the pod would crash-loop.
    ["a grace period over cloudflared's 3 minutes", () => ({ tunnel: { token: TOKEN, gracePeriodSeconds: 181 } }), /^tunnel\.gracePeriodSeconds: 181 is not allowed; expected an integer from 1 to 180 seconds \(cloudflared refuses a --grace-period over 3m0s\)$/],
    ["a fractional grace period", () => ({ tunnel: { token: TOKEN, gracePeriodSeconds: 2.5 } }), /^tunnel\.gracePeriodSeconds: 2\.5 /],
    ["an invalid hostname", () => ({ tunnel: { token: TOKEN, hostname: "https://hello.example.com" } }), /^tunnel\.hostname: "https:\/\/hello\.example\.com" .*DNS name/],
    ["an unknown origin", () => ({ tunnel: { token: TOKEN, origin: "both" as Components.TunnelOrigin } }), /^tunnel\.origin: "both" .*one of "app", "proxy"$/],
    ["a bad resource quantity", () => ({ tunnel: { token: TOKEN, resources: { memoryLimit: "1 GB" } } }), /^tunnel\.resources\.memoryLimit: "1 GB" .*Kubernetes quantity/],
    ["an unknown resource field", () => ({ tunnel: { token: TOKEN, resources: { gpu: "1" } as Components.ContainerResources } }), /^tunnel\.resources\.gpu: "1" .*one of cpuRequest/],
    ["client certificates required with a tunnel", () => ({ proxy: { clientAuth: "require" as Components.ClientAuth }, tunnel: { token: TOKEN } }), /^proxy\.clientAuth: "require" .*cloudflared presents no client certificate/],
    ["an unknown Service type", () => ({ service: { type: "ExternalName" as Components.ServiceType } }), /^service\.type: "ExternalName" .*one of "NodePort", "ClusterIP", "LoadBalancer", "None"$/],
    ["no Service without a tunnel", () => ({ service: { type: "None" as Components.ServiceType } }), /^service\.type: "None" .*only with tunnel/],
    ["a node port on a ClusterIP Service", () => ({ service: { type: "ClusterIP" as Components.ServiceType, nodePort: 31443 } }), /^service\.nodePort: 31443 .*no node port with service\.type "ClusterIP"/],
    ["a node port with a tunnel's default ClusterIP", () => ({ service: { nodePort: 31443 }, tunnel: { token: TOKEN } }), /^service\.nodePort: 31443 .*"ClusterIP", the default with a tunnel/],
];

describe("tunnel argument validation", () => {
    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    itRejectsEach(CASES, () => ({ c, mocks }));

    it("never echoes the token", () => {
        assert.throws(
            () => new c.TlsSidecarApp("hello", minimalArgs({ tunnel: { token: BAD_TOKEN } })),
            (e: unknown) => !(e as Error).message.includes("spaces"),
        );
    });

    const STANDALONE: [string, () => Components.CloudflareTunnelSidecarArgs, RegExp][] = [
        ["no namespace", () => ({ token: TOKEN, originService: "http://127.0.0.1:80" }) as Components.CloudflareTunnelSidecarArgs, /^namespace: a missing value /],
        ["no origin", () => ({ namespace: "apps", token: TOKEN }) as Components.CloudflareTunnelSidecarArgs, /^originService: a missing value /],
        ["an origin that is not a URL", () => ({ namespace: "apps", token: TOKEN, originService: "127.0.0.1:80" }), /^originService: "127\.0\.0\.1:80" .*http or https URL/],
        ["an origin with another scheme", () => ({ namespace: "apps", token: TOKEN, originService: "tcp://127.0.0.1:5432" }), /^originService: "tcp:.*http or https URL/],
        ["a bad origin server name", () => ({ namespace: "apps", token: TOKEN, originService: "https://127.0.0.1:8443", originServerName: "not a name" }), /^originServerName: "not a name" /],
        ["no token", () => ({ namespace: "apps", originService: "http://127.0.0.1:80" }), /^token: a missing value /],
        ["a grace period over 180 s", () => ({ namespace: "apps", token: TOKEN, originService: "http://127.0.0.1:80", gracePeriodSeconds: 300 }), /^gracePeriodSeconds: 300 is not allowed; expected an integer from 1 to 180 seconds \(cloudflared refuses a --grace-period over 3m0s\)$/],
    ];
    for (const [what, args, message] of STANDALONE) {
        it(`CloudflareTunnelSidecar rejects ${what}, and creates nothing`, () => {
            assert.throws(
                () => new c.CloudflareTunnelSidecar("edge", args()),
                (e: unknown) => e instanceof c.ConfigError && message.test((e as Error).message),
            );
            assert.deepStrictEqual(mocks.resources, []);
        });
    }

    it("accepts a digest-pinned image, a tag with a digest, an existing Secret and NodePort with a tunnel", () => {
        assert.doesNotThrow(() => new c.TlsSidecarApp("a", minimalArgs({ tunnel: { token: TOKEN, image: `cloudflare/cloudflared@sha256:${"0".repeat(64)}` } })));
        assert.doesNotThrow(() => new c.TlsSidecarApp("b", minimalArgs({ tunnel: { token: TOKEN, image: `registry.local:5000/cloudflared:2026.8.2@sha256:${"0".repeat(64)}` } })));
        assert.doesNotThrow(() => new c.TlsSidecarApp("d", minimalArgs({ tunnel: { existingSecretName: "cf-tunnel" } })));
        assert.doesNotThrow(() => new c.TlsSidecarApp("e", minimalArgs({ service: { type: c.ServiceType.NodePort, nodePort: 31000 }, tunnel: { token: TOKEN } })));
        assert.doesNotThrow(() => new c.TlsSidecarApp("f", minimalArgs({ proxy: { clientAuth: c.ClientAuth.Request }, tunnel: { token: TOKEN } })));
        assert.doesNotThrow(() => new c.TlsSidecarApp("g", minimalArgs({ tunnel: { token: TOKEN, gracePeriodSeconds: 180 } })), "cloudflared's maximum, 3m0s");
    });
});

describe("the program with a tunnel", () => {
    const WITH_TUNNEL = { tunnel: true, tunnelToken: TOKEN, tunnelHostname: "hello.example.com", nodePort: 0 };

    it("declares defaults that match the component's", async () => {
        c = await import("../components");
        const d = declaredConfig();
        assert.strictEqual(d.tunnel.default, false);
        assert.strictEqual(d.tunnelImage.default, c.TUNNEL_DEFAULTS.image);
        assert.strictEqual(d.tunnelMetricsPort.default, c.TUNNEL_DEFAULTS.metricsPort);
        assert.strictEqual(d.tunnelGracePeriodSeconds.default, c.TUNNEL_DEFAULTS.gracePeriodSeconds);
        assert.strictEqual(d.tunnelOrigin.default, c.TUNNEL_DEFAULTS.origin);
        assert.strictEqual(d.tunnelCpuRequest.default, c.DEFAULT_TUNNEL_RESOURCES.cpuRequest);
        assert.strictEqual(d.tunnelMemoryRequest.default, c.DEFAULT_TUNNEL_RESOURCES.memoryRequest);
        assert.strictEqual(d.tunnelCpuLimit.default, "");
        assert.strictEqual(d.tunnelMemoryLimit.default, c.DEFAULT_TUNNEL_RESOURCES.memoryLimit);
        assert.strictEqual(d.serviceType.default, "");
        assert.strictEqual(d.tunnelToken.default, "");
    });

    it("adds cloudflared, its token Secret (a secret) and a ClusterIP Service to the dev stack, and exports the tunnel outputs", async () => {
        const { mocks, outputs } = await runProgram("dev", WITH_TUNNEL, ["tunnelToken"]);
        const counts: Record<string, number> = {};
        for (const r of mocks.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
        assert.strictEqual(counts["tls-sidecar:index:CloudflareTunnelSidecar"], 1);
        assert.strictEqual(counts["kubernetes:core/v1:Secret"], 2);
        const token = mocks.ofType("kubernetes:core/v1:Secret").find((s) => s.inputs.stringData.token !== undefined)!;
        assert.strictEqual(token.inputs.stringData.token, TOKEN);
        assert.ok(isSecretAt(token, "stringData.token"));
        assert.strictEqual(mocks.one("kubernetes:core/v1:Service").inputs.spec.type, "ClusterIP");
        const spec = mocks.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec;
        assert.deepStrictEqual(
            spec.containers.map((x: any) => x.name),
            ["app", "cloudflared"],
        );
        assert.strictEqual(outputs.url, "https://hello.example.com");
        assert.strictEqual(outputs.nodePort, undefined);
        assert.strictEqual(outputs.tunnelSecretName, token.state.metadata.name);
        assert.strictEqual(outputs.tunnelOriginService, "http://127.0.0.1:80");
        assert.strictEqual(outputs.tunnelOriginServerName, undefined);
    });

    it("sets every tunnel key through to the container", async () => {
        const { mocks, outputs } = await runProgram(
            "dev",
            {
                ...WITH_TUNNEL,
                tunnelOrigin: "proxy",
                tunnelImage: "registry.local/cloudflared:2026.8.2",
                tunnelMetricsPort: 2100,
                tunnelGracePeriodSeconds: 45,
                tunnelCpuRequest: "20m",
                tunnelMemoryRequest: "96Mi",
                tunnelCpuLimit: "1",
                tunnelMemoryLimit: "384Mi",
                serviceType: "None",
            },
            ["tunnelToken"],
        );
        assert.strictEqual(mocks.ofType("kubernetes:core/v1:Service").length, 0);
        const spec = mocks.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec;
        const cloudflared = spec.containers.find((x: any) => x.name === "cloudflared");
        assert.strictEqual(cloudflared.image, "registry.local/cloudflared:2026.8.2");
        assert.deepStrictEqual(cloudflared.args, ["tunnel", "--no-autoupdate", "--metrics", "0.0.0.0:2100", "--grace-period", "45s", "run"]);
        assert.deepStrictEqual(cloudflared.resources, { requests: { cpu: "20m", memory: "96Mi" }, limits: { cpu: "1", memory: "384Mi" } });
        assert.strictEqual(spec.terminationGracePeriodSeconds, 50);
        assert.strictEqual(outputs.tunnelOriginService, "https://127.0.0.1:8443");
        assert.strictEqual(outputs.tunnelOriginServerName, "hello.default.svc");
        assert.strictEqual(outputs.tunnelOriginCaPool, "/etc/cloudflared/origin-ca/ca.crt");
        assert.strictEqual(outputs.serviceName, undefined);
    });

    it("uses an existing token Secret", async () => {
        const { mocks, outputs } = await runProgram("dev", { tunnel: true, tunnelTokenSecretName: "cf-tunnel", nodePort: 0 });
        assert.strictEqual(mocks.ofType("kubernetes:core/v1:Secret").length, 1);
        assert.strictEqual(outputs.tunnelSecretName, "cf-tunnel");
    });

    it("previews with a tunnel without hanging", async () => {
        const { outputs } = await runProgram("dev", WITH_TUNNEL, ["tunnelToken"], true);
        assert.strictEqual(outputs.url, "https://hello.example.com");
    });

    const BAD: [Record<string, unknown>, RegExp][] = [
        [{ tunnel: true, nodePort: 0 }, /invalid configuration: tls-sidecar:tunnelToken: a missing value .*tls-sidecar:tunnelTokenSecretName|invalid configuration: tls-sidecar:tunnelToken: a missing value/],
        [{ tunnelToken: TOKEN }, /invalid configuration: tls-sidecar:tunnel: false is not allowed; expected true when tunnelToken or tunnelTokenSecretName is set/],
        [{ tunnel: true, tunnelToken: TOKEN }, /tls-sidecar:nodePort: 30443 .*"ClusterIP", the default with a tunnel/],
        [{ ...WITH_TUNNEL, tunnelToken: BAD_TOKEN }, /tls-sidecar:tunnelToken: "\(a secret value, not shown\)"/],
        [{ ...WITH_TUNNEL, tunnelMetricsPort: 80 }, /tls-sidecar:tunnelMetricsPort: 80 .*other than app\.port/],
        [{ ...WITH_TUNNEL, tunnelMetricsPort: 0 }, /tls-sidecar:tunnelMetricsPort: 0 .*1 to 65535/],
        [{ ...WITH_TUNNEL, tunnelImage: "cloudflare/cloudflared:latest" }, /tls-sidecar:tunnelImage: "cloudflare\/cloudflared:latest" .*pinned/],
        [{ ...WITH_TUNNEL, tunnelOrigin: "origin" }, /tls-sidecar:tunnelOrigin: "origin" .*"app", "proxy"/],
        [{ ...WITH_TUNNEL, tunnelGracePeriodSeconds: 0 }, /tls-sidecar:tunnelGracePeriodSeconds: 0 /],
        [{ ...WITH_TUNNEL, tunnelGracePeriodSeconds: 181 }, /tls-sidecar:tunnelGracePeriodSeconds: 181 is not allowed; expected an integer from 1 to 180 seconds \(cloudflared refuses a --grace-period over 3m0s\)/],
        [{ ...WITH_TUNNEL, tunnelHostname: "hello example" }, /tls-sidecar:tunnelHostname: "hello example" /],
        [{ ...WITH_TUNNEL, tunnelMemoryLimit: "256 MB" }, /tls-sidecar:tunnelMemoryLimit: "256 MB" .*quantity/],
        [{ ...WITH_TUNNEL, tunnelTokenSecretName: "cf" }, /tls-sidecar:tunnelTokenSecretName: "cf" .*not both/],
        [{ ...WITH_TUNNEL, clientAuth: "require" }, /tls-sidecar:clientAuth: "require" .*cloudflared presents no client certificate/],
        [{ serviceType: "ExternalName" }, /tls-sidecar:serviceType: "ExternalName" .*"NodePort", "ClusterIP", "LoadBalancer", "None"/],
        [{ serviceType: "None" }, /tls-sidecar:serviceType: "None" .*only with tunnel/],
        [{ serviceType: "ClusterIP" }, /tls-sidecar:nodePort: 30443 .*service\.type "ClusterIP"/],
    ];
    for (const [overrides, message] of BAD) {
        it(`fails before creating anything on ${JSON.stringify(overrides).replace(TOKEN, "<token>")}, naming the config key`, async () => {
            await assert.rejects(
                () => runProgram("dev", overrides, ["tunnelToken"]),
                (e: unknown) => {
                    assert.ok(e instanceof ProgramFailure, String(e));
                    assert.match(e.message, message);
                    assert.ok(!e.message.includes(TOKEN) && !e.message.includes(BAD_TOKEN), "the token is not echoed");
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
