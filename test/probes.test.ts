// The app's probes and lifecycle hooks: passed through as written, except that with iptables interception an httpGet
// at the app port is sent as HTTPS (it lands on the TLS proxy, which passes it to the app), and what cannot pass
// through the proxy (gRPC, or any probe when the proxy requires client certificates) is refused.
import * as pulumi from "@pulumi/pulumi";
import * as assert from "assert";
import { EngineMocks, installMocks } from "./support/mocks";
import { deployedPodSpec, itRejectsEach, minimalArgs, RejectionCase } from "./support/fixtures";
import type * as Components from "../components";

let c: typeof Components;
let mocks: EngineMocks;

const APP = { image: "ghcr.io/acme/shop:1.0", port: 8080 };
type Args = Partial<Components.TlsSidecarAppArgs>;
type App = Partial<Components.AppContainer>;

async function appContainer(args: Args): Promise<any> {
    const spec = await deployedPodSpec(c, mocks, args);
    return { app: spec.containers.find((x: any) => x.name === "app"), spec };
}

const withApp = (app: App, more: Args = {}): Args => ({ app: { ...APP, ...app }, ...more });
const get = (port: number, scheme?: string) => ({ httpGet: { path: "/healthz", port, ...(scheme === undefined ? {} : { scheme: scheme as Components.ProbeScheme }) } });
const service = { interception: "service" as Components.InterceptionMode };
const require_ = { proxy: { clientAuth: "require" as Components.ClientAuth } };

const CASES: RejectionCase[] = [
    [
        "an httpGet probe at the app port when the proxy requires client certificates (iptables)",
        () => withApp({ readinessProbe: get(8080) }, require_),
        /^app\.readinessProbe\.httpGet\.port: 8080 is not allowed; expected a port other than app\.port \(8080\) with proxy\.clientAuth "require" and iptables interception: .*client certificate the kubelet does not have; probe another port the app listens on \(only app\.port is redirected\), or use tcpSocket or exec$/,
    ],
    ["an httpGet liveness probe at the app port under clientAuth require, given as HTTPS", () => withApp({ livenessProbe: get(8080, "HTTPS") }, require_), /^app\.livenessProbe\.httpGet\.port: 8080 .*clientAuth "require"/],
    ["an httpGet postStart hook at the app port under clientAuth require", () => withApp({ lifecycle: { postStart: get(8080) } }, require_), /^app\.lifecycle\.postStart\.httpGet\.port: 8080 .*clientAuth "require"/],
    ["a gRPC probe at the app port with iptables interception", () => withApp({ readinessProbe: { grpc: { port: 8080 } } }), /^app\.readinessProbe\.grpc\.port: 8080 .*gRPC probe is plaintext and app\.port is the TLS proxy there; probe another port/],
    ["an HTTPS probe at the app port with service interception", () => withApp({ readinessProbe: get(8080, "HTTPS") }, service), /^app\.readinessProbe\.httpGet\.scheme: "HTTPS" .*"HTTP" at app\.port \(8080\) with service interception: .*plain HTTP$/],
    ["a probe with two actions", () => withApp({ readinessProbe: { ...get(8080), tcpSocket: { port: 8080 } } }), /^app\.readinessProbe: \["httpGet","tcpSocket"\] .*exactly one of httpGet, tcpSocket, grpc, exec$/],
    ["a probe with no action", () => withApp({ startupProbe: { periodSeconds: 2 } }), /^app\.startupProbe: \[\] .*exactly one of httpGet/],
    ["a probe port out of range", () => withApp({ readinessProbe: { tcpSocket: { port: 70000 } } }), /^app\.readinessProbe\.tcpSocket\.port: 70000 .*1 to 65535$/],
    ["a relative probe path", () => withApp({ readinessProbe: { httpGet: { path: "healthz", port: 8080 } } }), /^app\.readinessProbe\.httpGet\.path: "healthz" .*absolute path/],
    ["an unknown scheme", () => withApp({ readinessProbe: get(9090, "TCP") }), /^app\.readinessProbe\.httpGet\.scheme: "TCP" .*one of "HTTP", "HTTPS"$/],
    ["a bad header name", () => withApp({ readinessProbe: { httpGet: { port: 9090, httpHeaders: [{ name: "X Probe", value: "1" }] } } }), /^app\.readinessProbe\.httpGet\.httpHeaders\[0\]\.name: "X Probe" .*header name/],
    ["an empty exec command", () => withApp({ livenessProbe: { exec: { command: [] } } }), /^app\.livenessProbe\.exec\.command: \[\] .*a command and its arguments/],
    ["a zero period", () => withApp({ readinessProbe: { ...get(9090), periodSeconds: 0 } }), /^app\.readinessProbe\.periodSeconds: 0 .*positive integer$/],
    ["a negative initial delay", () => withApp({ readinessProbe: { ...get(9090), initialDelaySeconds: -1 } }), /^app\.readinessProbe\.initialDelaySeconds: -1 .*0 or more$/],
    ["a liveness success threshold above 1", () => withApp({ livenessProbe: { ...get(9090), successThreshold: 2 } }), /^app\.livenessProbe\.successThreshold: 2 .*1 for a liveness or startup probe/],
    [
        "a preStop hook of the app's own while the drain is on (the default 5 s)",
        () => withApp({ lifecycle: { preStop: { exec: { command: ["/bin/quit"] } } } }),
        /^app\.lifecycle\.preStop: \["exec"\] is not allowed; expected no preStop hook of your own while app\.drainSeconds is above 0 \(it is 5\): .*set app\.drainSeconds to 0 to run yours instead .*or drop yours$/,
    ],
    ["a hook with a probe's action", () => withApp({ drainSeconds: 0, lifecycle: { preStop: { tcpSocket: { port: 1 } } as Components.LifecycleHandler } }), /^app\.lifecycle\.preStop: \[\] .*exactly one of exec, httpGet, sleep$/],
    ["a preStop sleep of 0", () => withApp({ drainSeconds: 0, lifecycle: { preStop: { sleep: { seconds: 0 } } } }), /^app\.lifecycle\.preStop\.sleep\.seconds: 0 .*1 to 300/],
];

describe("the app's probes and lifecycle hooks", () => {
    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    describe("iptables interception (the default)", () => {
        it("sends an httpGet probe at the app port as HTTPS: the kubelet's request lands on the TLS proxy, which passes it to the app (the kubelet verifies no certificate)", async () => {
            const { app } = await appContainer(withApp({ readinessProbe: { ...get(8080), periodSeconds: 3, failureThreshold: 2 }, livenessProbe: get(8080, "HTTP"), startupProbe: get(8080, "HTTPS") }));
            assert.deepStrictEqual(app.readinessProbe, { httpGet: { path: "/healthz", port: 8080, scheme: "HTTPS" }, periodSeconds: 3, failureThreshold: 2 });
            assert.strictEqual(app.livenessProbe.httpGet.scheme, "HTTPS", "an explicit HTTP is rewritten too: plain HTTP cannot pass the proxy");
            assert.strictEqual(app.startupProbe.httpGet.scheme, "HTTPS");
        });

        it("leaves probes at other ports as written (only the app port is redirected)", async () => {
            const { app } = await appContainer(withApp({ ports: [{ name: "health", containerPort: 9090 }], readinessProbe: get(9090), livenessProbe: { grpc: { port: 9090, service: "shop" } } }));
            assert.deepStrictEqual(app.readinessProbe, { httpGet: { path: "/healthz", port: 9090, scheme: "HTTP" } });
            assert.deepStrictEqual(app.livenessProbe, { grpc: { port: 9090, service: "shop" } });
        });

        it("keeps a tcpSocket probe at the app port (it connects to the proxy's listener) and exec probes unchanged", async () => {
            const { app } = await appContainer(withApp({ readinessProbe: { tcpSocket: { port: 8080 } }, livenessProbe: { exec: { command: ["/bin/check", "--quick"] }, timeoutSeconds: 2 } }));
            assert.deepStrictEqual(app.readinessProbe, { tcpSocket: { port: 8080 } });
            assert.deepStrictEqual(app.livenessProbe, { exec: { command: ["/bin/check", "--quick"] }, timeoutSeconds: 2 });
        });

        it("passes headers through and rewrites an app port known only later, once it resolves", async () => {
            const { app } = await appContainer({
                app: { image: APP.image, port: pulumi.output(8080) as unknown as number, readinessProbe: { httpGet: { port: 8080, httpHeaders: [{ name: "X-Probe", value: "kubelet" }] } } },
            });
            assert.deepStrictEqual(app.readinessProbe.httpGet, { port: 8080, scheme: "HTTPS", httpHeaders: [{ name: "X-Probe", value: "kubelet" }] });
        });

        it("with clientAuth request the kubelet may come without a certificate: the HTTPS probe is kept", async () => {
            const { app } = await appContainer(withApp({ readinessProbe: get(8080) }, { proxy: { clientAuth: c.ClientAuth.Request } }));
            assert.strictEqual(app.readinessProbe.httpGet.scheme, "HTTPS");
        });

        it("with clientAuth require, probes of another port, tcpSocket and exec are accepted", async () => {
            const { app } = await appContainer(withApp({ ports: [{ name: "health", containerPort: 9090 }], readinessProbe: get(9090), livenessProbe: { tcpSocket: { port: 8080 } }, startupProbe: { exec: { command: ["true"] } } }, require_));
            assert.deepStrictEqual(app.readinessProbe.httpGet, { path: "/healthz", port: 9090, scheme: "HTTP" });
        });
    });

    it("service interception: the kubelet reaches the app itself, so probes go as written", async () => {
        const { app } = await appContainer(withApp({ readinessProbe: get(8080), livenessProbe: { grpc: { port: 8080 } } }, { ...service, ...require_ }));
        assert.deepStrictEqual(app.readinessProbe.httpGet, { path: "/healthz", port: 8080, scheme: "HTTP" });
        assert.deepStrictEqual(app.livenessProbe, { grpc: { port: 8080 } });
    });

    describe("lifecycle", () => {
        it("adds a postStart hook beside the drain, and rewrites its httpGet at the app port like a probe's", async () => {
            const { app } = await appContainer(withApp({ lifecycle: { postStart: get(8080) } }));
            assert.deepStrictEqual(app.lifecycle, {
                postStart: { httpGet: { path: "/healthz", port: 8080, scheme: "HTTPS" } },
                preStop: { httpGet: { path: "/drain", port: 9901, scheme: "HTTPS" } },
            });
        });

        it("runs the app's own preStop instead of the drain with drainSeconds 0, and the grace period covers its sleep", async () => {
            const { app, spec } = await appContainer(withApp({ drainSeconds: 0, lifecycle: { preStop: { sleep: { seconds: 12 } } } }));
            assert.deepStrictEqual(app.lifecycle, { preStop: { sleep: { seconds: 12 } } });
            assert.strictEqual(spec.terminationGracePeriodSeconds, 12 + 25 + 5);
            const proxyArgs = spec.initContainers.find((x: any) => x.name === c.PROXY_CONTAINER).args;
            assert.ok(proxyArgs.includes("--drain-delay=0s"));
        });

        it("an exec preStop with drainSeconds 0 adds nothing to the grace period", async () => {
            const { app, spec } = await appContainer(withApp({ drainSeconds: 0, lifecycle: { preStop: { exec: { command: ["/bin/quit"] } } } }));
            assert.deepStrictEqual(app.lifecycle, { preStop: { exec: { command: ["/bin/quit"] } } });
            assert.strictEqual(spec.terminationGracePeriodSeconds, 25 + 5);
        });
    });

    it("reports every bad probe and hook in one error", () => {
        assert.throws(
            () => new c.TlsSidecarApp("hello", minimalArgs(withApp({ readinessProbe: { grpc: { port: 8080 } }, livenessProbe: { ...get(9090), successThreshold: 3 }, lifecycle: { preStop: { exec: { command: ["x"] } } } }))),
            (e: unknown) => {
                assert.deepStrictEqual(
                    (e as Components.ConfigError).problems.map((p) => p.path),
                    ["app.readinessProbe.grpc.port", "app.livenessProbe.successThreshold", "app.lifecycle.preStop"],
                );
                return true;
            },
        );
    });

    itRejectsEach(CASES, () => ({ c, mocks }));
});
