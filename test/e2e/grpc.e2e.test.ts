// A gRPC app behind the sidecar on the real node: the e2e app in its gRPC mode (grpc-go over h2c on the app port),
// the proxy with `upstreamProtocol: h2c`, and a grpc-go client (test/e2e/app/grpccheck) over TLS to the node port:
// a unary call, a server stream, a bidirectional stream with its trailer, and an error status sent in trailers only.
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kubectlJson, pods } from "./cluster";
import { deleteNamespacesAfter, deployFresh, e2eSetup, MARKER, REPO, stopClusterAfterAll } from "./deploy";
import { run } from "./docker";
import type { BuiltImages } from "./images";
import { objectOf, RenderedStack } from "./manifests";
import { installMocks, promiseOf } from "../support/mocks";

stopClusterAfterAll();

const NS = "tls-e2e-grpc";
const NODE_PORT = 30454;

/** The component rendered with the app in gRPC mode and the proxy speaking h2c to it. */
async function render(images: BuiltImages): Promise<RenderedStack> {
    const mocks = await installMocks("e2e-grpc");
    const c = await import("../../components");
    const app = new c.TlsSidecarApp("greeter", {
        namespace: NS,
        app: { image: images.app, port: 80, args: ["grpc"] },
        proxy: { upstreamProtocol: c.UpstreamProtocol.H2c },
        publicHost: "localhost",
        service: { nodePort: NODE_PORT },
        images: { prebuilt: { proxy: images.proxy, init: images.init } },
    });
    await promiseOf(app.workloadName);
    const outputs = { nodePort: await promiseOf(app.nodePort), caCertPem: await promiseOf(app.caCertPem), url: await promiseOf(app.url) };
    const objects = mocks.resources.filter((r) => r.type.startsWith("kubernetes:")).map(objectOf);
    return { objects, outputs, run: { mocks, outputs, exported: Object.keys(outputs) } };
}

describe("real node: a gRPC app behind the sidecar (upstreamProtocol h2c)", function () {
    this.timeout(10 * 60_000);
    deleteNamespacesAfter(NS);
    const work = mkdtempSync(join(tmpdir(), "tls-e2e-grpc-"));
    after(() => rmSync(work, { recursive: true, force: true }));

    it("unary, server-streaming and bidirectional calls and trailer-only errors pass through the proxy", async function () {
        this.timeout(40 * 60_000);
        const [images] = await Promise.all([
            e2eSetup(),
            run("go", ["build", "-o", join(work, "grpccheck"), "./grpccheck"], { cwd: join(REPO, "test/e2e/app"), timeoutMs: 300_000 }),
        ]);
        const rendered = await render(images);
        const d = await deployFresh(NS, rendered);
        const [pod] = await pods(NS, d.selector);
        const live = (await kubectlJson(["get", "pod", "-n", NS, pod.name])).spec;
        const proxy = [...(live.initContainers ?? []), ...live.containers].find((x: any) => x.name === "tls-proxy");
        assert.ok(proxy, "no tls-proxy container in the pod");
        assert.ok(proxy.args.includes("--upstream-protocol=h2c"), `the proxy runs without h2c: ${proxy.args.join(" ")}`);

        const ca = join(work, "ca.pem");
        writeFileSync(ca, String(rendered.outputs.caCertPem));
        const res = await run(join(work, "grpccheck"), ["--addr", `127.0.0.1:${d.nodePort}`, "--ca", ca, "--server-name", d.target.servername, "--service", MARKER],
            { timeoutMs: 60_000, allowFail: true });
        assert.equal(res.code, 0, `grpccheck failed: ${res.stderr}`);
        const report = JSON.parse(res.stdout);
        assert.deepEqual(report, {
            check: "SERVING",
            unknown: "NotFound",
            watch: "SERVING",
            echoed: ["echo:one", "echo:two", "echo:three"],
            echoTrailer: "3",
        });
    });
});
