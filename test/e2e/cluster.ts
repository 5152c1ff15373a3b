// The real single-node Kubernetes the e2e deploys to (scripts in test/e2e/cluster/), and the few kubectl calls the
// tests make against it. Started once per mocha run; stopped after the run, unless it was already up before
// (someone's dev cluster) or E2E_KEEP_CLUSTER=1.
import { join, resolve } from "node:path";
import { pidsOfPod } from "./cgroups";
import { dockerUp, run, RunOptions, timed } from "./docker";

const REPO = resolve(__dirname, "..", "..");
const SCRIPTS = join(REPO, "test/e2e/cluster");
const CLUSTER_DIR = process.env.CLUSTER_DIR ?? "/var/lib/tls-sidecar-e2e/cluster";
const KUBERNETES_VERSION = process.env.KUBERNETES_VERSION ?? "v1.35.4";
const CLUSTER_CACHE = process.env.CLUSTER_CACHE ?? "/var/cache/tls-sidecar-e2e";
export const KUBECTL = join(CLUSTER_CACHE, `kubernetes-${KUBERNETES_VERSION}`, "bin", "kubectl");
export const KUBECONFIG = join(CLUSTER_DIR, "admin.kubeconfig");
/** containerd's socket of the e2e node (not Docker's). */
export const CONTAINERD_SOCK = "/run/tls-sidecar-e2e/containerd.sock";

/** `kubectl ARGS` against the e2e cluster; stdout, trimmed. */
export async function kubectl(args: string[], opts: RunOptions = {}): Promise<string> {
    return (await run(KUBECTL, ["--kubeconfig", KUBECONFIG, ...args], { timeoutMs: 60_000, ...opts })).stdout.trim();
}

export async function kubectlJson<T = any>(args: string[]): Promise<T> {
    return JSON.parse(await kubectl([...args, "-o", "json"]));
}

/** A Kubernetes object as the program renders it: apiVersion, kind, metadata and the rest. */
export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
    [k: string]: unknown;
}

/** Server-side apply, so the real API server validates every field (and admission runs). */
export async function apply(objects: KubeObject[], fieldManager = "tls-sidecar-e2e"): Promise<void> {
    const list = { apiVersion: "v1", kind: "List", items: objects };
    await kubectl(["apply", "--server-side", "--force-conflicts", `--field-manager=${fieldManager}`, "-f", "-"], { input: JSON.stringify(list) });
}

/** A namespace of the test's own, labelled (e.g. for Pod Security) and deleted again by `deleteNamespace`. */
export async function createNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
    await apply([{ apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { "app.kubernetes.io/part-of": "tls-sidecar-e2e", ...labels } } }]);
}

export async function deleteNamespace(name: string): Promise<void> {
    await kubectl(["delete", "namespace", name, "--ignore-not-found", "--wait=true", "--timeout=120s"], { timeoutMs: 150_000 });
}

export interface PodStatus {
    name: string;
    ip: string;
    ready: boolean;
    phase: string;
    deleting: boolean;
    restarts: number;
    uid: string;
    /** Why containers wait, as the kubelet says (e.g. "ErrImagePull", "ImagePullBackOff"). */
    waiting: string[];
}

export async function pods(namespace: string, selector: string): Promise<PodStatus[]> {
    const list = await kubectlJson<{ items: any[] }>(["get", "pods", "-n", namespace, "-l", selector]);
    return list.items.map((p) => ({
        name: p.metadata.name,
        uid: p.metadata.uid,
        ip: p.status?.podIP ?? "",
        phase: p.status?.phase ?? "",
        deleting: p.metadata.deletionTimestamp !== undefined,
        ready: (p.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True"),
        restarts: [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].reduce((n: number, c: any) => n + (c.restartCount ?? 0), 0),
        waiting: [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].flatMap((c: any) => (c.state?.waiting?.reason ? [c.state.waiting.reason] : [])),
    }));
}

/** Waits for a Deployment's rollout to finish (new pods ready, old ones gone), at most `timeoutSeconds`. */
export async function rolloutStatus(namespace: string, deployment: string, timeoutSeconds = 180): Promise<void> {
    await kubectl(["rollout", "status", "-n", namespace, `deployment/${deployment}`, `--timeout=${timeoutSeconds}s`], { timeoutMs: (timeoutSeconds + 10) * 1000 });
}

/** The events of a namespace, oldest first, one line each: for failure messages. */
export async function events(namespace: string): Promise<string> {
    return kubectl(["get", "events", "-n", namespace, "--sort-by=.lastTimestamp"], { allowFail: true });
}

let upOnce: Promise<void> | undefined;
let startedHere = false;

async function apiServerAnswers(): Promise<boolean> {
    const r = await run(KUBECTL, ["--kubeconfig", KUBECONFIG, "get", "--raw", "/readyz"], { allowFail: true, timeoutMs: 10_000 }).catch(() => undefined);
    return r?.code === 0;
}

/**
 * Builds (first time only: 9-12 min on 2 cores; cached per version) and starts the cluster, once per mocha run.
 * Docker and the registry come first: the pause image is built with Docker, the pods pull from 127.0.0.1:5000.
 */
export function clusterUp(): Promise<void> {
    upOnce ??= (async () => {
        await dockerUp(REPO);
        const wasUp = await apiServerAnswers();
        const prepared = await timed("cluster prepare (build once, cached)", () => run("bash", [join(SCRIPTS, "prepare.sh")], { timeoutMs: 60 * 60_000 }));
        process.stderr.write(prepared.stderr.split("\n").filter((l) => /built|building|cached|ready/.test(l)).map((l) => `      ${l}\n`).join(""));
        await timed("cluster up", () => run("bash", [join(SCRIPTS, "up.sh")], { timeoutMs: 300_000 }));
        startedHere = !wasUp && process.env.E2E_KEEP_CLUSTER !== "1";
    })();
    return upOnce;
}

/** Stops the cluster if this run started it (down.sh stops exactly the PIDs up.sh recorded). */
export async function clusterDown(): Promise<void> {
    if (!startedHere) return;
    startedHere = false;
    await timed("cluster down", () => run("bash", [join(SCRIPTS, "down.sh")], { timeoutMs: 180_000 }));
}

/**
 * The PID of a pod's sandbox (pause) process, found by the pod's UID in its cgroup path: its network namespace is
 * the pod's, for looking at the rules the init container wrote.
 */
export async function sandboxPid(podUid: string): Promise<number> {
    const [pid] = await pidsOfPod(podUid, "pause");
    if (pid === undefined) throw new Error(`no sandbox process for pod ${podUid}`);
    return pid;
}

/** Runs `image` (pulled by the node) once more in the pod's network namespace, as the kubelet ran it: via our containerd. */
export async function runInPodNetns(podUid: string, image: string, args: string[], caps: string[]): Promise<{ code: number; output: string }> {
    const id = `tls-e2e-rerun-${Date.now().toString(36)}`;
    const r = await run("ctr", ["-a", CONTAINERD_SOCK, "-n", "k8s.io", "run", "--rm",
        "--with-ns", `network:/proc/${await sandboxPid(podUid)}/ns/net`, ...caps.flatMap((c) => ["--cap-add", `CAP_${c}`]),
        image, id, ...args], { allowFail: true, timeoutMs: 60_000 });
    return { code: r.code, output: r.stdout + r.stderr };
}

/**
 * kube-proxy's network programming latency (pod change → iptables rules in place, its own histogram on
 * 127.0.0.1:10249): how many changes it programmed so far, and how many of them took longer than each bound.
 */
export async function kubeProxyProgramming(): Promise<{ count: number; slowerThan: Record<number, number> }> {
    const text = await fetch("http://127.0.0.1:10249/metrics").then((r) => r.text());
    const sample = (le: string) => Number(new RegExp(`^kubeproxy_network_programming_duration_seconds_bucket\\{[^}]*le="${le}"\\} (\\d+)`, "m").exec(text)?.[1] ?? 0);
    const count = sample("\\+Inf");
    const slowerThan: Record<number, number> = {};
    for (const s of [1, 2, 5, 10]) slowerThan[s] = count - sample(String(s));
    return { count, slowerThan };
}
