// Private registries: with images.registry.pullSecret the pods pull with a kubernetes.io/dockerconfigjson Secret made
// from the credentials the images were pushed with; the password stays a Pulumi secret all the way.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { EngineMocks, installMocks, isSecretAt, promiseOf } from "./support/mocks";
import { captureProps, deployed, itRejectsEach, minimalArgs, RejectionCase } from "./support/fixtures";
import { refusal, runProgram } from "./support/program";
import type * as Components from "../components";

let c: typeof Components;
let mocks: EngineMocks;

const SECRET = "kubernetes:core/v1:Secret";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const REGISTRY = { server: "registry.example:5000", username: "ci", password: "pa:ss\u00e9word" };

const pullSecrets = (m: EngineMocks) => m.ofType(SECRET).filter((s) => s.inputs.type === "kubernetes.io/dockerconfigjson");

const CASES: RejectionCase[] = [
    [
        "a pull Secret without credentials",
        () => ({ images: { registry: { server: "localhost:5000", pullSecret: true } } }),
        /^images\.registry\.pullSecret: true is not allowed; expected false without images\.registry\.username and images\.registry\.password: a pull Secret holds the registry's credentials/,
    ],
    [
        "a pull Secret for prebuilt images without credentials",
        () => ({ images: { registry: { server: "registry.example:5000", pullSecret: true }, prebuilt: { proxy: "p@sha256:1", init: "i@sha256:2" } } }),
        /^images\.registry\.pullSecret: true is not allowed; expected false without images\.registry\.username/,
    ],
    ["a pull Secret that is not a boolean", () => ({ images: { registry: { ...REGISTRY, pullSecret: "yes" as unknown as boolean } } }), /^images\.registry\.pullSecret: "yes" is not allowed; expected true or false$/],
];

describe("dockerConfigJson", () => {
    it("renders the auths document the kubelet reads, auth being base64 of username:password", async () => {
        const { dockerConfigJson } = await import("../components");
        const doc = JSON.parse(dockerConfigJson(REGISTRY.server, REGISTRY.username, REGISTRY.password));
        assert.deepStrictEqual(Object.keys(doc.auths), [REGISTRY.server]);
        const entry = doc.auths[REGISTRY.server];
        assert.deepStrictEqual([entry.username, entry.password], [REGISTRY.username, REGISTRY.password]);
        assert.strictEqual(Buffer.from(entry.auth, "base64").toString("utf8"), `${REGISTRY.username}:${REGISTRY.password}`);
    });
});

describe("the registry's pull Secret", () => {
    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    it("is a kubernetes.io/dockerconfigjson Secret of the pushed-to registry, in the pods' namespace, named in their imagePullSecrets after the given ones", async () => {
        const app = await deployed(c, { namespace: "shop", images: { registry: { ...REGISTRY, pullSecret: true } }, pod: { imagePullSecrets: ["other-registry"] } });
        const [secret] = pullSecrets(mocks);
        assert.ok(secret, "a pull Secret is created");
        assert.strictEqual(secret.inputs.metadata.namespace, "shop");
        assert.deepStrictEqual(Object.keys(secret.inputs.stringData), [c.DOCKER_CONFIG_KEY]);
        assert.strictEqual(secret.inputs.stringData[c.DOCKER_CONFIG_KEY], c.dockerConfigJson(REGISTRY.server, REGISTRY.username, REGISTRY.password));
        const spec = mocks.one(DEPLOYMENT).inputs.spec.template.spec;
        assert.deepStrictEqual(spec.imagePullSecrets, [{ name: "other-registry" }, { name: secret.state.metadata.name }]);
        assert.strictEqual(await promiseOf(app.pullSecretName), secret.state.metadata.name);
        const pushedTo = mocks.ofType("docker:index/image:Image").map((i) => i.inputs.registry.server);
        assert.deepStrictEqual([...new Set(pushedTo)], [REGISTRY.server], "the Secret is for the registry the images were pushed to");
    });

    it("keeps the password a Pulumi secret: the Secret's data arrives as a secret output, and its outputs are marked secret", async () => {
        const { captured, transformation } = captureProps();
        let secretOutputs: string[] | undefined;
        const app = new c.TlsSidecarApp("hello", minimalArgs({ images: { registry: { ...REGISTRY, pullSecret: true } } }), {
            transformations: [transformation, (a) => void (a.name === "hello-pull" && (secretOutputs = (a.opts as pulumi.CustomResourceOptions).additionalSecretOutputs))],
        });
        await promiseOf(app.workloadName);
        const [secret] = pullSecrets(mocks);
        assert.ok(isSecretAt(secret, `stringData.${c.DOCKER_CONFIG_KEY}`), "stringData is a secret input");
        const props = captured.get(`${SECRET}::hello-pull`)!;
        assert.ok(pulumi.Output.isInstance(props.stringData), "stringData is an Output");
        assert.strictEqual(await pulumi.isSecret(props.stringData as pulumi.Output<unknown>), true);
        assert.ok(["data", "stringData"].every((k) => secretOutputs?.includes(k)), `the state's data is marked secret too: ${secretOutputs}`);
    });

    it("with prebuilt images, is made from the registry given for it, and nothing is built", async () => {
        const prebuilt = { proxy: `${REGISTRY.server}/tls/proxy@sha256:1`, init: `${REGISTRY.server}/tls/init@sha256:2` };
        await deployed(c, { images: { prebuilt, registry: { ...REGISTRY, pullSecret: true } } });
        const [secret] = pullSecrets(mocks);
        assert.strictEqual(secret.inputs.stringData[c.DOCKER_CONFIG_KEY], c.dockerConfigJson(REGISTRY.server, REGISTRY.username, REGISTRY.password));
        assert.deepStrictEqual(mocks.one(DEPLOYMENT).inputs.spec.template.spec.imagePullSecrets, [{ name: secret.state.metadata.name }]);
        assert.deepStrictEqual(mocks.ofType("docker:index/image:Image"), []);
    });

    it("with prebuilt images, a registry without pullSecret is ignored as before", async () => {
        await deployed(c, { images: { prebuilt: { proxy: "p@sha256:1", init: "i@sha256:2" }, registry: REGISTRY } });
        assert.deepStrictEqual(pullSecrets(mocks), []);
        assert.deepStrictEqual(mocks.ofType("docker:index/image:Image"), []);
    });

    it("is not made unless asked for: no Secret, no imagePullSecrets", async () => {
        const app = await deployed(c, { images: { registry: REGISTRY } });
        assert.deepStrictEqual(pullSecrets(mocks), []);
        assert.strictEqual(mocks.one(DEPLOYMENT).inputs.spec.template.spec.imagePullSecrets, undefined);
        assert.strictEqual(await promiseOf(app.pullSecretName), undefined);
    });

    itRejectsEach(CASES, () => ({ c, mocks }));
});

describe("the program's registryPullSecret", () => {
    it("makes the pull Secret from the stack's registry keys, the password staying a secret, and exports its name", async () => {
        const run = await runProgram("staging", { registryPassword: "ci-token", registryPullSecret: true }, ["registryPassword"]);
        const [secret] = pullSecrets(run.mocks);
        const doc = JSON.parse(secret.inputs.stringData[".dockerconfigjson"]);
        assert.deepStrictEqual(Object.keys(doc.auths), ["ghcr.io"]);
        assert.deepStrictEqual([doc.auths["ghcr.io"].username, doc.auths["ghcr.io"].password], ["acme-ci", "ci-token"]);
        assert.ok(isSecretAt(secret, "stringData"));
        assert.strictEqual(run.outputs.pullSecretName, secret.state.metadata.name);
        assert.deepStrictEqual(run.mocks.one(DEPLOYMENT).inputs.spec.template.spec.imagePullSecrets, [{ name: secret.state.metadata.name }]);
    });

    it("with proxyImage and initImage, makes it from the registry keys, building nothing", async () => {
        const run = await runProgram("dev", { proxyImage: "localhost:5000/t/proxy@sha256:1", initImage: "localhost:5000/t/init@sha256:2", registryUsername: "e2e", registryPassword: "pw", registryPullSecret: true }, ["registryPassword"]);
        const [secret] = pullSecrets(run.mocks);
        assert.strictEqual(secret.inputs.stringData[".dockerconfigjson"], (await import("../components")).dockerConfigJson("localhost:5000", "e2e", "pw"));
        assert.strictEqual(run.outputs.pullSecretName, secret.state.metadata.name);
        assert.deepStrictEqual(run.mocks.ofType("docker:index/image:Image"), []);
    });

    for (const [overrides, message] of [
        [{ registryPullSecret: true }, /^invalid configuration: tls-sidecar:registryPullSecret: true is not allowed; expected false without images\.registry\.username/],
        [{ registryPullSecret: true, proxyImage: "p@sha256:1", initImage: "i@sha256:2" }, /^invalid configuration: tls-sidecar:registryPullSecret: true is not allowed; expected false without images\.registry\.username/],
        [{ registryPullSecret: "yes" }, /tls-sidecar:registryPullSecret: "yes" .*true or false/],
    ] as [Record<string, unknown>, RegExp][]) {
        it(`refuses ${JSON.stringify(overrides)}, naming the key, before creating anything`, async () => {
            assert.match(await refusal("dev", overrides), message);
        });
    }
});
