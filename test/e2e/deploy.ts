// Deploys what the program renders to the e2e cluster: one namespace of the test's own per scenario, the
// program's objects applied server-side, in the order an engine would create them, and what the engine would
// delete after an update deleted too.
import { strict as assert } from "node:assert";
import { resolve } from "node:path";
import { apply, clusterDown, clusterUp, createNamespace, deleteNamespace, events, kubectl, KubeObject, pods, rolloutStatus } from "./cluster";
import type { Target } from "./clients";
import { dnsNameOf } from "./certs";
import { BuiltImages, e2eImages } from "./images";
import { deletedSince, oneOfKind, renderStack, RenderedStack, tlsSecretOf } from "./manifests";

export const REPO = resolve(__dirname, "..", "..");
export const REGISTRY = process.env.E2E_REGISTRY ?? "127.0.0.1:5000";
/** The stack whose program output the e2e deploys. */
export const STACK = "dev";
/** In every answer of the e2e app (test/e2e/app). */
export const MARKER = "tls-sidecar-e2e-app";

/** Stops the cluster after every test of the run, if this run started it (a root hook; idempotent across files). */
export function stopClusterAfterAll(): void {
    after(async function () {
        this.timeout(300_000);
        await clusterDown();
    });
}

/** Deletes the suite's namespaces after it (kept with E2E_KEEP_NAMESPACES=1, to look at them). */
export function deleteNamespacesAfter(...namespaces: string[]): void {
    after(async function () {
        this.timeout(300_000);
        if (process.env.E2E_KEEP_NAMESPACES !== "1") await Promise.all(namespaces.map(deleteNamespace));
    });
}

/** The cluster up and the images built and pushed; once per mocha run. */
export async function e2eSetup(): Promise<BuiltImages> {
    const [images] = await Promise.all([e2eImages(REPO, REGISTRY), clusterUp()]);
    return images;
}

export interface Deployed {
    namespace: string;
    rendered: RenderedStack;
    nodePort: number;
    /** HTTPS to 127.0.0.1:<nodePort>, trusting the exported CA bundle, verifying the certificate's DNS SAN. */
    target: Target;
    /** `app.kubernetes.io/instance=...` of the program's pods. */
    selector: string;
}

/**
 * Config for the dev stack pointed at this run's images (prebuilt: the program builds none), a namespace and a node
 * port of the scenario's own.
 */
export function e2eConfig(images: BuiltImages, namespace: string, nodePort: number, more: Record<string, unknown> = {}): Record<string, unknown> {
    return { namespace, nodePort, appImage: images.app, proxyImage: images.proxy, initImage: images.init, ...more };
}

function workloadOf(r: RenderedStack): KubeObject {
    return r.objects.find((o) => o.kind === "Deployment" || o.kind === "Pod")!;
}

/** Applies one `pulumi up`'s objects: what is new or changed, then deletes what the up no longer declares. */
export async function applyUp(namespace: string, next: RenderedStack): Promise<void> {
    await apply(next.objects);
    const workload = workloadOf(next);
    if (workload.kind === "Deployment") {
        // like @pulumi/kubernetes' await logic: the up is done when the rollout is
        await rolloutStatus(namespace, workload.metadata.name).catch(async (e) => {
            throw new Error(`${e}\n${await events(namespace)}`);
        });
    } else {
        // a bare Pod: the provider waits for it to be Ready before the up goes on (and deletes the one it replaces)
        await kubectl(["wait", "-n", namespace, `pod/${workload.metadata.name}`, "--for=condition=Ready", "--timeout=180s"], { timeoutMs: 190_000 });
    }
    for (const gone of deletedSince(next)) {
        await kubectl(["delete", gone.kind.toLowerCase(), "-n", namespace, gone.metadata.name, "--ignore-not-found", "--wait=true"], { timeoutMs: 120_000 });
    }
}

/** Waits until every pod matching `selector` is Ready (and at least `count` exist), at most `seconds`. */
export async function podsReady(namespace: string, selector: string, count = 1, seconds = 120): Promise<void> {
    for (let i = 0; i < seconds * 2; i++) {
        const ps = (await pods(namespace, selector)).filter((p) => !p.deleting);
        if (ps.length >= count && ps.every((p) => p.ready)) return;
        await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`pods ${selector} in ${namespace} not Ready after ${seconds} s\n${await kubectl(["get", "pods", "-n", namespace, "-o", "wide"], { allowFail: true })}\n${await events(namespace)}`);
}

/** Waits until no pod of the namespace is terminating, at most `seconds`. */
export async function podsGone(namespace: string, seconds = 120): Promise<void> {
    for (let i = 0; i < seconds * 4; i++) {
        if (!(await pods(namespace, "app.kubernetes.io/managed-by=tls-sidecar")).some((p) => p.deleting)) return;
        await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`pods of ${namespace} still terminating after ${seconds} s`);
}

/** A fresh namespace (with `labels`), the program's first `pulumi up` applied in it, its pods Ready. */
export async function deployFresh(namespace: string, rendered: RenderedStack, labels: Record<string, string> = {}): Promise<Deployed> {
    await createNamespace(namespace, labels);
    await applyUp(namespace, rendered);
    const workload = workloadOf(rendered);
    const selector = Object.entries(workload.kind === "Deployment" ? (workload as any).spec.selector.matchLabels : { "app.kubernetes.io/instance": workload.metadata.labels!["app.kubernetes.io/instance"] })
        .map(([k, v]) => `${k}=${v}`).join(",");
    await podsReady(namespace, selector);
    const service = oneOfKind(rendered, "Service");
    const live = JSON.parse(await kubectl(["get", "service", "-n", namespace, service.metadata.name, "-o", "json"]));
    const nodePort = Number(live.spec.ports[0].nodePort);
    assert.equal(nodePort, Number(rendered.outputs.nodePort), "the node port the program exports is the one the cluster serves");
    const secret = tlsSecretOf(rendered);
    const target: Target = { host: "127.0.0.1", port: nodePort, servername: dnsNameOf(secret.stringData["tls.crt"]), ca: rendered.outputs.caCertPem };
    return { namespace, rendered, nodePort, target, selector };
}

export async function renderE2e(images: BuiltImages, namespace: string, nodePort: number, more: Record<string, unknown> = {}, prior?: RenderedStack): Promise<RenderedStack> {
    return renderStack(STACK, e2eConfig(images, namespace, nodePort, more), prior);
}
