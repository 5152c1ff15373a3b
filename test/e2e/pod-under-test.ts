// The one place the e2e gets its pod from. The contract: the PodSpec the component produces (from the mocked
// program), the Secret's PEMs, and the ports. Until the program is rendered here, a fixture that follows the
// same contract stands in for it (see the comment in loadPodUnderTest).
import { issueServerCert, makeCA } from "./certs";
import type { PodSpec } from "./kubelet";

export interface PodUnderTest {
    podSpec: PodSpec;
    /** The kubernetes.io/tls Secret's files as PEM text: tls.crt, tls.key, ca.crt. */
    secretData: Record<string, string>;
    appPort: number;
    proxyPort: number;
    adminPort: number;
}

export const FIXTURE_SANS = ["DNS:tls-sidecar-e2e.default.svc", "DNS:tls-sidecar-e2e.default.svc.cluster.local", "DNS:localhost", "IP:127.0.0.1"];

/**
 * Returns the pod under test. Image references in the spec are replaced by the e2e with the images it built
 * (by role: the init container that sets the redirect, the proxy sidecar, the app), so they may be anything here.
 *
 * FIXTURE: to be replaced by a render of the real program (setMocks, import the program, capture the
 * Deployment's pod template and the Secret). It mirrors what the program is specified to produce.
 */
export async function loadPodUnderTest(): Promise<PodUnderTest> {
    const appPort = 80;
    const proxyPort = 8443;
    const adminPort = 9901;
    const ca = await makeCA("tls-sidecar-e2e fixture CA");
    const server = await issueServerCert(ca, "tls-sidecar-e2e.default.svc", FIXTURE_SANS);
    const podSpec: PodSpec = {
        initContainers: [
            {
                name: "tls-init",
                image: "tls-sidecar/init:fixture",
                args: [`--app-port=${appPort}`, `--proxy-port=${proxyPort}`, "--mode=auto"],
                securityContext: {
                    capabilities: { add: ["NET_ADMIN"], drop: ["ALL"] },
                    runAsUser: 0,
                    runAsNonRoot: false,
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                },
            },
            {
                name: "tls-proxy",
                image: "tls-sidecar/proxy:fixture",
                restartPolicy: "Always",
                args: [`--listen=:${proxyPort}`, `--upstream=http://127.0.0.1:${appPort}`, "--tls-dir=/etc/sidecar/tls",
                    `--admin-listen=:${adminPort}`, "--client-auth=none"],
                ports: [{ name: "https", containerPort: proxyPort }, { name: "admin", containerPort: adminPort }],
                securityContext: {
                    capabilities: { drop: ["ALL"] },
                    runAsUser: 65532,
                    runAsNonRoot: true,
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    seccompProfile: { type: "RuntimeDefault" },
                },
                volumeMounts: [{ name: "tls", mountPath: "/etc/sidecar/tls", readOnly: true }],
            },
        ],
        containers: [
            {
                name: "app",
                image: "app:fixture",
                ports: [{ name: "http", containerPort: appPort }],
            },
        ],
        volumes: [{ name: "tls", secret: { secretName: "tls-sidecar-e2e-tls" } }],
        terminationGracePeriodSeconds: 30,
    };
    return { podSpec, secretData: { "tls.crt": server.cert, "tls.key": server.key, "ca.crt": ca.cert }, appPort, proxyPort, adminPort };
}
