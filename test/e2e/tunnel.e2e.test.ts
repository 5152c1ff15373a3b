// cloudflared on the real node: the program rendered with the tunnel on (origin: the proxy), the token from its
// Secret, cloudflared 2026.8.2 built from the vendored upstream source (cloudflared.ts). No Cloudflare edge is
// reachable from here, and the pods have no DNS: what can be checked is everything up to the edge connection.
//
// Without DNS cloudflared exits within a second: its edge discovery looks up the SRV record
// _v2-origintunneld._tcp.argotunnel.com (falling back to DNS over TLS to 1.1.1.1:853) and gives up when both fail.
// With TUNNEL_EDGE (cloudflared's hidden --edge flag: a static list of edge addresses, no SRV lookup) it keeps
// running and retries the connection. The test sets TUNNEL_EDGE=127.0.0.1:7844, the pod's own loopback where nothing
// listens, on the rendered container: in this test only, never in what the component renders.
import { strict as assert } from "node:assert";
import { readFile } from "node:fs/promises";
import { pidsOfPod, memoryOf } from "./cgroups";
import { apply, createNamespace, events, KubeObject, kubectl, kubectlJson } from "./cluster";
import { CLOUDFLARED_VERSION, cloudflaredImage } from "./cloudflared";
import { eventually, sleep } from "./docker";
import { deleteNamespacesAfter, e2eConfig, e2eSetup, REGISTRY, REPO, STACK, stopClusterAfterAll } from "./deploy";
import { renderStack } from "./manifests";
import { TUNNEL_TOKEN } from "../support/fixtures";

stopClusterAfterAll();

const NS = "tls-e2e-tunnel";
/** The tunnel ID inside TUNNEL_TOKEN: cloudflared logs it once it has read and decoded the token. */
const TUNNEL_ID = JSON.parse(Buffer.from(TUNNEL_TOKEN, "base64").toString()).t as string;
const EDGE_IN_TEST = "127.0.0.1:7844";

interface ContainerStatus {
    name: string;
    ready: boolean;
    restartCount: number;
    state: { running?: { startedAt: string }; terminated?: { exitCode: number; finishedAt: string }; waiting?: { reason: string } };
    lastState: { terminated?: { exitCode: number } };
}

async function podOf(selector: string): Promise<any | undefined> {
    const items = (await kubectlJson(["get", "pods", "-n", NS, "-l", selector])).items.filter((p: any) => p.metadata.deletionTimestamp === undefined);
    return items[0];
}

const statusOf = (pod: any, name: string): ContainerStatus | undefined => (pod?.status?.containerStatuses ?? []).find((c: ContainerStatus) => c.name === name);

const cloudflaredLogs = (pod: string, previous = false) =>
    kubectl(["logs", "-n", NS, pod, "-c", "cloudflared", ...(previous ? ["--previous"] : [])], { allowFail: true });

function deploymentOf(objects: KubeObject[]): any {
    return objects.find((o) => o.kind === "Deployment")!;
}

describe("real node: the Cloudflare tunnel sidecar with the real cloudflared", function () {
    this.timeout(10 * 60_000);
    deleteNamespacesAfter(NS);

    it("runs with the rendered args and the token from its Secret, NotReady with /ready 503 while no edge is reachable, and stops on SIGTERM within its grace period", async function () {
        this.timeout(60 * 60_000);
        // One after the other: both build on the machine's two cores.
        const images = await e2eSetup();
        const cloudflared = await cloudflaredImage(REPO, REGISTRY);
        console.log(`      [e2e] cloudflared image ${cloudflared.ref}: ${(cloudflared.sizeBytes / 1e6).toFixed(1)} MB`);
        const c = await import("../../components");
        assert.equal(c.TUNNEL_DEFAULTS.image, `cloudflare/cloudflared:${CLOUDFLARED_VERSION}`, "the e2e builds the release the component defaults to");

        const rendered = await renderStack(STACK, e2eConfig(images, NS, 0, {
            tunnel: true, tunnelToken: TUNNEL_TOKEN, tunnelOrigin: "proxy", tunnelImage: cloudflared.ref,
        }), undefined, ["tunnelToken"]);
        const deployment = deploymentOf(rendered.objects);
        const rendered_ = deployment.spec.template.spec.containers.find((x: any) => x.name === "cloudflared");
        const grace = c.TUNNEL_DEFAULTS.gracePeriodSeconds;
        assert.deepEqual(rendered_.args, ["tunnel", "--no-autoupdate", "--metrics", `0.0.0.0:${c.TUNNEL_DEFAULTS.metricsPort}`, "--grace-period", `${grace}s`, "run"]);
        const selector = Object.entries(deployment.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(",");
        await createNamespace(NS);

        // 1. Exactly as rendered: no DNS in the pod, so cloudflared exits at once and the kubelet restarts it.
        await apply(rendered.objects);
        const crashed = await eventually("cloudflared restarted after exiting without DNS", async () => {
            const pod = await podOf(selector);
            const s = statusOf(pod, "cloudflared");
            return s !== undefined && s.restartCount >= 1 ? { pod: pod.metadata.name as string, s } : undefined;
        }, 120, 500);
        assert.equal(crashed.s.lastState.terminated?.exitCode, 1);
        assert.match(await cloudflaredLogs(crashed.pod, true), /Could not lookup srv records on _v2-origintunneld\._tcp\.argotunnel\.com/);
        await kubectl(["delete", "deployment", "-n", NS, deployment.metadata.name, "--wait=true"], { timeoutMs: 120_000 });

        // 2. With the static edge address (test only): it keeps running and retrying.
        const withEdge = structuredClone(deployment);
        const edgeContainer = withEdge.spec.template.spec.containers.find((x: any) => x.name === "cloudflared");
        edgeContainer.env = [...edgeContainer.env, { name: "TUNNEL_EDGE", value: EDGE_IN_TEST }];
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
        assert.deepEqual(live.args, rendered_.args, "the rendered args, as the kubelet ran them");
        assert.deepEqual(live.command, ["cloudflared"]);
        assert.equal(live.image, cloudflared.ref);
        assert.deepEqual(live.env[0], rendered_.env[0], "TUNNEL_TOKEN from the token Secret");
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
        const rssKiB = Number(/^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, "utf8"))?.[1]);
        const memory = await memoryOf(pid);
        console.log(`      [e2e] cloudflared RSS ${(rssKiB / 1024).toFixed(1)} MiB; container cgroup usage ${((memory?.usageBytes ?? NaN) / 2 ** 20).toFixed(1)} MiB, peak ${((memory?.peakBytes ?? NaN) / 2 ** 20).toFixed(1)} MiB of ${((memory?.limitBytes ?? NaN) / 2 ** 20).toFixed(0)} MiB`);
        assert.ok(rssKiB > 0 && rssKiB * 1024 < (memory?.limitBytes ?? Infinity), "within its memory limit");

        // Pod deletion: the kubelet sends cloudflared SIGTERM at once (it has no preStop hook).
        const t0 = Date.now();
        await kubectl(["delete", "pod", "-n", NS, podName, "--wait=false"]);
        let goneAfterMs: number | undefined;
        for (let i = 0; i < (grace + 10) * 20 && goneAfterMs === undefined; i++) { // bounded: the grace period + 10 s
            const alive = await readFile(`/proc/${pid}/comm`, "utf8").then((comm) => comm.trim() === "cloudflared", () => false);
            if (!alive) goneAfterMs = Date.now() - t0;
            else await sleep(50);
        }
        // How it ended, as the kubelet reports it while the pod terminates ("gone": the pod was removed first).
        const ended = await eventually("cloudflared's end in the pod's status", async () => {
            const now = await kubectl(["get", "pod", "-n", NS, podName, "-o", "json", "--ignore-not-found"]);
            return now === "" ? "gone" : statusOf(JSON.parse(now), "cloudflared")?.state.terminated?.exitCode;
        }, 100, 100);
        console.log(`      [e2e] cloudflared exited ${goneAfterMs} ms after the pod's deletion (grace period ${grace} s), exit code ${ended}`);
        assert.ok(goneAfterMs !== undefined && goneAfterMs < grace * 1000, `cloudflared ended within its grace period (${goneAfterMs} ms)`);
        assert.ok(ended === 0 || ended === "gone", `a clean exit on SIGTERM (exit code ${ended})`);
    });

    it("a malformed token is refused by the component before anything is deployed", async function () {
        this.timeout(120_000);
        await assert.rejects(
            renderStack(STACK, { namespace: NS, nodePort: 0, tunnel: true, tunnelToken: `${TUNNEL_TOKEN} and more` }, undefined, ["tunnelToken"]),
            /tls-sidecar:tunnelToken: "\(a secret value, not shown\)" is not allowed; expected the tunnel token/,
        );
    });
});
