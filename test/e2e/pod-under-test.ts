// The one place the e2e gets its pod from: the pod spec and Secret the real program (index.ts, dev stack)
// produces under mocks, not a spec written again by hand. The mocks compute the certificates for real (openssl),
// with the SANs the component asks for.
import { stackConfig } from "../support/program";
import { renderPod } from "../support/render";
import type { PodSpec } from "./kubelet";

export interface PodUnderTest {
    podSpec: PodSpec;
    /** The kubernetes.io/tls Secret's files as PEM text: tls.crt, tls.key, ca.crt. */
    secretData: Record<string, string>;
    appPort: number;
    proxyPort: number;
    adminPort: number;
}

/** The stack whose program output the e2e runs. */
export const STACK = "dev";

/**
 * Returns the pod under test. Image references in the spec are replaced by the e2e with the images it built
 * (by role: the init container that sets the redirect, the proxy sidecar, the app).
 */
export async function loadPodUnderTest(): Promise<PodUnderTest> {
    const rendered = await renderPod(STACK);
    const config = stackConfig(STACK);
    const port = (key: string) => Number(config[`tls-sidecar:${key}`]);
    return {
        podSpec: rendered.podSpec as PodSpec,
        secretData: rendered.secretData,
        appPort: port("appPort"),
        proxyPort: port("proxyPort"),
        adminPort: port("adminPort"),
    };
}
