// The traffic controls on the real node, set from stack config: a per-pod rate limit turns excess requests through
// the node port into 429s, the access log writes its documented line to the proxy container's stdout, HSTS is on
// every response, TLS 1.2 is refused under tlsMinVersion 1.3, and plain HTTP on the TLS port gets a redirect.
import { strict as assert } from "node:assert";
import { kubectl, pods } from "./cluster";
import { httpsGet, plaintextRequest, Target } from "./clients";
import { deleteNamespacesAfter, deployFresh, e2eSetup, MARKER, renderE2e, stopClusterAfterAll } from "./deploy";

stopClusterAfterAll();

const NAMESPACE = "tls-e2e-traffic";
const REQUESTS = 20;

describe("real node: traffic controls from stack config", function () {
    this.timeout(60_000);
    let target: Target;
    let selector: string;

    deleteNamespacesAfter(NAMESPACE);

    before(async function () {
        this.timeout(40 * 60_000);
        const images = await e2eSetup();
        const rendered = await renderE2e(images, NAMESPACE, 30460, {
            rateLimitRps: 1, rateLimitBurst: 2, accessLog: true, hstsMaxAge: "1h", tlsMinVersion: "1.3",
        });
        ({ target, selector } = await deployFresh(NAMESPACE, rendered));
    });

    it("a per-pod rate limit answers the excess with 429 and Retry-After through the node port, never a reset", async () => {
        const statuses: number[] = [];
        const retryAfter: number[] = [];
        const started = Date.now();
        for (let i = 0; i < REQUESTS; i++) {
            const res = await httpsGet(target, `/limited/${i}`);
            statuses.push(res.status);
            if (res.status === 429) retryAfter.push(Number(res.headers["retry-after"]));
        }
        const seconds = (Date.now() - started) / 1000;
        const served = statuses.filter((s) => s === 200).length;
        console.log(`      [e2e] ${REQUESTS} requests in ${seconds.toFixed(1)} s at 1/s, burst 2: ${served} served, ${retryAfter.length} limited`);
        assert.ok(statuses.every((s) => s === 200 || s === 429), `only 200 and 429: ${statuses}`);
        assert.ok(served >= 2, `the burst is served: ${statuses}`);
        // At most the burst plus one token a second (and one for a second started) got through.
        assert.ok(served <= 2 + Math.ceil(seconds) + 1, `${served} served in ${seconds} s`);
        assert.ok(retryAfter.length > 0, `requests beyond the limit are refused: ${statuses}`);
        assert.ok(retryAfter.every((s) => Number.isInteger(s) && s >= 1), `Retry-After in whole seconds: ${retryAfter}`);
        await new Promise((r) => setTimeout(r, Math.max(...retryAfter) * 1000));
        assert.equal((await httpsGet(target, "/after-the-wait")).status, 200, "served again after Retry-After");
    });

    it("the access log writes the documented line on the proxy's stdout: the path without its query, no cookie", async () => {
        await new Promise((r) => setTimeout(r, 2000));
        const id = `e2e-${Date.now()}`;
        const res = await httpsGet(target, "/logged?token=hunter2", 5000, { headers: { "X-Request-Id": id, Cookie: "session=hunter2" } });
        assert.equal(res.status, 200);
        assert.equal(JSON.parse(res.body).server, MARKER);
        const [pod] = await pods(NAMESPACE, selector);
        let line: Record<string, unknown> | undefined;
        for (let i = 0; i < 20 && line === undefined; i++) {
            const out = await kubectl(["logs", "-n", NAMESPACE, pod.name, "-c", "tls-proxy"]);
            assert.doesNotMatch(out, /hunter2/, "neither the query nor the cookie is logged");
            line = out.split("\n").filter((l) => l.includes(id)).map((l) => JSON.parse(l))[0];
            if (line === undefined) await new Promise((r) => setTimeout(r, 250));
        }
        assert.ok(line, "an access line for the request");
        assert.equal(line.msg, "request");
        assert.equal(line.method, "GET");
        assert.equal(line.path, "/logged");
        assert.equal(line.status, 200);
        assert.equal(line.sni, target.servername);
        assert.equal(line.proto, "HTTP/1.1");
        assert.equal(line.tls_version, "TLSv1.3");
        assert.equal(line.request_id, id);
        assert.match(String(line.remote), /^[0-9.]+:\d+$/);
        assert.ok(Number(line.bytes_out) > 0 && typeof line.duration_ms === "number" && typeof line.upstream_ms === "number");
    });

    it("HSTS is on the app's responses, TLS 1.2 is refused, and plain HTTP on the TLS port is redirected", async () => {
        await new Promise((r) => setTimeout(r, 3000));
        const res = await httpsGet(target, "/hsts");
        assert.equal(res.status, 200);
        assert.equal(res.headers["strict-transport-security"], "max-age=3600");
        await assert.rejects(httpsGet(target, "/tls12", 5000, { maxVersion: "TLSv1.2" }), /protocol version|alert|handshake|ECONNRESET/i);
        const { received } = await plaintextRequest(target.host, target.port);
        assert.match(received, /^HTTP\/1\.1 308 /);
        assert.match(received, /\r\nlocation: https:\/\/127\.0\.0\.1\//i);
    });
});
