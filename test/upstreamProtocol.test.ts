// gRPC apps: proxy.upstreamProtocol (config upstreamProtocol) makes the proxy speak HTTP/2 with prior knowledge (h2c)
// to the app, as a gRPC server on a plain port expects; the default (http1) leaves the proxy's args as they were.
import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import { EngineMocks, installMocks, promiseOf } from "./support/mocks";
import { deployed, deployedProxyArgs, itRejectsEach, RejectionCase } from "./support/fixtures";
import { refusal, runProgram } from "./support/program";
import type * as Components from "../components";

let c: typeof Components;
let mocks: EngineMocks;

const proxyArgs = (m: EngineMocks): string[] => deployedProxyArgs(m, c.PROXY_CONTAINER);

const CASES: RejectionCase[] = [
    ["an unknown upstream protocol", () => ({ proxy: { upstreamProtocol: "h2" as Components.UpstreamProtocol } }), /^proxy\.upstreamProtocol: "h2" is not allowed; expected one of "http1", "h2c"/],
];

describe("the proxy's upstream protocol (gRPC apps)", () => {
    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    it("by default the proxy speaks HTTP/1.1 to the app, and its args name no protocol (pods of older stacks do not roll)", async () => {
        await deployed(c, {});
        assert.ok(!proxyArgs(mocks).some((a) => a.startsWith("--upstream-protocol")), proxyArgs(mocks).join(" "));
    });

    it("h2c: the proxy is told to speak HTTP/2 with prior knowledge to the app", async () => {
        await deployed(c, { proxy: { upstreamProtocol: c.UpstreamProtocol.H2c } });
        assert.deepStrictEqual(proxyArgs(mocks).filter((a) => a.startsWith("--upstream-protocol")), ["--upstream-protocol=h2c"]);
        assert.ok(proxyArgs(mocks).includes("--upstream=http://127.0.0.1:80"), "still the app's plain port on loopback");
    });

    it("withTlsSidecar passes it the same way, to a Deployment of your own", async () => {
        const spec = c.withTlsSidecar(
            { containers: [{ name: "app", image: "nginx:1.27" }] },
            { secretName: "tls", proxyImage: "proxy@sha256:aaa", initImage: "init@sha256:bbb" },
            { appPort: 80, proxy: { upstreamProtocol: c.UpstreamProtocol.H2c } },
        );
        const own = new k8s.apps.v1.Deployment("own", { spec: { selector: { matchLabels: { app: "own" } }, template: { metadata: { labels: { app: "own" } }, spec } } });
        await promiseOf(own.metadata.name);
        assert.ok(proxyArgs(mocks).includes("--upstream-protocol=h2c"), proxyArgs(mocks).join(" "));
    });

    itRejectsEach(CASES, () => ({ c, mocks }));

    describe("config key upstreamProtocol", () => {
        it("h2c reaches the proxy's args", async () => {
            const run = await runProgram("dev", { upstreamProtocol: "h2c" });
            const spec = run.mocks.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec;
            const proxy = [...spec.initContainers, ...spec.containers].find((x: { name: string }) => x.name === "tls-proxy");
            assert.ok(proxy.args.includes("--upstream-protocol=h2c"));
        });

        it("an unknown value is refused, naming the key and the values allowed", async () => {
            assert.match(await refusal("dev", { upstreamProtocol: "grpc" }), /upstreamProtocol.*"grpc".*"http1", "h2c"/);
        });
    });
});
