// The pod the program actually produces, rendered under mocks: what the pod-level e2e test runs.
import { ProgramRun, runProgram } from "./program";

export interface RenderedPod {
    /** The Deployment's (or bare Pod's) pod spec, exactly as the program passes it to Kubernetes. */
    podSpec: any;
    /** The kubernetes.io/tls Secret's data (real PEMs: the mocks compute certificates with openssl). */
    secretData: Record<string, string>;
    /** Stack outputs. */
    outputs: Record<string, unknown>;
}

export async function renderPod(stack: string, overrides: Record<string, unknown> = {}): Promise<RenderedPod> {
    return rendered(await runProgram(stack, overrides));
}

/**
 * Successive `pulumi up`s of one stack, each with its own overrides (e.g. a later certificateClock), each diffed
 * against the previous run's state, so unchanged resources (a CA, a key) keep their values from run to run.
 */
export async function renderSequence(stack: string, runs: Record<string, unknown>[]): Promise<RenderedPod[]> {
    const out: RenderedPod[] = [];
    let prior: ProgramRun | undefined;
    for (const overrides of runs) {
        prior = await runProgram(stack, overrides, [], false, prior?.mocks.resources ?? []);
        out.push(rendered(prior));
    }
    return out;
}

function rendered({ mocks, outputs }: ProgramRun): RenderedPod {
    const deployments = mocks.ofType("kubernetes:apps/v1:Deployment");
    const podSpec = deployments.length === 1 ? deployments[0].inputs.spec.template.spec : mocks.one("kubernetes:core/v1:Pod").inputs.spec;
    const secretData = mocks.one("kubernetes:core/v1:Secret").inputs.stringData;
    return { podSpec, secretData, outputs };
}
