// The pod the program actually produces, rendered under mocks: what the pod-level e2e test runs.
import { runProgram } from "./program";

export interface RenderedPod {
    /** The Deployment's (or bare Pod's) pod spec, exactly as the program passes it to Kubernetes. */
    podSpec: any;
    /** The kubernetes.io/tls Secret's data (real PEMs: the mocks compute certificates with openssl). */
    secretData: Record<string, string>;
    /** Stack outputs. */
    outputs: Record<string, unknown>;
}

export async function renderPod(stack: string, overrides: Record<string, unknown> = {}): Promise<RenderedPod> {
    const { mocks, outputs } = await runProgram(stack, overrides);
    const deployments = mocks.ofType("kubernetes:apps/v1:Deployment");
    const podSpec = deployments.length === 1 ? deployments[0].inputs.spec.template.spec : mocks.one("kubernetes:core/v1:Pod").inputs.spec;
    const secretData = mocks.one("kubernetes:core/v1:Secret").inputs.stringData;
    return { podSpec, secretData, outputs };
}
