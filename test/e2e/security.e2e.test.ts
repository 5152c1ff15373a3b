// Admission and authentication on the real node: Pod Security enforced by the real API server, and client
// certificates (mTLS) checked by the proxy behind kube-proxy's node port.
import { strict as assert } from "node:assert";
import { createHash, X509Certificate } from "node:crypto";
import { apply, createNamespace, deleteNamespace, kubectlJson } from "./cluster";
import { issueServerCert, makeCA } from "./certs";
import { httpsGet, Target } from "./clients";
import { deleteNamespacesAfter, deployFresh, e2eSetup, MARKER, renderE2e, stopClusterAfterAll } from "./deploy";
import { oneOfKind, tlsSecretOf } from "./manifests";

stopClusterAfterAll();

describe("real node: Pod Security admission", function () {
    this.timeout(10 * 60_000);
    const restricted = "tls-e2e-restricted";
    const baseline = "tls-e2e-baseline";

    deleteNamespacesAfter(restricted, baseline);

    it("podSecurity restricted with service interception: admitted in a namespace enforcing restricted, and serving", async function () {
        this.timeout(40 * 60_000);
        const images = await e2eSetup();
        await deleteNamespace(restricted);
        // The e2e app's image has no USER: restricted needs a non-root UID, which appRunAsUser gives it.
        // With the NetworkPolicy too: the API server validates it (our bridge CNI does not enforce it, see docs/reference.md).
        const rendered = await renderE2e(images, restricted, 30447, {
            podSecurity: "restricted", interception: "service", appRunAsUser: 65532,
            networkPolicy: true, networkPolicyFromCidrs: ["10.244.0.0/16", "127.0.0.0/8"], networkPolicyAdminFromNamespaces: ["kube-system"],
        });
        const d = await deployFresh(restricted, rendered, { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" });
        const res = await httpsGet(d.target, "/");
        assert.equal(res.status, 200);
        assert.equal(JSON.parse(res.body).server, MARKER);
        const pod = (await kubectlJson(["get", "pods", "-n", restricted, "-l", d.selector])).items[0];
        assert.equal(pod.spec.containers.find((c: any) => c.name === "app").securityContext.runAsUser, 65532);
        // The NetworkPolicy, as the API server stored it: it selects this pod, and opens only the TLS and admin
        // ports (with service interception the app port is in no rule).
        const policy = await kubectlJson(["get", "networkpolicy", "-n", restricted, String(rendered.outputs.networkPolicyName)]);
        const labels: Record<string, string> = pod.metadata.labels;
        assert.ok(Object.entries(policy.spec.podSelector.matchLabels).every(([k, v]) => labels[k] === v), "the policy selects the pod");
        assert.deepEqual(policy.spec.policyTypes, ["Ingress"]);
        const open = policy.spec.ingress.flatMap((r: any) => r.ports.map((p: any) => p.port)).sort();
        const ports = pod.spec.initContainers.concat(pod.spec.containers).flatMap((c: any) => (c.ports ?? []).map((p: any) => p.containerPort));
        const appPort = pod.spec.containers.find((c: any) => c.name === "app").ports?.[0]?.containerPort;
        assert.ok(open.length >= 2 && open.every((p: number) => ports.includes(p)), `only the pod's own ports: ${open} of ${ports}`);
        assert.ok(appPort > 0 && !open.includes(appPort), `the app port ${appPort} stays closed with service interception`);
        assert.deepEqual(policy.spec.ingress[0].from.map((f: any) => f.ipBlock.cidr), ["10.244.0.0/16", "127.0.0.0/8"]);
    });

    it("iptables interception is refused by the API server in a namespace enforcing baseline (NET_ADMIN)", async function () {
        this.timeout(40 * 60_000);
        const images = await e2eSetup();
        await deleteNamespace(baseline);
        await createNamespace(baseline, { "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "latest" });
        // A bare Pod, so admission answers the apply itself (a Deployment's ReplicaSet would fail later, in events).
        const rendered = await renderE2e(images, baseline, 30448, { workloadKind: "Pod" });
        await apply([tlsSecretOf(rendered)]);
        await assert.rejects(apply([oneOfKind(rendered, "Pod")]), (e: Error) => {
            assert.match(e.message, /violates PodSecurity "baseline:latest"/);
            assert.match(e.message, /NET_ADMIN/);
            return true;
        });
    });
});

describe("real node: client certificates (clientAuth require, a certificate the program issued)", function () {
    this.timeout(60_000);
    const ns = "tls-e2e-mtls";
    let target: Target;
    let issued: { certPem: string; privateKeyPem: string };

    before(async function () {
        this.timeout(40 * 60_000);
        const images = await e2eSetup();
        await deleteNamespace(ns);
        const rendered = await renderE2e(images, ns, 30449, { clientAuth: "require", clientCertificates: ["billing"] });
        issued = (rendered.outputs.clientCertificates as Record<string, { certPem: string; privateKeyPem: string }>).billing;
        // Ready means the kubelet's HTTPS probes passed without a client certificate: the admin port never asks for one.
        target = (await deployFresh(ns, rendered)).target;
    });

    deleteNamespacesAfter(ns);

    it("with the issued client certificate: 200, and the app is told the verified identity", async () => {
        const res = await httpsGet({ ...target, cert: issued.certPem, key: issued.privateKeyPem }, "/");
        assert.equal(res.status, 200);
        const seen = JSON.parse(res.body);
        assert.equal(seen.server, MARKER);
        const xfcc: string = seen.headers["X-Forwarded-Client-Cert"]?.[0] ?? "";
        const der = new X509Certificate(issued.certPem).raw;
        assert.ok(xfcc.startsWith(`Hash=${createHash("sha256").update(der).digest("hex")};`), xfcc);
        assert.match(xfcc, /Subject="[^"]*CN=billing/);
    });

    it("without a client certificate: refused in the handshake", async () => {
        await assert.rejects(httpsGet(target, "/"), /certificate|alert|socket hang up|ECONNRESET|EPIPE/i);
    });

    it("with a client certificate from another CA: refused", async () => {
        const stranger = await makeCA("tls-sidecar-e2e stranger CA");
        const cert = await issueServerCert(stranger, "billing", ["DNS:billing"]);
        await assert.rejects(httpsGet({ ...target, cert: cert.cert, key: cert.key }, "/"), /certificate|alert|socket hang up|ECONNRESET|EPIPE/i);
    });
});
