// Adopting the sidecar: TlsSidecar (images, certificates, Secrets) and withTlsSidecar(podSpec) give a pod spec of your
// own exactly TlsSidecarApp's pod for the same inputs, keeping your other containers and fields; what the sidecar
// cannot work with is refused before anything is created.
import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EngineMocks, installMocks, promiseOf, settled } from "./support/mocks";
import { reportedOnceOn } from "./support/unhandledRejections";
import { minimalArgs } from "./support/fixtures";
import type * as Components from "../components";

let c: typeof Components;
let mocks: EngineMocks;

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const PREBUILT = minimalArgs().images;
type Pod = Omit<Components.TlsSidecarPodArgs, "appPort">;

/** The pod spec of a Deployment of our own, given the sidecar; the Deployment is named `name`. */
async function ownDeployment(name: string, spec: k8s.types.input.core.v1.PodSpec, refs: Components.TlsSidecarRefs, args: Components.TlsSidecarPodArgs): Promise<any> {
    const d = new k8s.apps.v1.Deployment(name, { spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: c.withTlsSidecar(spec, refs, args) } } });
    await promiseOf(d.metadata.name);
    return mocks.ofType(DEPLOYMENT).find((r) => r.name === name)!.inputs.spec.template.spec;
}

const VARIANTS: [string, Pod][] = [
    ["iptables, native sidecar (the defaults)", {}],
    ["service interception", { interception: "service" as Components.InterceptionMode }],
    ["no native sidecar", { nativeSidecar: false }],
    ["no drain, client certificates requested, other ports", { drainSeconds: 0, proxy: { port: 9443, adminPort: 9902, clientAuth: "request" as Components.ClientAuth, shutdownTimeoutSeconds: 10 }, redirect: { mode: "nft" as Components.RedirectMode, excludePorts: [9090] } }],
];

describe("withTlsSidecar", () => {
    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    for (const [what, variant] of VARIANTS) {
        it(`${what}: a pod spec of your own is exactly TlsSidecarApp's for the same inputs`, async () => {
            const probes = { readinessProbe: { httpGet: { path: "/ready", port: 80 } }, livenessProbe: { tcpSocket: { port: 80 }, periodSeconds: 20 } };
            const app = new c.TlsSidecarApp("hello", minimalArgs({ app: { image: "nginx:1.27", port: 80, env: { A: "1" }, ...probes, drainSeconds: variant.drainSeconds }, ...variant }));
            await promiseOf(app.workloadName);
            const theirs = mocks.ofType(DEPLOYMENT).find((r) => r.name === "hello")!.inputs.spec.template.spec;
            const mine = await ownDeployment(
                "mine",
                { containers: [{ name: "app", image: "nginx:1.27", ports: [{ name: "http", containerPort: 80, protocol: "TCP" }], env: [{ name: "A", value: "1" }], ...probes }] },
                app,
                { appPort: 80, ...variant },
            );
            assert.deepStrictEqual(mine, theirs);
        });
    }

    it("keeps your other containers, init containers (first), volumes (after the sidecar's), fields and a longer grace period", async () => {
        const spec = await ownDeployment(
            "shop",
            {
                serviceAccountName: "shop",
                nodeSelector: { "kubernetes.io/os": "linux" },
                initContainers: [{ name: "migrate", image: "shop-migrate:1" }],
                containers: [
                    { name: "log-shipper", image: "fluent-bit:3" },
                    { name: "shop", image: "shop:1", ports: [{ name: "web", containerPort: 8080 }], readinessProbe: { httpGet: { path: "/ready", port: "web" } } },
                ],
                volumes: [{ name: "cache", emptyDir: {} }],
                terminationGracePeriodSeconds: 120,
            },
            { proxyImage: "proxy@sha256:1", initImage: "init@sha256:2", secretName: "shop-tls" },
            { appPort: 8080, container: "shop" },
        );
        assert.deepStrictEqual(spec.initContainers.map((x: any) => x.name), ["migrate", "tls-init", "tls-proxy"]);
        assert.deepStrictEqual(spec.containers.map((x: any) => x.name), ["log-shipper", "shop"]);
        assert.deepStrictEqual(spec.containers[0], { name: "log-shipper", image: "fluent-bit:3" }, "other containers untouched");
        assert.deepStrictEqual(spec.containers[1].readinessProbe.httpGet, { path: "/ready", port: 8080, scheme: "HTTPS" });
        assert.deepStrictEqual(spec.volumes.map((v: any) => v.name), ["tls-sidecar-certs", "cache"]);
        assert.strictEqual(spec.volumes[0].secret.secretName, "shop-tls");
        assert.deepStrictEqual([spec.serviceAccountName, spec.nodeSelector], ["shop", { "kubernetes.io/os": "linux" }]);
        assert.strictEqual(spec.terminationGracePeriodSeconds, 120);
        assert.deepStrictEqual(spec.initContainers[0], { name: "migrate", image: "shop-migrate:1" });
    });

    it("with TlsSidecar's pull Secret, adds it to your imagePullSecrets", async () => {
        const sidecar = new c.TlsSidecar("shop", { namespace: "shop", serviceName: "shop", images: { registry: { server: "registry.example", username: "ci", password: "pw", pullSecret: true } } });
        const spec = await ownDeployment("shop", { imagePullSecrets: [{ name: "theirs" }], containers: [{ name: "shop", image: "shop:1" }] }, sidecar, { appPort: 8080 });
        const pull = mocks.ofType("kubernetes:core/v1:Secret").find((s) => s.inputs.type === "kubernetes.io/dockerconfigjson")!;
        assert.deepStrictEqual(spec.imagePullSecrets, [{ name: "theirs" }, { name: pull.state.metadata.name }]);
        assert.strictEqual(pull.inputs.metadata.namespace, "shop");
        assert.strictEqual(spec.volumes[0].secret.secretName, await promiseOf(sidecar.secretName));
    });

    const POD = { containers: [{ name: "shop", image: "shop:1" }] };
    const REFS = { proxyImage: "p", initImage: "i", secretName: "s" };
    for (const [what, spec, args, message] of [
        ["a container name not in the pod", POD, { appPort: 8080, container: "web" }, /^container: "web" is not allowed; expected the name of the app container, one of "shop"$/],
        ["no container name with two containers", { containers: [{ name: "a", image: "a" }, { name: "b", image: "b" }] }, { appPort: 8080 }, /^container: a missing value .*one of "a", "b" \(the pod has more than one\)$/],
        ["a container of the sidecar's name", { containers: [{ name: "shop", image: "s" }, { name: "tls-proxy", image: "x" }] }, { appPort: 8080, container: "shop" }, /^spec: "tls-proxy" .*the sidecar's own$/],
        ["a volume of the sidecar's prefix", { ...POD, volumes: [{ name: "tls-sidecar-certs", emptyDir: {} }] }, { appPort: 8080 }, /^spec\.volumes\[0\]\.name: "tls-sidecar-certs" /],
        ["a gRPC probe at the app port with iptables", { containers: [{ name: "shop", image: "s", readinessProbe: { grpc: { port: 8080 } } }] }, { appPort: 8080 }, /^spec\.containers\[0\]\.readinessProbe\.grpc\.port: 8080 .*a port other than appPort \(8080\) with iptables interception/],
        ["an HTTP probe at the app port when client certificates are required", { containers: [{ name: "shop", image: "s", livenessProbe: { httpGet: { path: "/", port: "http" } }, ports: [{ name: "http", containerPort: 8080 }] }] }, { appPort: 8080, proxy: { clientAuth: "require" as Components.ClientAuth } }, /^spec\.containers\[0\]\.livenessProbe\.httpGet\.port: 8080 .*requires a client certificate the kubelet does not have/],
        ["a preStop hook of its own with the drain", { containers: [{ name: "shop", image: "s", lifecycle: { preStop: { exec: { command: ["sleep", "5"] } } } }] }, { appPort: 8080 }, /^spec\.containers\[0\]\.lifecycle\.preStop: \["exec"\] .*while drainSeconds is above 0/],
        ["the app port on the proxy's", POD, { appPort: 8443 }, /^proxy\.port: 8443 .*a port other than appPort \(8443\)/],
        ["containers given as an Output", { containers: pulumi.output([{ name: "shop", image: "s" }]) }, { appPort: 8080 }, /^spec\.containers: "object" .*plain objects \(not Outputs\)/],
        ["a drain too long", POD, { appPort: 8080, drainSeconds: 301 }, /^drainSeconds: 301 .*from 0 to 300/],
    ] as [string, k8s.types.input.core.v1.PodSpec, Components.TlsSidecarPodArgs, RegExp][]) {
        it(`rejects ${what}, naming the argument, the value and what is allowed, and creates nothing`, () => {
            assert.throws(() => c.withTlsSidecar(spec, REFS, args), (e: unknown) => e instanceof c.ConfigError && message.test(e.message) ? true : assert.fail(String(e)));
            assert.deepStrictEqual(mocks.resources, []);
        });
    }

    describe("with a field given as an Output", () => {
        const probed = (port: pulumi.Input<number>): k8s.types.input.core.v1.PodSpec => ({ containers: [{ name: "shop", image: "s", readinessProbe: { tcpSocket: { port } } }] });
        const later = <T>(value: T) => pulumi.output(new Promise<T>((resolve) => setTimeout(() => resolve(value), 10)));

        it("checks it when it resolves: a bad value fails the Deployment given the spec with the same message, registering it not", async () => {
            const known = (() => {
                try {
                    c.withTlsSidecar(probed(0), REFS, { appPort: 8080 });
                } catch (e) {
                    return (e as Error).message;
                }
                assert.fail("a probe at port 0 given as a plain value is refused");
            })();
            const spec = c.withTlsSidecar(probed(later(0)), REFS, { appPort: 8080 });
            await assert.rejects(settled(pulumi.output(spec.containers)), (e: unknown) => pulumi.ResourceError.isInstance(e) && (e as Error).message === known);
            new k8s.apps.v1.Deployment("shop", { spec: { selector: { matchLabels: { app: "shop" } }, template: { metadata: { labels: { app: "shop" } }, spec } } });
            // Raised by the Deployment's registration, which serialising its spec prefixes.
            assert.match(await reportedOnceOn(undefined), /spec\.containers\[0\]\.readinessProbe\.tcpSocket\.port: 0 is not allowed/);
            assert.deepStrictEqual(mocks.ofType(DEPLOYMENT), []);
        });

        it("renders the same pod as a plain value once a good one resolves", async () => {
            const plain = await ownDeployment("plain", probed(8081), REFS, { appPort: 8080 });
            const fromOutput = await ownDeployment("output", probed(later(8081)), REFS, { appPort: 8080 });
            assert.deepStrictEqual(fromOutput.containers, plain.containers);
        });
    });
});

describe("TlsSidecar", () => {
    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    it("makes the images' references, the certificate for the Service's names and the Secret, and no workload", async () => {
        const sidecar = new c.TlsSidecar("shop", { namespace: "shop", serviceName: "shop", publicHost: "shop.example.com", images: PREBUILT });
        assert.strictEqual(await promiseOf(sidecar.proxyImage), PREBUILT.prebuilt!.proxy);
        const secretName = await promiseOf(sidecar.secretName);
        const secret = mocks.one("kubernetes:core/v1:Secret");
        assert.strictEqual(secretName, secret.state.metadata.name);
        assert.strictEqual(secret.inputs.metadata.namespace, "shop");
        const cert = mocks.ofType("tls:index/certRequest:CertRequest")[0].inputs;
        assert.ok(cert.dnsNames.includes("shop.shop.svc.cluster.local") && cert.dnsNames.includes("shop.example.com"), cert.dnsNames.join(", "));
        assert.match((await promiseOf(sidecar.caCertPem))!, /BEGIN CERTIFICATE/);
        assert.deepStrictEqual(mocks.ofType(DEPLOYMENT), []);
        assert.strictEqual(await promiseOf(sidecar.pullSecretName), undefined);
    });

    it("given a namespace as an Output, checks it when it resolves: a bad one fails the component with the same message, registering nothing", async () => {
        const known = (() => {
            try {
                new c.TlsSidecar("known", { namespace: "Shop_NS", serviceName: "shop", images: PREBUILT });
            } catch (e) {
                return (e as Error).message;
            }
            assert.fail("a bad namespace given as a plain value is refused");
        })();
        const sidecar = new c.TlsSidecar("shop", { namespace: pulumi.output(new Promise<string>((resolve) => setTimeout(() => resolve("Shop_NS"), 10))), serviceName: "shop", images: PREBUILT });
        await assert.rejects(settled(sidecar.secretName), (e: unknown) => (e as Error).message === known);
        assert.strictEqual(await reportedOnceOn(sidecar), known);
        assert.deepStrictEqual(mocks.resources, []);
    });

    for (const [what, args, message] of [
        ["a Service name that is no DNS-1035 label", { serviceName: "Shop", images: PREBUILT }, /^serviceName: "Shop" .*DNS-1035 label/],
        ["a pull Secret without credentials", { serviceName: "shop", images: { ...PREBUILT, registry: { server: "r", pullSecret: true } } }, /^images\.registry\.pullSecret: true .*without images\.registry\.username/],
        ["a private key without its certificate", { serviceName: "shop", images: PREBUILT, tls: { privateKeyPem: "-----BEGIN PRIVATE KEY-----" } }, /^tls\.certificatePem: a missing value /],
    ] as [string, Components.TlsSidecarArgs, RegExp][]) {
        it(`rejects ${what}, naming the argument, the value and what is allowed, and creates nothing`, () => {
            assert.throws(() => new c.TlsSidecar("shop", args), (e: unknown) => e instanceof c.ConfigError && message.test(e.message) ? true : assert.fail(String(e)));
            assert.deepStrictEqual(mocks.resources, []);
        });
    }
});
