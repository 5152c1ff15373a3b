// What the program asks Kubernetes for, as objects to apply: every kubernetes:* resource the real program
// (index.ts) registers under mocks, with the inputs the component passed (the Secret's PEMs are real: the mocks
// compute certificates with openssl) and the names the provider would give (auto-names from the mocks' state).
import type { RecordedResource } from "../support/mocks";
import { ProgramRun, runEntry, runProgram } from "../support/program";
import type { KubeObject } from "./cluster";

export interface RenderedStack {
    /** In the order the program registered them (Secret before the workload that mounts it). */
    objects: KubeObject[];
    /** Stack outputs. */
    outputs: Record<string, any>;
    run: ProgramRun;
    /** The up before this one, if any. */
    prior?: RenderedStack;
}

/** `kubernetes:apps/v1:Deployment` → apps/v1, Deployment; `kubernetes:core/v1:Secret` → v1, Secret. */
function typeOf(token: string): { apiVersion: string; kind: string } {
    const m = /^kubernetes:([a-z0-9.]+)\/([a-z0-9]+):([A-Za-z]+)$/.exec(token);
    if (m === null) throw new Error(`not a Kubernetes resource type: ${token}`);
    return { apiVersion: m[1] === "core" ? m[2] : `${m[1]}/${m[2]}`, kind: m[3] };
}

export function objectOf(r: RecordedResource): KubeObject {
    const { apiVersion, kind } = typeOf(r.type);
    // JSON round trip: drops the undefined fields the provider would leave out too.
    const inputs = JSON.parse(JSON.stringify(r.inputs));
    return { ...inputs, apiVersion, kind, metadata: { ...inputs.metadata, name: r.state.metadata.name } };
}

export function objectsOf(run: ProgramRun): KubeObject[] {
    return run.mocks.resources.filter((r) => r.type.startsWith("kubernetes:")).map(objectOf);
}

/**
 * One `pulumi up` of a stack with config overrides; `prior` makes it the next up of the same stack; `secretKeys`
 * are the overrides set as secrets (`pulumi config set --secret`).
 */
export async function renderStack(stack: string, overrides: Record<string, unknown>, prior?: RenderedStack, secretKeys: string[] = []): Promise<RenderedStack> {
    const run = await runProgram(stack, overrides, secretKeys, false, prior?.run.mocks.resources ?? []);
    return { objects: objectsOf(run), outputs: run.outputs, run, prior };
}

/**
 * What an engine would delete after this up: objects of the prior run that this one no longer declares, and the
 * old object of each replacement (same resource, a new auto-name: created before the old one is deleted).
 */
export function deletedSince(now: RenderedStack): KubeObject[] {
    const kube = (r: RecordedResource) => r.type.startsWith("kubernetes:");
    const gone = now.run.mocks.deleted().filter(kube);
    const replaced = (now.prior?.run.mocks.resources ?? []).filter(kube).filter((p) => {
        const successor = now.run.mocks.resources.find((r) => r.type === p.type && r.name === p.name);
        return successor !== undefined && successor.state.metadata.name !== p.state.metadata.name;
    });
    return [...gone, ...replaced].map(objectOf);
}

export function ofKind(stack: RenderedStack, kind: string): KubeObject[] {
    return stack.objects.filter((o) => o.kind === kind);
}

/** The program's one `kubernetes.io/tls` Secret (a pull Secret may sit beside it). */
export function tlsSecretOf(stack: RenderedStack): KubeObject & { stringData: Record<string, string> } {
    const found = ofKind(stack, "Secret").filter((o) => (o as { type?: string }).type === "kubernetes.io/tls");
    if (found.length !== 1) throw new Error(`expected one kubernetes.io/tls Secret, rendered ${found.length}`);
    return found[0] as KubeObject & { stringData: Record<string, string> };
}

export function oneOfKind(stack: RenderedStack, kind: string): KubeObject {
    const found = ofKind(stack, kind);
    if (found.length !== 1) throw new Error(`expected one ${kind}, rendered ${found.length}`);
    return found[0];
}

/** One `pulumi up` of another program's entry file (a consumer's, built against the packed package), with its config. */
export async function renderEntry(entryFile: string, project: string, config: Record<string, string>): Promise<RenderedStack> {
    const run = await runEntry(entryFile, project, "e2e", config);
    return { objects: objectsOf(run), outputs: run.outputs, run };
}
