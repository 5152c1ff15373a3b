// Pod-level end-to-end test: the component's pod spec, run on Docker the way a kubelet would, reached over HTTPS.
// Setup (in `before`): Docker + registry up, local base images, the init/proxy/app images built from their
// Dockerfiles and pushed to 127.0.0.1:5000, then run from there by digest. Traffic goes only to the pod's
// container IP and 127.0.0.1; every wait is bounded.
import { strict as assert } from "node:assert";
import { join, resolve } from "node:path";
import { createHash, X509Certificate } from "node:crypto";
import { issueServerCert, makeCA, sansOf, dnsNameOf } from "./certs";
import { h2Get, httpGet, httpsGet, plaintextRequest, serialOf, Target, wsEcho } from "./clients";
import { eventually, run, sleep } from "./docker";
import { buildImage, BuiltImages, E2E_IMAGES, LOCAL_DEBIAN_IMAGE, pushImage } from "./images";
import { Container, Pod, PodSpec } from "./kubelet";
import { loadPodUnderTest, PodUnderTest, STACK } from "./pod-under-test";
import { renderPod, renderSequence } from "../support/render";
import { stackConfig } from "../support/program";

const REPO = resolve(__dirname, "..", "..");
const REGISTRY = process.env.E2E_REGISTRY ?? "127.0.0.1:5000";
const MARKER = "tls-sidecar-e2e-app"; // in every answer of the e2e app (test/e2e/app)

async function phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    const v = await fn();
    console.log(`      [e2e] ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return v;
}

/**
 * Puts the images this run built into the spec, by role, and points the stand-in app at the app port:
 * the init container that sets the redirect (args --proxy-port), the proxy (args --upstream / --tls-dir),
 * every other container is the app.
 */
export function assignImages(spec: PodSpec, images: BuiltImages, appPort: number): PodSpec {
    const hasArg = (c: Container, flag: string) => (c.args ?? []).some((a) => a === flag || a.startsWith(`${flag}=`));
    const role = (c: Container): keyof BuiltImages =>
        hasArg(c, "--proxy-port") ? "init" : hasArg(c, "--upstream") || hasArg(c, "--tls-dir") ? "proxy" : "app";
    const place = (c: Container): Container => {
        const r = role(c);
        const out: Container = { ...c, image: images[r] };
        if (r === "app") out.env = [...(c.env ?? []), { name: "APP_LISTEN", value: `:${appPort}` }];
        return out;
    };
    const out: PodSpec = { ...spec, initContainers: (spec.initContainers ?? []).map(place), containers: spec.containers.map(place) };
    const roles = [...(out.initContainers ?? []), ...out.containers].map(role);
    for (const r of ["init", "proxy", "app"] as const) {
        assert.ok(roles.includes(r), `the pod spec has no ${r} container`);
    }
    return out;
}

let imagesOnce: Promise<BuiltImages> | undefined;

/** Docker + registry up, base images, the three images built and pushed: once per mocha run, shared by the pods. */
function e2eImages(): Promise<BuiltImages> {
    imagesOnce ??= (async () => {
        await phase("docker-up", () => run("bash", [join(REPO, "test/e2e/infra/docker-up.sh")], { timeoutMs: 120_000 }));
        await phase("base images", () => run("bash", [join(REPO, "test/e2e/infra/base-images.sh")], { timeoutMs: 20 * 60_000 }));
        const runId = `e2e-${Date.now().toString(36)}`;
        const local = (n: string) => `tls-sidecar-e2e/${n}:dev`;
        await phase("build images", () => Promise.all(Object.values(E2E_IMAGES).map((s) => buildImage(REPO, s, local(s.name)))));
        const entries = await phase("push images", () => Promise.all(Object.entries(E2E_IMAGES).map(
            async ([k, s]) => [k, await pushImage(REGISTRY, local(s.name), s.name, runId)] as const)));
        return Object.fromEntries(entries) as BuiltImages;
    })();
    return imagesOnce;
}

/** The proxy's `proxy_cert_reloads_total{result="success"}`. */
function successfulReloads(metrics: string): number {
    const line = metrics.split("\n").find((l) => l.startsWith('proxy_cert_reloads_total{result="success"}'));
    return Number(line?.split(" ").pop() ?? NaN);
}

/** Two workers of HTTPS GETs until stopped (bounded in count and time), recording served serials and failures. */
function load(target: () => Target) {
    const seen: string[] = [];
    const failures: string[] = [];
    let stopped = false;
    const deadline = Date.now() + 60_000;
    const worker = async () => {
        for (let i = 0; i < 3000 && !stopped && Date.now() < deadline; i++) {
            try {
                const r = await httpsGet(target(), "/");
                if (r.status !== 200) failures.push(`status ${r.status}`);
                seen.push(r.peerSerial);
            } catch (err) {
                failures.push(String(err));
            }
        }
    };
    const workers = [worker(), worker()];
    return { seen, failures, stop: async () => { stopped = true; await Promise.all(workers); } };
}

describe("pod-level e2e: the component's pod on Docker, reached over HTTPS", function () {
    this.timeout(60_000);
    let put: PodUnderTest;
    let pod: Pod | undefined;
    let images: BuiltImages;
    let app: Target; // HTTPS to the pod's app port (redirected to the proxy)
    let admin: Target; // the proxy's admin port
    let initName = "";
    let proxyName = "";
    let appName = "";
    let tlsVolume = ""; // the secret volume the proxy mounts
    let adminTLS = true; // the proxy's --admin-tls (default true)
    const readyz = async () => (adminTLS ? (await httpsGet(admin, "/readyz")).status : (await httpGet(admin.host, admin.port, "/readyz")).status);
    const trusted: string[] = [];

    before(async function () {
        this.timeout(30 * 60_000);
        const t0 = Date.now();
        images = await e2eImages();
        put = await phase("load pod under test", () => loadPodUnderTest());
        const spec = assignImages(put.podSpec, images, put.appPort);
        const all = [...(spec.initContainers ?? []), ...spec.containers];
        initName = all.find((c) => c.image === images.init)!.name;
        proxyName = all.find((c) => c.image === images.proxy)!.name;
        appName = all.find((c) => c.image === images.app)!.name;
        const proxyMounts = all.find((c) => c.name === proxyName)!.volumeMounts ?? [];
        tlsVolume = (spec.volumes ?? []).find((v) => v.secret && proxyMounts.some((m) => m.name === v.name))?.name ?? "";
        assert.ok(tlsVolume, "the proxy mounts no secret volume");
        const secrets = Object.fromEntries((spec.volumes ?? []).filter((v) => v.secret)
            .map((v) => [v.secret!.secretName ?? v.name, { stringData: put.secretData }]));
        pod = new Pod(spec, { secrets, pauseImage: images.app, log: (m) => process.env.E2E_VERBOSE && console.log(`      [kubelet] ${m}`) });
        await phase("start pod (pulls from the registry)", () => pod!.start());
        trusted.push(put.secretData["ca.crt"]);
        const servername = dnsNameOf(put.secretData["tls.crt"]);
        app = { host: pod.ip, port: put.appPort, servername, ca: trusted };
        admin = { host: pod.ip, port: put.adminPort, servername, ca: trusted };
        adminTLS = !(all.find((c) => c.name === proxyName)!.args ?? []).includes("--admin-tls=false");
        await phase("wait for the first HTTPS answer", () => eventually("HTTPS 200 through the proxy",
            async () => ((await httpsGet(app, "/")).status === 200 ? true : undefined), 100, 200));
        console.log(`      [e2e] setup total: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });

    afterEach(async function () {
        if (this.currentTest?.state === "failed" && pod) {
            for (const n of [initName, proxyName, appName]) {
                if (n) console.log(`      --- logs of ${n}:\n${(await pod.logs(n)).slice(-3000)}`);
            }
        }
    });

    after(async function () {
        this.timeout(120_000);
        if (pod) await phase("cleanup", () => pod!.cleanup());
    });

    it("serves HTTPS on the app port, verified against ca.crt with the certificate's SAN", async () => {
        const res = await httpsGet(app, "/");
        assert.equal(res.status, 200);
        assert.equal(JSON.parse(res.body).server, MARKER);
        assert.equal(res.peerSerial, serialOf(put.secretData["tls.crt"]));
        await assert.rejects(httpsGet({ ...app, servername: "not-in-the-san.example" }, "/"), /altnames|ERR_TLS_CERT_ALTNAME_INVALID/i);
        await assert.rejects(httpsGet({ ...app, ca: [] as string[] }, "/"), /certificate|self.signed|issuer/i);
    });

    it("answers through the port published on 127.0.0.1 too (our stand-in for the NodePort path)", async () => {
        const res = await httpsGet({ ...app, host: "127.0.0.1", port: await pod!.hostPort(put.appPort) }, "/");
        assert.equal(res.status, 200);
        assert.equal(JSON.parse(res.body).server, MARKER);
    });

    it("the app sees X-Forwarded-Proto: https and the client's address", async () => {
        const echo = JSON.parse((await httpsGet(app, "/whoami")).body);
        assert.deepEqual(echo.headers["X-Forwarded-Proto"], ["https"]);
        const xff: string = (echo.headers["X-Forwarded-For"] ?? []).join(",");
        assert.ok(xff.split(",").map((s) => s.trim()).includes(pod!.hostSideIp), `X-Forwarded-For ${xff} lacks the client ${pod!.hostSideIp}`);
        assert.match(echo.remoteAddr, /^127\.0\.0\.1:/, "the proxy reaches the app over loopback");
    });

    it("plaintext HTTP to the app port gets no HTTP response from the app", async () => {
        const { received, closedBy } = await plaintextRequest(pod!.ip, put.appPort);
        console.log(`      [e2e] plaintext got ${JSON.stringify(received.slice(0, 80))} (closed by ${closedBy})`);
        assert.ok(!received.includes(MARKER), "the app answered plaintext");
        assert.doesNotMatch(received, /^HTTP\/1\.[01] 2\d\d/, "a 2xx answer to plaintext");
    });

    it("negotiates h2", async () => {
        const res = await h2Get(app, "/h2");
        assert.equal(res.alpn, "h2");
        assert.equal(res.status, 200);
        assert.equal(JSON.parse(res.body).server, MARKER);
    });

    it("proxies a WebSocket echo", async () => {
        assert.equal(await wsEcho(app, "/ws", "hello through the sidecar"), "hello through the sidecar");
    });

    it("running the init container again leaves one set of rules", async () => {
        assert.equal(await pod!.rerunInit(initName), 0, await pod!.logs(initName));
        const saved = await pod!.inNetns(LOCAL_DEBIAN_IMAGE, ["sh", "-c",
            "echo '## nft'; iptables-nft-save -t nat; echo '## legacy'; iptables-legacy-save -t nat"], ["NET_ADMIN", "NET_RAW"]);
        const jumps = saved.split("\n").filter((l) => /^-A PREROUTING .*-j TLS_SIDECAR_PREROUTING$/.test(l));
        const ours = saved.split("\n").filter((l) => l.startsWith("-A TLS_SIDECAR_PREROUTING "));
        assert.equal(jumps.length, 1, saved);
        assert.equal(ours.length, 2, saved); // loopback RETURN + the redirect
        assert.ok(ours.some((l) => l.includes(`--dport ${put.appPort}`) && l.includes(`REDIRECT --to-ports ${put.proxyPort}`)), saved);
        assert.ok(ours.every((l) => l.includes('--comment "tls-sidecar-init:')), saved);
        assert.ok(!/ -i (eth|ens|veth)/.test(saved), "no interface hard-coded");
        assert.equal((await httpsGet(app, "/")).status, 200);
    });

    it("app stopped: 502 and /readyz failing; app restarted: recovery", async function () {
        this.timeout(120_000);
        assert.equal(await readyz(), 200);
        await pod!.stop(appName, 5);
        await eventually("502 while the app is down", async () => ((await httpsGet(app, "/")).status === 502 ? true : undefined), 50, 200);
        await eventually("/readyz failing while the app is down", async () => ((await readyz()) !== 200 ? true : undefined), 50, 200);
        await pod!.restart(appName);
        await eventually("200 after the app restarted", async () => ((await httpsGet(app, "/")).status === 200 ? true : undefined), 100, 200);
        await eventually("/readyz ok after the app restarted", async () => ((await readyz()) === 200 ? true : undefined), 100, 200);
    });

    it("rotating the Secret files (kubelet's ..data swap) serves the new cert with zero failed requests", async function () {
        this.timeout(120_000);
        const oldSerial = serialOf(put.secretData["tls.crt"]);
        const newCA = await makeCA("tls-sidecar-e2e rotated CA");
        const next = await issueServerCert(newCA, "tls-sidecar-e2e rotated", sansOf(put.secretData["tls.crt"]));
        trusted.push(newCA.cert); // clients trust both, as during a real CA rollover
        const seen: string[] = [];
        const failures: string[] = [];
        let stop = false;
        const deadline = Date.now() + 60_000;
        const worker = async () => {
            for (let i = 0; i < 2000 && !stop && Date.now() < deadline; i++) { // bounded in count and time
                try {
                    const r = await httpsGet(app, "/");
                    if (r.status !== 200) failures.push(`status ${r.status}`);
                    seen.push(r.peerSerial);
                } catch (err) {
                    failures.push(String(err));
                }
            }
        };
        const workers = [worker(), worker()];
        await sleep(500);
        pod!.rotateSecret(tlsVolume, { stringData: { "tls.crt": next.cert, "tls.key": next.key, "ca.crt": newCA.cert } });
        const rotatedAt = seen.length;
        await eventually("the proxy serves the new certificate", async () => (seen.slice(rotatedAt).includes(next.serial) ? true : undefined), 150, 200);
        const after = seen.length;
        await eventually("more requests after the switch", async () => (seen.length >= after + 20 ? true : undefined), 100, 100);
        stop = true;
        await Promise.all(workers);
        console.log(`      [e2e] rotation: ${seen.length} requests, ${seen.filter((s) => s === oldSerial).length} old cert, ${seen.filter((s) => s === next.serial).length} new cert, ${failures.length} failed`);
        assert.deepEqual(failures, []);
        assert.ok(seen.slice(after).every((s) => s === next.serial), "the old certificate came back after the switch");
        put.secretData = { "tls.crt": next.cert, "tls.key": next.key, "ca.crt": newCA.cert };
    });

    it("CA rollover as the program renders it: a client trusting only the published bundle keeps working across the switch", async function () {
        this.timeout(120_000);
        // Three ups of the dev stack (CA generations every 92 days, 4 days of overlap; see test/rotation.test.ts):
        // day 93 publishes CA 1 next to CA 0 (CA 0 still signs), day 97 reissues the certificate from CA 1, day 101 drops CA 0.
        const lifetimes = { validityDays: 40, renewBeforeDays: 10, caValidityDays: 100, caOverlapDays: 4, certificateEpoch: "2025-01-01T00:00:00Z" };
        const day = (d: number) => new Date(Date.parse("2025-01-01T00:00:00Z") + d * 86_400_000).toISOString();
        const [publish, switched, dropped] = await phase("render three ups", () => renderSequence(STACK, [93, 97, 101].map((d) => ({ ...lifetimes, certificateClock: day(d) }))));
        const bundle = publish.secretData["ca.crt"]; // what a client fetched (caCertPem) during the overlap
        assert.equal(publish.outputs.caCertPem, bundle);
        assert.equal((bundle.match(/BEGIN CERTIFICATE/g) ?? []).length, 2);
        assert.equal((dropped.secretData["ca.crt"].match(/BEGIN CERTIFICATE/g) ?? []).length, 1);
        const oldCaOnly = bundle.slice(0, bundle.indexOf("-----END CERTIFICATE-----") + 25);
        const client: Target = { ...app, ca: bundle };
        const adminWithBundle: Target = { ...admin, ca: bundle };
        const reloads = async () => successfulReloads((await httpsGet(adminWithBundle, "/metrics")).body);

        pod!.rotateSecret(tlsVolume, { stringData: publish.secretData });
        const leafOld = serialOf(publish.secretData["tls.crt"]);
        await eventually("the certificate signed by the old CA", async () => ((await httpsGet(client, "/")).peerSerial === leafOld ? true : undefined), 150, 200);

        const traffic = load(() => client);
        await sleep(300);
        pod!.rotateSecret(tlsVolume, { stringData: switched.secretData });
        const leafNew = serialOf(switched.secretData["tls.crt"]);
        await eventually("the certificate signed by the new CA", async () => (traffic.seen.includes(leafNew) ? true : undefined), 150, 200);
        const before = await reloads();
        pod!.rotateSecret(tlsVolume, { stringData: dropped.secretData });
        await eventually("the proxy loaded the bundle without the old CA", async () => ((await reloads()) > before ? true : undefined), 150, 200);
        const afterDrop = traffic.seen.length;
        await eventually("more requests after the old CA left", async () => (traffic.seen.length >= afterDrop + 20 ? true : undefined), 100, 100);
        await traffic.stop();
        console.log(`      [e2e] CA rollover: ${traffic.seen.length} requests with the published bundle, ${traffic.seen.filter((s) => s === leafOld).length} old-CA cert, ${traffic.seen.filter((s) => s === leafNew).length} new-CA cert, ${traffic.failures.length} failed`);
        assert.deepEqual(traffic.failures, []);
        assert.equal(dropped.secretData["tls.crt"], switched.secretData["tls.crt"], "dropping the old CA does not reissue the certificate");
        await assert.rejects(httpsGet({ ...app, ca: oldCaOnly }, "/"), /certificate|issuer|verify/i, "a client that never fetched the bundle loses trust at the switch");

        trusted.push(bundle);
        put.secretData = dropped.secretData;
    });

    it("SIGTERM to the proxy lets an in-flight request finish", async function () {
        this.timeout(120_000);
        const inFlight = httpsGet(app, "/slow?ms=2500", 20_000);
        await sleep(500);
        await pod!.signal(proxyName, "TERM");
        const res = await inFlight;
        assert.equal(res.status, 200);
        assert.equal(JSON.parse(res.body).sleptMs, 2500);
        const st = await eventually("the proxy exits after draining", async () => {
            const s = await pod!.state(proxyName);
            return s.status === "exited" ? s : undefined;
        }, 150, 200);
        assert.equal(st.exitCode, 0, await pod!.logs(proxyName));
        // restartPolicy: Always: kubelet restarts the sidecar
        await pod!.restart(proxyName);
        await eventually("HTTPS again after the proxy restarted", async () => ((await httpsGet(app, "/")).status === 200 ? true : undefined), 100, 200);
    });
});

describe("pod-level e2e: client-certificate auth (clientAuth require, a client certificate issued by the program)", function () {
    this.timeout(60_000);
    let pod: Pod | undefined;
    let app: Target;
    let admin: Target;
    let issued: { certPem: string; privateKeyPem: string };

    before(async function () {
        this.timeout(30 * 60_000);
        const images = await e2eImages();
        const rendered = await phase("render the mTLS pod", () => renderPod(STACK, { clientAuth: "require", clientCertificates: ["billing"] }));
        issued = (rendered.outputs.clientCertificates as Record<string, { certPem: string; privateKeyPem: string }>).billing;
        const config = stackConfig(STACK);
        const appPort = Number(config["tls-sidecar:appPort"]);
        const adminPort = Number(config["tls-sidecar:adminPort"]);
        const spec = assignImages(rendered.podSpec, images, appPort);
        const secrets = Object.fromEntries((spec.volumes ?? []).filter((v) => v.secret).map((v) => [v.secret!.secretName ?? v.name, { stringData: rendered.secretData }]));
        pod = new Pod(spec, { secrets, pauseImage: images.app, log: (m) => process.env.E2E_VERBOSE && console.log(`      [kubelet] ${m}`) });
        await phase("start the mTLS pod", () => pod!.start());
        const servername = dnsNameOf(rendered.secretData["tls.crt"]);
        app = { host: pod.ip, port: appPort, servername, ca: rendered.secretData["ca.crt"] };
        admin = { host: pod.ip, port: adminPort, servername, ca: rendered.secretData["ca.crt"] };
        await phase("wait for the first mTLS answer", () => eventually("HTTPS 200 with the client certificate",
            async () => ((await httpsGet({ ...app, cert: issued.certPem, key: issued.privateKeyPem }, "/")).status === 200 ? true : undefined), 100, 200));
    });

    after(async function () {
        this.timeout(120_000);
        if (pod) await phase("cleanup (mTLS pod)", () => pod!.cleanup());
    });

    it("with the issued client certificate: 200 from the app, which is told the verified identity", async () => {
        const res = await httpsGet({ ...app, cert: issued.certPem, key: issued.privateKeyPem }, "/");
        assert.equal(res.status, 200);
        const seen = JSON.parse(res.body);
        assert.equal(seen.server, MARKER);
        const xfcc: string = seen.headers["X-Forwarded-Client-Cert"]?.[0] ?? "";
        const der = new X509Certificate(issued.certPem).raw;
        assert.ok(xfcc.startsWith(`Hash=${createHash("sha256").update(der).digest("hex")};`), xfcc);
        assert.match(xfcc, /Subject="[^"]*CN=billing/);
    });

    it("without a client certificate: refused in the handshake, the app never answers", async () => {
        await assert.rejects(httpsGet(app, "/"), /certificate|alert|socket hang up|ECONNRESET|EPIPE/i);
    });

    it("with a client certificate from another CA: refused", async () => {
        const stranger = await makeCA("tls-sidecar-e2e stranger CA");
        const cert = await issueServerCert(stranger, "billing", ["DNS:billing"]);
        await assert.rejects(httpsGet({ ...app, cert: cert.cert, key: cert.key }, "/"), /certificate|alert|socket hang up|ECONNRESET|EPIPE/i);
    });

    it("the admin port never asks for one (kubelet's probes have none)", async () => {
        assert.equal((await httpsGet(admin, "/readyz")).status, 200);
    });
});
