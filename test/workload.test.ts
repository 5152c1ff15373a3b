import * as assert from "assert";
import { EngineMocks, installMocks, promiseOf } from "./support/mocks";
import { minimalArgs } from "./support/fixtures";
import type * as Components from "../components";

let c: typeof Components;
let mocks: EngineMocks;

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const POD = "kubernetes:core/v1:Pod";
const SERVICE = "kubernetes:core/v1:Service";
const SECRET = "kubernetes:core/v1:Secret";

/** Creates the app and waits for its outputs, so every child is registered. */
async function deploy(args: Partial<Components.TlsSidecarAppArgs> = {}) {
    const app = new c.TlsSidecarApp("hello", minimalArgs(args));
    await promiseOf(app.url);
    await promiseOf(app.workloadName);
    return app;
}

function argValue(args: string[], flag: string): string | undefined {
    const prefix = `--${flag}=`;
    return args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

function podSpecOf(m: EngineMocks) {
    const deployments = m.ofType(DEPLOYMENT);
    return deployments.length === 1 ? deployments[0].inputs.spec.template.spec : m.one(POD).inputs.spec;
}

function container(spec: any, name: string): any {
    const all = [...(spec.initContainers ?? []), ...spec.containers];
    const found = all.filter((x: any) => x.name === name);
    assert.strictEqual(found.length, 1, `one container named ${name}`);
    return found[0];
}

describe("SidecarWorkload (through TlsSidecarApp)", () => {
    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    describe("defaults: Deployment, iptables interception, native sidecar", () => {
        it("runs the app unchanged as the only regular container", async () => {
            await deploy({ app: { image: "ghcr.io/acme/shop:2.1", port: 8080, env: { MODE: "prod" }, resources: { cpuRequest: "100m", memoryLimit: "256Mi" } } });
            const spec = podSpecOf(mocks);
            assert.deepStrictEqual(
                spec.containers.map((x: any) => x.name),
                ["app"],
            );
            const app = spec.containers[0];
            assert.strictEqual(app.image, "ghcr.io/acme/shop:2.1");
            assert.deepStrictEqual(app.env, [{ name: "MODE", value: "prod" }]);
            assert.deepStrictEqual(app.resources, { requests: { cpu: "100m" }, limits: { memory: "256Mi" } });
            assert.strictEqual(app.securityContext, undefined, "the app's own security settings are left alone");
            assert.deepStrictEqual(app.ports, [{ name: "http", containerPort: 8080, protocol: "TCP" }]);
        });

        it("orders the init containers: redirect first, then the proxy as a native sidecar", async () => {
            await deploy();
            const spec = podSpecOf(mocks);
            assert.deepStrictEqual(
                spec.initContainers.map((x: any) => x.name),
                [c.INIT_CONTAINER, c.PROXY_CONTAINER],
            );
            assert.strictEqual(container(spec, c.PROXY_CONTAINER).restartPolicy, "Always");
            assert.strictEqual(container(spec, c.INIT_CONTAINER).restartPolicy, undefined, "the redirect runs once");
        });

        it("agrees across proxy args, init args, ports, mount, Secret volume and Service", async () => {
            const app = await deploy({ app: { image: "nginx", port: 8081 }, proxy: { port: 9443, adminPort: 9902 } });
            const spec = podSpecOf(mocks);
            const proxy = container(spec, c.PROXY_CONTAINER);
            const init = container(spec, c.INIT_CONTAINER);

            assert.strictEqual(argValue(proxy.args, "listen"), ":9443");
            assert.strictEqual(argValue(proxy.args, "upstream"), "http://127.0.0.1:8081");
            assert.strictEqual(argValue(proxy.args, "admin-listen"), ":9902");
            assert.strictEqual(argValue(init.args, "app-port"), "8081");
            assert.strictEqual(argValue(init.args, "proxy-port"), "9443");
            assert.deepStrictEqual(
                proxy.ports.map((p: any) => p.containerPort),
                [9443, 9902],
            );

            const tlsDir = argValue(proxy.args, "tls-dir");
            const mount = proxy.volumeMounts.find((m: any) => m.mountPath === tlsDir);
            assert.ok(mount, `a volume is mounted at --tls-dir ${tlsDir}`);
            assert.strictEqual(mount.readOnly, true);
            const volume = spec.volumes.find((v: any) => v.name === mount.name);
            const secret = mocks.one(SECRET);
            assert.strictEqual(volume.secret.secretName, secret.state.metadata.name);
            assert.strictEqual(volume.secret.secretName, await promiseOf(app.secretName));
            assert.deepStrictEqual(Object.keys(secret.inputs.stringData).sort(), ["ca.crt", "tls.crt", "tls.key"]);
            assert.strictEqual(container(spec, "app").volumeMounts, undefined, "the app does not see the key");

            const service = mocks.one(SERVICE).inputs.spec;
            assert.strictEqual(service.type, "NodePort");
            assert.strictEqual(service.ports[0].targetPort, 8081, "iptables: the Service hits the app port, redirected to the proxy in the pod");
            for (const probe of [proxy.readinessProbe, proxy.livenessProbe, proxy.startupProbe]) {
                assert.strictEqual(probe.httpGet.port, 9902);
                assert.strictEqual(probe.httpGet.scheme, "HTTPS");
            }
            assert.strictEqual(proxy.readinessProbe.httpGet.path, "/readyz");
            assert.strictEqual(proxy.livenessProbe.httpGet.path, "/healthz");
        });

        it("selects its own pods: Service selector ⊆ pod labels = Deployment selector", async () => {
            await deploy();
            const deployment = mocks.one(DEPLOYMENT).inputs.spec;
            const service = mocks.one(SERVICE).inputs.spec;
            const podLabels = deployment.template.metadata.labels;
            for (const [k, v] of Object.entries(service.selector)) {
                assert.strictEqual(podLabels[k], v, `pod label ${k}`);
            }
            assert.deepStrictEqual(deployment.selector.matchLabels, service.selector);
        });

        it("rolls without downtime: maxUnavailable 0", async () => {
            await deploy({ replicas: 3 });
            const deployment = mocks.one(DEPLOYMENT).inputs.spec;
            assert.strictEqual(deployment.replicas, 3);
            assert.deepStrictEqual(deployment.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
        });

        it("gives kubelet longer than the proxy's drain before SIGKILL", async () => {
            await deploy({ proxy: { shutdownTimeoutSeconds: 40 } });
            const spec = podSpecOf(mocks);
            assert.strictEqual(argValue(container(spec, c.PROXY_CONTAINER).args, "shutdown-timeout"), "40s");
            assert.ok(spec.terminationGracePeriodSeconds > 40);
        });
    });

    it("parents every resource to its component, the TlsSidecar and the SidecarWorkload to TlsSidecarApp", async () => {
        const parents = new Map<string, string>();
        const app = new c.TlsSidecarApp("hello", minimalArgs({ images: { registry: { server: "localhost:5000" } } }), {
            transformations: [
                (args) => {
                    parents.set(`${args.type}::${args.name}`, args.opts.parent ? `${args.opts.parent.constructor.name} ${(args.opts.parent as any).__name}` : "(none)");
                    return undefined;
                },
            ],
        });
        await promiseOf(app.url);
        await promiseOf(app.workloadName);
        const parentType = (type: string) => [...parents.entries()].filter(([k]) => k.startsWith(`${type}::`)).map(([, v]) => v);
        assert.deepStrictEqual(parentType("tls-sidecar:index:TlsSidecar"), ["TlsSidecarApp hello"]);
        assert.deepStrictEqual(parentType("tls-sidecar:index:SidecarImages"), ["TlsSidecar hello"]);
        assert.deepStrictEqual(parentType("tls-sidecar:index:SidecarCertificates"), ["TlsSidecar hello"]);
        assert.deepStrictEqual(parentType("tls-sidecar:index:SidecarWorkload"), ["TlsSidecarApp hello"]);
        for (const type of ["docker:index/image:Image", "tls:index/privateKey:PrivateKey", "kubernetes:core/v1:Secret", DEPLOYMENT, SERVICE]) {
            const found = parentType(type);
            assert.ok(found.length > 0, `${type} was created`);
            assert.ok(found.every((p) => /^(SidecarImages|SidecarCertificates|SidecarWorkload) hello$/.test(p)), `${type} has a component parent: ${found}`);
        }
        assert.strictEqual(parents.size, 15, "every resource was seen by the parent's transformations");
    });

    describe("security contexts", () => {
        it("proxy: non-root, read-only root, no escalation, drops ALL, RuntimeDefault seccomp", async () => {
            await deploy();
            const sc = container(podSpecOf(mocks), c.PROXY_CONTAINER).securityContext;
            assert.strictEqual(sc.runAsNonRoot, true);
            assert.ok(sc.runAsUser > 0);
            assert.strictEqual(sc.readOnlyRootFilesystem, true);
            assert.strictEqual(sc.allowPrivilegeEscalation, false);
            assert.strictEqual(sc.privileged, false);
            assert.deepStrictEqual(sc.capabilities, { drop: ["ALL"] });
            assert.deepStrictEqual(sc.seccompProfile, { type: "RuntimeDefault" });
        });

        it("init: never privileged, adds only network capabilities, drops the rest", async () => {
            await deploy();
            const sc = container(podSpecOf(mocks), c.INIT_CONTAINER).securityContext;
            assert.strictEqual(sc.privileged, false);
            assert.strictEqual(sc.allowPrivilegeEscalation, false);
            assert.strictEqual(sc.readOnlyRootFilesystem, true);
            assert.deepStrictEqual(sc.capabilities.drop, ["ALL"]);
            assert.ok(sc.capabilities.add.includes("NET_ADMIN"));
            assert.deepStrictEqual(
                sc.capabilities.add.filter((cap: string) => !["NET_ADMIN", "NET_RAW"].includes(cap)),
                [],
            );
            assert.deepStrictEqual(sc.seccompProfile, { type: "RuntimeDefault" });
        });
    });

    describe("init capabilities by redirect mode", () => {
        for (const [mode, caps] of [
            ["nft", ["NET_ADMIN"]],
            ["legacy", ["NET_ADMIN", "NET_RAW"]],
            ["auto", ["NET_ADMIN", "NET_RAW"]],
        ] as const) {
            it(`${mode}: adds ${caps.join(" and ")}`, async () => {
                await deploy({ redirect: { mode: mode as Components.RedirectMode } });
                assert.deepStrictEqual(container(podSpecOf(mocks), c.INIT_CONTAINER).securityContext.capabilities, { add: caps, drop: ["ALL"] });
            });
        }
    });

    describe("resources", () => {
        it("defaults the proxy near seed 000's sidecar, with no CPU limit", async () => {
            await deploy();
            const proxy = container(podSpecOf(mocks), c.PROXY_CONTAINER);
            assert.deepStrictEqual(proxy.resources, { requests: { cpu: "10m", memory: "20Mi" }, limits: { memory: "64Mi" } });
            assert.ok(container(podSpecOf(mocks), c.INIT_CONTAINER).resources.limits.memory);
        });

        it("overrides field by field", async () => {
            await deploy({ proxy: { resources: { cpuLimit: "1", memoryLimit: "128Mi" } } });
            const proxy = container(podSpecOf(mocks), c.PROXY_CONTAINER);
            assert.deepStrictEqual(proxy.resources, { requests: { cpu: "10m", memory: "20Mi" }, limits: { cpu: "1", memory: "128Mi" } });
        });
    });

    describe("choices", () => {
        it("service interception: no init container, the Service targets the proxy port", async () => {
            await deploy({ interception: c.InterceptionMode.Service, proxy: { port: 9443 } });
            const spec = podSpecOf(mocks);
            assert.deepStrictEqual(
                (spec.initContainers ?? []).map((x: any) => x.name),
                [c.PROXY_CONTAINER],
            );
            const allCaps = [...(spec.initContainers ?? []), ...spec.containers].flatMap((x: any) => x.securityContext?.capabilities?.add ?? []);
            assert.deepStrictEqual(allCaps, [], "nothing adds a capability: Pod Security restricted can admit it");
            assert.strictEqual(mocks.one(SERVICE).inputs.spec.ports[0].targetPort, 9443);
        });

        it("without native sidecars (clusters before 1.29): the proxy is a regular container", async () => {
            await deploy({ nativeSidecar: false });
            const spec = podSpecOf(mocks);
            assert.deepStrictEqual(
                spec.initContainers.map((x: any) => x.name),
                [c.INIT_CONTAINER],
            );
            assert.deepStrictEqual(
                spec.containers.map((x: any) => x.name),
                ["app", c.PROXY_CONTAINER],
            );
            assert.strictEqual(container(spec, c.PROXY_CONTAINER).restartPolicy, undefined);
        });

        it("a bare Pod on request, with the same pod spec", async () => {
            await deploy({ workloadKind: c.WorkloadKind.Pod });
            assert.strictEqual(mocks.ofType(DEPLOYMENT).length, 0);
            const pod = mocks.one(POD);
            assert.deepStrictEqual(
                pod.inputs.spec.initContainers.map((x: any) => x.name),
                [c.INIT_CONTAINER, c.PROXY_CONTAINER],
            );
            const service = mocks.one(SERVICE).inputs.spec;
            for (const [k, v] of Object.entries(service.selector)) {
                assert.strictEqual(pod.inputs.metadata.labels[k], v);
            }
        });

        it("passes the client-auth mode, redirect mode and excluded ports through", async () => {
            await deploy({ proxy: { clientAuth: c.ClientAuth.Require }, redirect: { mode: c.RedirectMode.Legacy, excludePorts: [15000, 15001] } });
            const spec = podSpecOf(mocks);
            assert.strictEqual(argValue(container(spec, c.PROXY_CONTAINER).args, "client-auth"), "require");
            const init = container(spec, c.INIT_CONTAINER);
            assert.strictEqual(argValue(init.args, "mode"), "legacy");
            assert.strictEqual(argValue(init.args, "exclude-ports"), "15000,15001");
        });

        it("a fixed node port is kept; otherwise the allocated one is the output", async () => {
            const fixed = await deploy({ service: { nodePort: 31443, port: 8443 } });
            assert.strictEqual(await promiseOf(fixed.nodePort), 31443);
            assert.strictEqual(mocks.one(SERVICE).inputs.spec.ports[0].port, 8443);
            mocks = await installMocks();
            const allocated = await deploy();
            const port = await promiseOf(allocated.nodePort);
            assert.ok(port >= 30000 && port <= 32767);
            assert.strictEqual(mocks.one(SERVICE).inputs.spec.ports[0].nodePort, undefined);
        });
    });
});
