// The dev stack as the program renders it, applied to a real Kubernetes node (test/e2e/cluster/): the API server
// validates every field and runs admission, the kubelet runs the pod (init order, native sidecar, probes, security
// contexts, Secret volume sync), kube-proxy serves the node port on 127.0.0.1. Traffic goes only to 127.0.0.1 and
// to the pods this test created; every wait is bounded.
import { strict as assert } from "node:assert";
import { apply, deleteNamespace, pods, runInPodNetns, sandboxPid } from "./cluster";
import { h2Get, httpsGet, plaintextRequest, serialOf, Target, wsEcho } from "./clients";
import { eventually, run } from "./docker";
import type { BuiltImages } from "./images";
import { deleteNamespacesAfter, Deployed, deployFresh, e2eSetup, MARKER, podsReady, renderE2e, stopClusterAfterAll } from "./deploy";
import { tlsSecretOf } from "./manifests";

stopClusterAfterAll();

const NAMESPACE = "tls-e2e-node";

describe("real node: the dev stack, deployed as the program renders it", function () {
    this.timeout(60_000);
    let images: BuiltImages;
    let d: Deployed;
    let podIp = "";
    let podUid = "";
    let appPort = 0;
    let proxyPort = 0;
    let servedSerial = "";

    before(async function () {
        this.timeout(40 * 60_000);
        images = await e2eSetup();
        await deleteNamespace(NAMESPACE);
        d = await deployFresh(NAMESPACE, await renderE2e(images, NAMESPACE, 30443));
        const [pod] = await pods(NAMESPACE, d.selector);
        podIp = pod.ip;
        podUid = pod.uid;
        const config = d.rendered.run.mocks.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec;
        appPort = config.containers[0].ports[0].containerPort;
        proxyPort = Number(/--listen=:(\d+)/.exec(JSON.stringify(config.initContainers))![1]);
        servedSerial = serialOf(tlsSecretOf(d.rendered).stringData["tls.crt"]);
    });

    deleteNamespacesAfter(NAMESPACE);

    it("serves HTTPS on 127.0.0.1:<nodePort>, verified against the exported CA and the certificate's SAN", async () => {
        assert.equal(d.rendered.outputs.url, `https://localhost:${d.nodePort}`);
        const res = await httpsGet(d.target, "/");
        assert.equal(res.status, 200);
        assert.equal(JSON.parse(res.body).server, MARKER);
        assert.equal(res.peerSerial, servedSerial);
        await assert.rejects(httpsGet({ ...d.target, servername: "not-in-the-san.example" }, "/"), /altnames|ERR_TLS_CERT_ALTNAME_INVALID/i);
        await assert.rejects(httpsGet({ ...d.target, ca: [] as string[] }, "/"), /certificate|self.signed|issuer/i);
    });

    it("the app sees X-Forwarded-Proto: https, and is reached by the proxy over loopback", async () => {
        const echo = JSON.parse((await httpsGet(d.target, "/whoami")).body);
        assert.deepEqual(echo.headers["X-Forwarded-Proto"], ["https"]);
        assert.ok((echo.headers["X-Forwarded-For"] ?? []).length > 0, "no X-Forwarded-For");
        assert.match(echo.remoteAddr, /^127\.0\.0\.1:/);
    });

    it("negotiates h2 through the node port", async () => {
        const res = await h2Get(d.target, "/h2");
        assert.equal(res.alpn, "h2");
        assert.equal(res.status, 200);
        assert.equal(JSON.parse(res.body).server, MARKER);
    });

    it("proxies a WebSocket echo through the node port", async () => {
        assert.equal(await wsEcho(d.target, "/ws", "hello through the sidecar"), "hello through the sidecar");
    });

    it("plaintext HTTP to the pod's app port is never answered by the app", async () => {
        const { received, closedBy } = await plaintextRequest(podIp, appPort);
        console.log(`      [e2e] plaintext to ${podIp}:${appPort} got ${JSON.stringify(received.slice(0, 60))} (closed by ${closedBy})`);
        assert.ok(!received.includes(MARKER), "the app answered plaintext");
        assert.doesNotMatch(received, /^HTTP\/1\.[01] 2\d\d/);
    });

    it("the init container's rules are in place, and running it again leaves one set", async function () {
        this.timeout(120_000);
        const save = async () => (await run("nsenter", ["-t", String(await sandboxPid(podUid)), "-n", "sh", "-c",
            "iptables-nft-save -t nat 2>/dev/null; iptables-legacy-save -t nat 2>/dev/null; true"])).stdout;
        const ours = (saved: string) => saved.split("\n").filter((l) => l.startsWith("-A TLS_SIDECAR_PREROUTING "));
        const jumps = (saved: string) => saved.split("\n").filter((l) => /^-A PREROUTING .*-j TLS_SIDECAR_PREROUTING$/.test(l));
        const before = await save();
        assert.equal(jumps(before).length, 1, before);
        assert.ok(ours(before).some((l) => l.includes(`--dport ${appPort}`) && l.includes(`REDIRECT --to-ports ${proxyPort}`)), before);
        const init = d.rendered.run.mocks.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec.initContainers[0];
        const again = await runInPodNetns(podUid, images.init, ["/tls-sidecar-init", ...init.args], init.securityContext.capabilities.add);
        assert.equal(again.code, 0, again.output);
        const after = await save();
        assert.equal(jumps(after).length, 1, after);
        assert.deepEqual(ours(after), ours(before));
        assert.equal((await httpsGet(d.target, "/")).status, 200);
    });

    it("kubelet's probes: Ready at start; app down → NotReady and 502; app back → Ready and 200", async function () {
        this.timeout(180_000);
        const direct: Target = { ...d.target, host: podIp, port: appPort };
        const readyNow = async () => (await pods(NAMESPACE, d.selector))[0].ready;
        assert.equal(await readyNow(), true);
        assert.equal((await httpsGet(direct, "/down?ms=25000")).status, 200);
        await eventually("502 from the proxy while the app is down", async () => ((await httpsGet(direct, "/")).status === 502 ? true : undefined), 50, 200);
        await eventually("the pod NotReady (the proxy's readiness probe fails)", async () => ((await readyNow()) ? undefined : true), 60, 500);
        await eventually("the pod Ready again", async () => ((await readyNow()) ? true : undefined), 120, 500);
        assert.equal((await httpsGet(d.target, "/")).status, 200);
        assert.equal((await pods(NAMESPACE, d.selector))[0].restarts, 0, "nothing was restarted");
    });
});

describe("real node: certificateRollout in-place, picked up through the kubelet's Secret sync", function () {
    this.timeout(60_000);
    const ns = "tls-e2e-inplace";

    deleteNamespacesAfter(ns);

    it("a renewed certificate is served without restarting the pod", async function () {
        this.timeout(40 * 60_000);
        const images = await e2eSetup();
        await deleteNamespace(ns);
        const more = { certificateRollout: "in-place", certificateClock: "2026-01-10T00:00:00Z" };
        const first = await renderE2e(images, ns, 30444, more);
        const d = await deployFresh(ns, first);
        const [pod] = await pods(ns, d.selector);
        const oldSerial = serialOf(tlsSecretOf(first).stringData["tls.crt"]);
        assert.equal((await httpsGet(d.target, "/")).peerSerial, oldSerial);

        // The next up, in the next renewal period: the same Secret (fixed name), new data; nothing else changes.
        const second = await renderE2e(images, ns, 30444, { ...more, certificateClock: "2026-03-15T00:00:00Z" }, first);
        const secret = tlsSecretOf(second);
        assert.equal(secret.metadata.name, tlsSecretOf(first).metadata.name);
        const newSerial = serialOf(secret.stringData["tls.crt"]);
        assert.notEqual(newSerial, oldSerial);
        const changed = second.run.mocks.resources.filter((r) => r.type.startsWith("kubernetes:") && r.step !== "same").map((r) => r.type);
        assert.deepEqual(changed, ["kubernetes:core/v1:Secret"], "only the Secret changes");
        const t0 = Date.now();
        await apply([secret]);
        await eventually("the renewed certificate served", async () => ((await httpsGet(d.target, "/")).peerSerial === newSerial ? true : undefined), 240, 500);
        console.log(`      [e2e] in-place renewal served ${((Date.now() - t0) / 1000).toFixed(1)} s after the Secret update`);
        await podsReady(ns, d.selector);
        const [now] = await pods(ns, d.selector);
        assert.equal(now.uid, pod.uid, "the same pod");
        assert.equal(now.restarts, 0, "no container restarted");
    });
});
