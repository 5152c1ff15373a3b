// cloudflared on the real node: the program rendered with the tunnel on (origin: the proxy), the token from its
// Secret, cloudflared 2026.8.2 built from the vendored upstream source (cloudflared.ts). No Cloudflare edge is
// reachable from here, and the pods have no DNS: what can be checked is everything up to the edge connection.
//
// Without DNS cloudflared exits within a second: its edge discovery looks up the SRV record
// _v2-origintunneld._tcp.argotunnel.com (falling back to DNS over TLS to 1.1.1.1:853) and gives up when both fail.
// With TUNNEL_EDGE (cloudflared's hidden --edge flag: a static list of edge addresses, no SRV lookup) it keeps
// running and retries the connection. The first test sets TUNNEL_EDGE=127.0.0.1:7844, the pod's own loopback where
// nothing listens, on the rendered container: in the test only, never in what the component renders.
//
// The second points TUNNEL_EDGE at a STAND-IN for the edge (standinEdge.ts: cloudflared's own protocol, built from
// the same vendored source, running on the node; TUNNEL_CACERT makes cloudflared trust its certificate), again in the
// test only, to prove what is ours: cloudflared registers with the token from its Secret, the configuration
// docs/tunnel.md tells users to enter (the program's tunnelOrigin* outputs) reaches the app through the proxy, and
// the documented failures are what cloudflared does.
import { strict as assert } from "node:assert";
import { readFile } from "node:fs/promises";
import { pidsOfPod, memoryOf } from "./cgroups";
import { apply, createNamespace, events, KubeObject, kubectl, kubectlJson } from "./cluster";
import { CLOUDFLARED_VERSION, CloudflaredImage, cloudflaredImage } from "./cloudflared";
import { eventually, sleep } from "./docker";
import { deleteNamespacesAfter, e2eConfig, e2eSetup, MARKER, REGISTRY, REPO, STACK, stopClusterAfterAll } from "./deploy";
import type { BuiltImages } from "./images";
import { renderStack, RenderedStack } from "./manifests";
import { startStandinEdge, StandinEdge } from "./standinEdge";
import { TUNNEL_TOKEN } from "../support/fixtures";

stopClusterAfterAll();

const NS = "tls-e2e-tunnel";
const NS_EDGE = "tls-e2e-tunnel-edge";
/** The tunnel ID inside TUNNEL_TOKEN: cloudflared logs it once it has read and decoded the token. */
const TUNNEL_ID = JSON.parse(Buffer.from(TUNNEL_TOKEN, "base64").toString()).t as string;
const EDGE_IN_TEST = "127.0.0.1:7844";
/** The stand-in edge listens on the node's address on the pods' bridge (test/e2e/cluster/env.sh: NODE_IP). */
const STANDIN_EDGE = "10.244.0.1:7844";
const STANDIN_CONTROL_PORT = 17845;
const TOKEN_FIELDS = JSON.parse(Buffer.from(TUNNEL_TOKEN, "base64").toString()) as { a: string; t: string; s: string };

interface ContainerStatus {
    name: string;
    ready: boolean;
    restartCount: number;
    state: { running?: { startedAt: string }; terminated?: { exitCode: number; finishedAt: string }; waiting?: { reason: string } };
    lastState: { terminated?: { exitCode: number } };
}

async function podOf(selector: string, namespace = NS): Promise<any | undefined> {
    const items = (await kubectlJson(["get", "pods", "-n", namespace, "-l", selector])).items.filter((p: any) => p.metadata.deletionTimestamp === undefined);
    return items[0];
}

const statusOf = (pod: any, name: string): ContainerStatus | undefined => (pod?.status?.containerStatuses ?? []).find((c: ContainerStatus) => c.name === name);

const cloudflaredLogs = (pod: string, previous = false, namespace = NS) =>
    kubectl(["logs", "-n", namespace, pod, "-c", "cloudflared", ...(previous ? ["--previous"] : [])], { allowFail: true });

function deploymentOf(objects: KubeObject[]): any {
    return objects.find((o) => o.kind === "Deployment")!;
}

const selectorOf = (deployment: any): string => Object.entries(deployment.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(",");

/** The program with the tunnel to the proxy, the token as a secret config value, the image built here. */
function renderTunnel(images: BuiltImages, cloudflared: CloudflaredImage, namespace: string, more: Record<string, unknown> = {}): Promise<RenderedStack> {
    return renderStack(STACK, e2eConfig(images, namespace, 0, {
        tunnel: true, tunnelToken: TUNNEL_TOKEN, tunnelOrigin: "proxy", tunnelImage: cloudflared.ref, ...more,
    }), undefined, ["tunnelToken"]);
}

async function vmRssMiB(pid: number): Promise<number> {
    return Number(/^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, "utf8"))?.[1]) / 1024;
}

/** Deletes the pod and returns how long until the process `pid` (cloudflared) is gone; polls /proc, bounded. */
async function deletePodAndTimeExit(namespace: string, podName: string, pid: number, limitSeconds: number): Promise<number | undefined> {
    const t0 = Date.now();
    await kubectl(["delete", "pod", "-n", namespace, podName, "--wait=false"]);
    for (let i = 0; i < limitSeconds * 20; i++) {
        const alive = await readFile(`/proc/${pid}/comm`, "utf8").then((comm) => comm.trim() === "cloudflared", () => false);
        if (!alive) return Date.now() - t0;
        await sleep(50);
    }
    return undefined;
}

/** How cloudflared ended, as the kubelet reports it while the pod terminates ("gone": the pod was removed first). */
function cloudflaredEnd(namespace: string, podName: string): Promise<number | "gone"> {
    return eventually("cloudflared's end in the pod's status", async () => {
        const now = await kubectl(["get", "pod", "-n", namespace, podName, "-o", "json", "--ignore-not-found"]);
        return now === "" ? "gone" : statusOf(JSON.parse(now), "cloudflared")?.state.terminated?.exitCode;
    }, 100, 100);
}

describe("real node: the Cloudflare tunnel sidecar with the real cloudflared", function () {
    this.timeout(10 * 60_000);
    deleteNamespacesAfter(NS, NS_EDGE);

    it("without DNS exits and is restarted; with a static edge address runs with the rendered args and the token from its Secret, NotReady with /ready 503, and stops on SIGTERM within its grace period", async function () {
        this.timeout(60 * 60_000);
        // One after the other: both build on the machine's two cores.
        const images = await e2eSetup();
        const cloudflared = await cloudflaredImage(REPO, REGISTRY);
        console.log(`      [e2e] cloudflared image ${cloudflared.ref}: ${(cloudflared.sizeBytes / 1e6).toFixed(1)} MB`);
        const c = await import("../../components");
        assert.equal(c.TUNNEL_DEFAULTS.image, `cloudflare/cloudflared:${CLOUDFLARED_VERSION}`, "the e2e builds the release the component defaults to");

        const rendered = await renderTunnel(images, cloudflared, NS);
        const deployment = deploymentOf(rendered.objects);
        const renderedContainer = deployment.spec.template.spec.containers.find((x: any) => x.name === "cloudflared");
        const grace = c.TUNNEL_DEFAULTS.gracePeriodSeconds;
        assert.deepEqual(renderedContainer.args, ["tunnel", "--no-autoupdate", "--metrics", `0.0.0.0:${c.TUNNEL_DEFAULTS.metricsPort}`, "--grace-period", `${grace}s`, "run"]);
        const selector = selectorOf(deployment);
        await createNamespace(NS);

        // Applies `objects`, waits for the kubelet to restart cloudflared once, returns its previous run's exit code
        // and output, and deletes the Deployment again.
        const crashOnce = async (what: string, objects: KubeObject[]) => {
            await apply(objects);
            const crashed = await eventually(`cloudflared restarted ${what}`, async () => {
                const pod = await podOf(selector);
                const s = statusOf(pod, "cloudflared");
                return s !== undefined && s.restartCount >= 1 ? { pod: pod.metadata.name as string, s } : undefined;
            }, 120, 500);
            // The kubelet may be replacing the dead container just then: its logs come back on a later try.
            const output = await eventually(`the output of cloudflared's previous run ${what}`, async () => {
                const logs = await cloudflaredLogs(crashed.pod, true);
                return /^unable to retrieve container logs/.test(logs) ? undefined : logs;
            }, 40, 500);
            await kubectl(["delete", "deployment", "-n", NS, deployment.metadata.name, "--wait=true"], { timeoutMs: 120_000 });
            return { exitCode: crashed.s.lastState.terminated?.exitCode, output };
        };
        const withEdge = structuredClone(deployment);
        const edgeContainer = withEdge.spec.template.spec.containers.find((x: any) => x.name === "cloudflared");
        edgeContainer.env = [...edgeContainer.env, { name: "TUNNEL_EDGE", value: EDGE_IN_TEST }];

        // 1. Exactly as rendered: no DNS in the pod, so cloudflared exits at once and the kubelet restarts it.
        const noDns = await crashOnce("after exiting without DNS", rendered.objects);
        assert.equal(noDns.exitCode, 1);
        assert.match(noDns.output, /Could not lookup srv records on _v2-origintunneld\._tcp\.argotunnel\.com/);

        // 2. A Secret whose token has white space around it (an existing Secret the component did not write): what
        // cloudflared itself says about a token it cannot use. Then the Secret as the component stores it again.
        const tokenSecret = rendered.objects.find((o) => o.kind === "Secret" && (o as any).stringData?.token !== undefined) as any;
        assert.equal(tokenSecret.stringData.token, TUNNEL_TOKEN, "stored trimmed, exactly as checked");
        const spaced = { ...tokenSecret, stringData: { token: ` ${TUNNEL_TOKEN}\n` } };
        const badToken = await crashOnce("on a token it cannot use", [spaced, withEdge]);
        assert.equal(badToken.exitCode, 255, "a usage error");
        assert.match(badToken.output, /^Provided Tunnel token is not valid\.$/m);
        await apply([tokenSecret]);

        // 3. With the static edge address (test only): it keeps running and retrying.
        await apply([withEdge]);
        const running = await eventually("app and proxy Ready, cloudflared running", async () => {
            const pod = await podOf(selector);
            const others = (pod?.status?.containerStatuses ?? []).filter((x: ContainerStatus) => x.name !== "cloudflared");
            return statusOf(pod, "cloudflared")?.state.running !== undefined && others.length > 0 && others.every((x: ContainerStatus) => x.ready) ? pod : undefined;
        }, 240, 500).catch(async (e) => {
            throw new Error(`${e}\n${await events(NS)}`);
        });
        const podName: string = running.metadata.name;
        const startedAt = statusOf(running, "cloudflared")!.state.running!.startedAt;
        // Six readiness periods (5 s), the liveness probe three times: still the same process, never Ready.
        await sleep(30_000);
        const pod = await podOf(selector);
        const status = statusOf(pod, "cloudflared")!;
        assert.equal(pod.metadata.name, podName);
        assert.equal(status.restartCount, 0, "cloudflared is not restarting");
        assert.equal(status.state.running?.startedAt, startedAt);
        assert.equal(status.ready, false, "NotReady without an edge connection");
        assert.equal(pod.status.conditions.find((x: any) => x.type === "Ready").status, "False", "the pod is NotReady with it");

        const live = pod.spec.containers.find((x: any) => x.name === "cloudflared");
        assert.deepEqual(live.args, renderedContainer.args, "the rendered args, as the kubelet ran them");
        assert.deepEqual(live.command, ["cloudflared"]);
        assert.equal(live.image, cloudflared.ref);
        assert.deepEqual(live.env[0], renderedContainer.env[0], "TUNNEL_TOKEN from the token Secret");
        const logs = await cloudflaredLogs(podName);
        assert.match(logs, new RegExp(`Starting tunnel tunnelID=${TUNNEL_ID}`), "it read and decoded the token from the Secret");
        assert.match(logs, new RegExp(`Version ${CLOUDFLARED_VERSION} `));
        assert.match(logs, /Failed to dial a quic connection .*ip=127\.0\.0\.1/, "it keeps dialling the test's edge address");
        assert.doesNotMatch(logs, /Provided Tunnel token is not valid/);

        // The metrics port, from the node (the kubelet's view): /ready and /metrics.
        const base = `http://${pod.status.podIP}:${c.TUNNEL_DEFAULTS.metricsPort}`;
        const ready = await fetch(`${base}/ready`, { signal: AbortSignal.timeout(5_000) });
        const readyBody = await ready.json();
        assert.equal(ready.status, 503);
        assert.equal(readyBody.status, 503);
        assert.equal(readyBody.readyConnections, 0);
        const metrics = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
        assert.match(metrics, new RegExp(`^build_info\\{[^}]*version="${CLOUDFLARED_VERSION}"[^}]*\\} 1$`, "m"));
        assert.match(metrics, /^cloudflared_tunnel_ha_connections \d+$/m);

        // Its memory at idle (retrying one connection): RSS of the process, and its container's cgroup.
        const [pid] = await pidsOfPod(pod.metadata.uid, "cloudflared");
        assert.ok(pid !== undefined, "the cloudflared process is on the node");
        const rss = await vmRssMiB(pid);
        const memory = await memoryOf(pid);
        console.log(`      [e2e] cloudflared RSS ${rss.toFixed(1)} MiB; container cgroup usage ${((memory?.usageBytes ?? NaN) / 2 ** 20).toFixed(1)} MiB, peak ${((memory?.peakBytes ?? NaN) / 2 ** 20).toFixed(1)} MiB of ${((memory?.limitBytes ?? NaN) / 2 ** 20).toFixed(0)} MiB`);
        assert.ok(rss > 0 && rss * 2 ** 20 < (memory?.limitBytes ?? Infinity), "within its memory limit");

        // Pod deletion: the kubelet sends cloudflared SIGTERM at once (it has no preStop hook). Without an edge
        // connection it does not wait for its grace period.
        const goneAfterMs = await deletePodAndTimeExit(NS, podName, pid, grace + 10);
        const ended = await cloudflaredEnd(NS, podName);
        console.log(`      [e2e] cloudflared (no edge connection) exited ${goneAfterMs} ms after the pod's deletion (grace period ${grace} s), exit code ${ended}`);
        assert.ok(goneAfterMs !== undefined && goneAfterMs < grace * 1000, `cloudflared ended within its grace period (${goneAfterMs} ms)`);
        assert.ok(ended === 0 || ended === "gone", `a clean exit on SIGTERM (exit code ${ended})`);
    });

    describe("with a STAND-IN for the edge (tests only)", function () {
        let edge: StandinEdge | undefined;
        after(async () => edge?.stop());

        it("registers with the token, serves the app through the proxy with the configuration docs/tunnel.md gives, fails as documented otherwise, and waits its grace period on SIGTERM while connected", async function () {
            this.timeout(60 * 60_000);
            const images = await e2eSetup();
            const cloudflared = await cloudflaredImage(REPO, REGISTRY);
            const c = await import("../../components");
            edge = await startStandinEdge(cloudflared.standinEdge, STANDIN_EDGE, STANDIN_CONTROL_PORT);
            const grace = 10; // short, so the wait while connected is measured quickly
            // No IP SAN (the dev stack gives 127.0.0.1 one): the certificate carries names only, as for most users.
            const rendered = await renderTunnel(images, cloudflared, NS_EDGE, { tunnelGracePeriodSeconds: grace, tunnelHostname: "hello.example.com", ipAddresses: [] });
            const { tunnelOriginService, tunnelOriginServerName, tunnelOriginCaPool } = rendered.outputs;
            assert.equal(tunnelOriginCaPool, "/etc/cloudflared/origin-ca/ca.crt", "the generated certificate's Secret has a ca.crt");

            // Test only: the stand-in's address and CA, in a ConfigMap of the test's own.
            const deployment = structuredClone(deploymentOf(rendered.objects));
            const spec = deployment.spec.template.spec;
            const container = spec.containers.find((x: any) => x.name === "cloudflared");
            container.env = [...container.env, { name: "TUNNEL_EDGE", value: STANDIN_EDGE }, { name: "TUNNEL_CACERT", value: "/etc/standin-edge/ca.crt" }];
            container.volumeMounts = [...(container.volumeMounts ?? []), { name: "standin-edge-ca", mountPath: "/etc/standin-edge", readOnly: true }];
            spec.volumes = [...spec.volumes, { name: "standin-edge-ca", configMap: { name: "standin-edge-ca" } }];
            const caMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "standin-edge-ca", namespace: NS_EDGE }, data: { "ca.crt": edge.caPem } };
            await createNamespace(NS_EDGE);
            await apply([caMap, ...rendered.objects.filter((o) => o.kind !== "Deployment"), deployment]);

            // Connected: the kubelet's /ready probe passes, so the whole pod is Ready.
            const selector = selectorOf(deployment);
            const pod = await eventually("the pod Ready with cloudflared connected to the stand-in", async () => {
                const p = await podOf(selector, NS_EDGE);
                return p?.status?.conditions?.some((x: any) => x.type === "Ready" && x.status === "True") ? p : undefined;
            }, 240, 500).catch(async (e) => {
                throw new Error(`${e}\n${await events(NS_EDGE)}\n${edge!.log()}`);
            });
            const [registration] = await edge.registrations();
            assert.equal(registration.tunnelID, TOKEN_FIELDS.t, "the token's tunnel ID");
            assert.equal(registration.accountTag, TOKEN_FIELDS.a, "the token's account tag");
            assert.equal(registration.tunnelSecret, TOKEN_FIELDS.s, "the token's secret: read from the Secret, as stored");
            assert.equal(registration.clientVersion, CLOUDFLARED_VERSION);
            const ready = await (await fetch(`http://${pod.status.podIP}:${c.TUNNEL_DEFAULTS.metricsPort}/ready`, { signal: AbortSignal.timeout(5_000) })).json();
            assert.equal(ready.status, 200);
            assert.ok(ready.readyConnections >= 1);

            const host = "hello.example.com";
            const rule = (originRequest: Record<string, string>) => ({
                ingress: [{ hostname: host, service: tunnelOriginService, originRequest }, { service: "http_status:404" }],
                "warp-routing": {},
            });
            // A CA Pool naming a file that is not there: the whole configuration is refused, every request 503.
            const missing = await edge.pushConfig(1, rule({ originServerName: tunnelOriginServerName, caPool: "/etc/cloudflared/origin-ca/missing.crt" }));
            assert.match(missing[0], /^refused .*Error loading cert pool.*no such file or directory/);
            assert.equal((await edge.request(host, "/")).status, 503);

            // As docs/tunnel.md says: the service, Origin Server Name and CA Pool from the outputs. 200 from the app.
            assert.match((await edge.pushConfig(2, rule({ originServerName: tunnelOriginServerName, caPool: tunnelOriginCaPool })))[0], /^applied version 2$/);
            const ok = await edge.request(host, "/through-the-tunnel");
            assert.equal(ok.status, 200, JSON.stringify(ok));
            const echo = JSON.parse(ok.body);
            assert.equal(echo.server, MARKER);
            assert.equal(echo.path, "/through-the-tunnel");
            assert.deepEqual(echo.headers["X-Forwarded-Proto"], ["https"], "through the TLS proxy, not straight to the app");

            // The documented failures: another CA (the system roots), no Origin Server Name. cloudflared answers the
            // edge with the origin's error and no HTTP response (the edge shows the visitor a 502 page).
            assert.match((await edge.pushConfig(3, rule({ originServerName: tunnelOriginServerName, caPool: "/etc/ssl/certs/ca-certificates.crt" })))[0], /^applied/);
            const wrongCa = await edge.request(host, "/");
            assert.equal(wrongCa.status, 0, JSON.stringify(wrongCa));
            assert.match(wrongCa.error ?? "", /x509: certificate signed by unknown authority/);
            assert.match((await edge.pushConfig(4, rule({ caPool: tunnelOriginCaPool })))[0], /^applied/);
            const noName = await edge.request(host, "/");
            assert.equal(noName.status, 0, JSON.stringify(noName));
            assert.match(noName.error ?? "", /x509: cannot validate certificate for 127\.0\.0\.1 because it doesn't contain any IP SANs/);
            const logs = await cloudflaredLogs(pod.metadata.name, false, NS_EDGE);
            const line = (re: RegExp) => logs.split("\n").find((l) => re.test(l)) ?? "";
            assert.match(logs, /x509: certificate signed by unknown authority/);
            assert.match(logs, /x509: cannot validate certificate for 127\.0\.0\.1 because it doesn't contain any IP SANs/);
            console.log(`      [e2e] cloudflared printed:\n        ${[/Error loading cert pool/, /unknown authority/, /IP SANs/].map(line).join("\n        ")}\n      [e2e] the edge got: ${wrongCa.error} / ${noName.error}`);

            // Connected, SIGTERM: it unregisters at once, then waits the whole grace period with nothing in flight.
            const [pid] = await pidsOfPod(pod.metadata.uid, "cloudflared");
            console.log(`      [e2e] cloudflared RSS connected (after 6 requests): ${(await vmRssMiB(pid)).toFixed(1)} MiB`);
            const t0 = Date.now();
            const goneAfterMs = await deletePodAndTimeExit(NS_EDGE, pod.metadata.name, pid, grace + 10);
            const unregistered = (await edge.registrations())[0].unregisteredAt;
            const ended = await cloudflaredEnd(NS_EDGE, pod.metadata.name);
            console.log(`      [e2e] cloudflared (connected) exited ${goneAfterMs} ms after the pod's deletion (grace period ${grace} s), unregistered after ${unregistered === undefined ? "never" : Date.parse(unregistered) - t0} ms, exit code ${ended}`);
            assert.ok(unregistered !== undefined && Date.parse(unregistered) - t0 < 5_000, "unregistered from the edge at once");
            assert.ok(goneAfterMs !== undefined && goneAfterMs >= grace * 1000 - 1_000, `waited its grace period (${goneAfterMs} ms)`);
            assert.ok(goneAfterMs < spec.terminationGracePeriodSeconds * 1000, `ended before the kubelet's SIGKILL (${spec.terminationGracePeriodSeconds} s)`);
            assert.ok(ended === 0 || ended === "gone", `a clean exit on SIGTERM (exit code ${ended})`);
        });
    });

    it("a malformed token is refused by the component before anything is deployed", async function () {
        this.timeout(120_000);
        await assert.rejects(
            renderStack(STACK, { namespace: NS, nodePort: 0, tunnel: true, tunnelToken: `${TUNNEL_TOKEN} and more` }, undefined, ["tunnelToken"]),
            /tls-sidecar:tunnelToken: "\(a secret value, not shown\)" is not allowed; expected the tunnel token/,
        );
    });
});
