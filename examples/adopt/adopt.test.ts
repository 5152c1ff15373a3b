// The adopting program under mocks: its own Deployment, given the sidecar by withTlsSidecar(), has exactly the pod
// spec TlsSidecarApp renders for the same app (same image, port, env, probes and service account), the Secret's
// auto-name and the app container's name aside.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { EngineMocks, installMocks, promiseOf, settled } from "../../test/support/mocks";
import { runExample } from "../../test/support/program";
import type * as Components from "../../components";

const PROJECT = "tls-sidecar-adopt";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const TLS_SECRET = (m: EngineMocks) => m.ofType("kubernetes:core/v1:Secret").find((s) => s.inputs.type === "kubernetes.io/tls")!;

async function runAdopt(): Promise<{ mocks: EngineMocks; program: any }> {
    const mocks = new EngineMocks();
    const program = await runExample(__dirname, PROJECT, mocks, { namespace: "shop", registryServer: "registry.example:5000" });
    await settled(program.deploymentName);
    await settled(program.caCertPem);
    return { mocks, program };
}

/** The same app, given to TlsSidecarApp. */
async function renderedByTlsSidecarApp(): Promise<{ spec: any; secretName: string }> {
    const mocks = await installMocks();
    const c: typeof Components = await import("../../components");
    const app = new c.TlsSidecarApp("shop", {
        namespace: "shop",
        app: {
            image: "ghcr.io/acme/shop:1.0",
            port: 8080,
            env: { LOG_LEVEL: "info" },
            readinessProbe: { httpGet: { path: "/ready", port: 8080 }, periodSeconds: 5 },
            livenessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 10 },
        },
        pod: { serviceAccountName: "shop" },
        images: { registry: { server: "registry.example:5000" } },
    });
    await promiseOf(app.workloadName);
    return { spec: mocks.one(DEPLOYMENT).inputs.spec.template.spec, secretName: await promiseOf(app.secretName) };
}

describe("examples/adopt: the sidecar added to a Deployment the program owns", () => {
    let adopted: { mocks: EngineMocks; program: any };
    let ours: { spec: any; secretName: string };

    before(async () => {
        ours = await renderedByTlsSidecarApp();
        adopted = await runAdopt();
    });

    it("depends on the package by name, as a program outside this repository does", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "package.json"), "utf8"));
        assert.strictEqual(pkg.dependencies["tls-sidecar"], `^${JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")).version}`);
        const source = fs.readFileSync(path.join(__dirname, "index.ts"), "utf8");
        assert.match(source, /from "tls-sidecar";/);
        assert.doesNotMatch(source, /from "\.\.\//, "no import reaches out of the example's directory");
    });

    it("creates the images, the certificates and their Secret, the program's own Deployment and Service, and no other workload", () => {
        const types = adopted.mocks.resources.map((r) => r.type);
        assert.strictEqual(types.filter((t) => t === DEPLOYMENT).length, 1);
        assert.strictEqual(adopted.mocks.one(DEPLOYMENT).name, "shop");
        assert.ok(types.includes("tls-sidecar:index:TlsSidecar"));
        assert.ok(!types.includes("tls-sidecar:index:SidecarWorkload") && !types.includes("tls-sidecar:index:TlsSidecarApp"));
        assert.strictEqual(types.filter((t) => t === "docker:index/image:Image").length, 2);
        assert.strictEqual(adopted.mocks.one("kubernetes:core/v1:Service").inputs.spec.ports[0].targetPort, 8080);
    });

    it("the pod spec is exactly TlsSidecarApp's for the same inputs (init order, native sidecar, Secret volume, rewritten probes, drain, grace period)", () => {
        const spec = adopted.mocks.one(DEPLOYMENT).inputs.spec.template.spec;
        const secretName = TLS_SECRET(adopted.mocks).state.metadata.name;
        assert.strictEqual(spec.volumes[0].secret.secretName, secretName, "the adopted pod mounts TlsSidecar's Secret");
        assert.strictEqual(ours.spec.volumes[0].secret.secretName, ours.secretName);
        const normalized = (s: any, secret: string, appName: string) =>
            JSON.parse(JSON.stringify(s).split(JSON.stringify(secret)).join('"<secret>"').split(`"name":${JSON.stringify(appName)}`).join('"name":"<app>"'));
        assert.deepStrictEqual(normalized(spec, secretName, "shop"), normalized(ours.spec, ours.secretName, "app"));
    });

    it("spells out what the sidecar did to the team's pod", () => {
        const spec = adopted.mocks.one(DEPLOYMENT).inputs.spec.template.spec;
        assert.deepStrictEqual(spec.initContainers.map((c: any) => [c.name, c.restartPolicy]), [["tls-init", undefined], ["tls-proxy", "Always"]]);
        const shop = spec.containers[0];
        assert.deepStrictEqual(spec.containers.map((c: any) => c.name), ["shop"]);
        assert.deepStrictEqual(shop.readinessProbe.httpGet, { path: "/ready", port: 8080, scheme: "HTTPS" }, "the named port resolved, sent through the proxy");
        assert.strictEqual(shop.livenessProbe.httpGet.scheme, "HTTPS");
        assert.deepStrictEqual(shop.lifecycle.preStop.httpGet, { path: "/drain", port: 9901, scheme: "HTTPS" });
        assert.strictEqual(spec.serviceAccountName, "shop");
        assert.strictEqual(spec.terminationGracePeriodSeconds, 5 + 25 + 5);
    });

    it("exports the CA the program's clients trust", async () => {
        assert.match(await promiseOf(adopted.program.caCertPem), /-----BEGIN CERTIFICATE-----/);
        assert.strictEqual(await promiseOf(adopted.program.clusterUrl), "https://shop.shop.svc.cluster.local:443");
    });
});
