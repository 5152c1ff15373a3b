// The app's own readiness probe on the real node: with iptables interception the kubelet's probe of the app port
// lands on the TLS proxy, so the component sends it as HTTPS; the pod is Ready only when the app's probe passes
// through the proxy, and a failing probe holds a rollout back while the old pod keeps serving.
import { strict as assert } from "node:assert";
import type * as Components from "../../components";
import { apply, kubectlJson, pods } from "./cluster";
import { httpsGet } from "./clients";
import { deleteNamespacesAfter, deployFresh, e2eSetup, MARKER, stopClusterAfterAll } from "./deploy";
import type { BuiltImages } from "./images";
import { objectOf, RenderedStack } from "./manifests";
import { installMocks, promiseOf } from "../support/mocks";

stopClusterAfterAll();

const NS = "tls-e2e-probes";
const NODE_PORT = 30450;

/** The component rendered with an app readiness probe (probes have no program config key). */
async function render(images: BuiltImages, readinessProbe: Components.Probe): Promise<RenderedStack> {
    const mocks = await installMocks("e2e-probes");
    const c = await import("../../components");
    const app = new c.TlsSidecarApp("hello", {
        namespace: NS,
        app: { image: images.app, port: 80, readinessProbe },
        publicHost: "localhost",
        service: { nodePort: NODE_PORT },
        images: { prebuilt: { proxy: images.proxy, init: images.init } },
    });
    await promiseOf(app.workloadName);
    const outputs = { nodePort: await promiseOf(app.nodePort), caCertPem: await promiseOf(app.caCertPem), url: await promiseOf(app.url) };
    const objects = mocks.resources.filter((r) => r.type.startsWith("kubernetes:")).map(objectOf);
    return { objects, outputs, run: { mocks, outputs, exported: Object.keys(outputs) } };
}

describe("real node: the app's own readiness probe, through the proxy", function () {
    this.timeout(10 * 60_000);
    deleteNamespacesAfter(NS);

    it("an httpGet on the app port is sent as HTTPS through the proxy and gates the pod; a failing one holds the rollout", async function () {
        this.timeout(40 * 60_000);
        const images = await e2eSetup();
        const passing = await render(images, { httpGet: { path: "/healthz", port: 80 }, periodSeconds: 2 });
        const d = await deployFresh(NS, passing);
        const [pod] = await pods(NS, d.selector);
        const live = (await kubectlJson(["get", "pod", "-n", NS, pod.name])).spec.containers.find((x: any) => x.name === "app");
        assert.equal(live.readinessProbe.httpGet.scheme, "HTTPS", "the probe of the redirected app port goes through the TLS proxy");
        assert.equal((await httpsGet(d.target, "/")).status, 200);

        // A probe the app fails (it answers /slow after 3 s, the probe gives up after 1 s): the new pod never gets
        // Ready, the Deployment (maxUnavailable 0) keeps the old one, which keeps serving.
        const failing = await render(images, { httpGet: { path: "/slow?ms=3000", port: 80 }, periodSeconds: 2, timeoutSeconds: 1 });
        await apply(failing.objects);
        let sawNewPod = false;
        for (let i = 0; i < 20; i++) { // 20 s, bounded
            const now = await pods(NS, d.selector);
            const fresh = now.filter((p) => p.uid !== pod.uid && !p.deleting);
            if (fresh.length > 0) {
                sawNewPod = true;
                assert.ok(fresh.every((p) => !p.ready), "a pod whose app fails its readiness probe became Ready");
            }
            assert.ok(now.some((p) => p.uid === pod.uid && p.ready && !p.deleting), "the old pod was taken away before its successor was Ready");
            const res = await httpsGet({ ...d.target, ca: [String(passing.outputs.caCertPem), String(failing.outputs.caCertPem)] }, "/");
            assert.equal(JSON.parse(res.body).server, MARKER);
            await new Promise((r) => setTimeout(r, 1000));
        }
        assert.ok(sawNewPod, "the rollout never created a new pod");
    });
});
