// A private registry on the real node: a registry that requires basic auth (test/e2e/infra/auth-registry.sh), the
// program's own images pushed there under the names it asks for, and the pull Secret it makes from
// `images.registry` (registryPullSecret). Without the Secret the kubelet cannot pull; with it the pods run and serve.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isSecretAt, pushedImages } from "../support/mocks";
import { httpsGet } from "./clients";
import { apply, CONTAINERD_SOCK, createNamespace, deleteNamespace, events, kubectlJson, pods } from "./cluster";
import { deleteNamespacesAfter, deployFresh, e2eSetup, MARKER, REPO, STACK, stopClusterAfterAll } from "./deploy";
import { docker, eventually, run } from "./docker";
import { pushedDigest, relabel } from "./images";
import { renderStack, RenderedStack } from "./manifests";

stopClusterAfterAll();

const AUTH_REGISTRY = process.env.E2E_AUTH_REGISTRY ?? "127.0.0.1:5001";
const SCRIPT = join(REPO, "test/e2e/infra/auth-registry.sh");

describe("real node: images from a registry that requires basic auth", function () {
    this.timeout(10 * 60_000);
    const user = "tls-e2e";
    const password = randomBytes(18).toString("base64url");
    const registryEnv = { ...process.env, E2E_AUTH_REGISTRY: AUTH_REGISTRY, E2E_AUTH_REGISTRY_USER: user, E2E_AUTH_REGISTRY_PASSWORD: password };
    // docker login writes the credentials to a config of this test's own, never to the machine's ~/.docker
    const dockerConfig = mkdtempSync(join(tmpdir(), "tls-e2e-docker-"));
    const authDocker = (args: string[], input?: string) => docker(args, { env: { ...process.env, DOCKER_CONFIG: dockerConfig }, input, timeoutMs: 300_000 });
    const pushed: string[] = [];
    let appImage: string;
    const config = (namespace: string, nodePort: number, pullSecret: boolean) => ({
        namespace, nodePort, appImage, drainSeconds: 1,
        registryServer: AUTH_REGISTRY, registryUsername: user, registryPassword: password, registryPullSecret: pullSecret,
    });
    const render = (namespace: string, nodePort: number, pullSecret: boolean): Promise<RenderedStack> =>
        renderStack(STACK, config(namespace, nodePort, pullSecret), undefined, ["registryPassword"]);

    /** Pushes a local image under `name` to the auth registry; returns its digest. */
    async function push(localTag: string, name: string): Promise<string> {
        await authDocker(["tag", localTag, name]);
        const digest = pushedDigest(await authDocker(["push", name]));
        pushed.push(name);
        return digest;
    }

    before(async function () {
        this.timeout(40 * 60_000);
        await e2eSetup();
        await run("bash", [SCRIPT, "up"], { env: registryEnv, timeoutMs: 60_000 });
        await authDocker(["login", AUTH_REGISTRY, "--username", user, "--password-stdin"], password);
        // An app release of this run only (a new digest), so no node already holds it under this name.
        const runId = Date.now().toString(36);
        const appTag = await relabel("tls-sidecar-e2e/app:dev", `private-${runId}`);
        const appName = `${AUTH_REGISTRY}/tls-sidecar-e2e/app:private-${runId}`;
        appImage = `${AUTH_REGISTRY}/tls-sidecar-e2e/app@${await push(appTag, appName)}`;
        await run("docker", ["rmi", appTag], { allowFail: true });
        // What the program asks @pulumi/docker to build and push, pushed for real: the e2e's builds of the same
        // Dockerfiles, under the image names the program computes.
        const probe = await render("tls-e2e-private-probe", 30451, true);
        const images = probe.run.mocks.ofType("docker:index/image:Image");
        assert.equal(images.length, 2, "the program builds the proxy and the init image");
        for (const image of images) {
            const component = /\/(proxy|init):[^/]+$/.exec(image.inputs.imageName)?.[1];
            assert.ok(component, `an image name the e2e knows: ${image.inputs.imageName}`);
            assert.equal(image.inputs.registry.username, user);
            assert.ok(isSecretAt(image, "registry.password"), "the push password is a secret input");
            pushedImages.set(image.inputs.imageName, await push(`tls-sidecar-e2e/${component}:dev`, image.inputs.imageName));
        }
    });

    after(async function () {
        this.timeout(120_000);
        pushedImages.clear();
        // Nothing stays behind: the node's copies of these images (a later run must pull again), the local tags,
        // the login and the registry with its storage.
        const refs = (await run("ctr", ["-a", CONTAINERD_SOCK, "-n", "k8s.io", "images", "ls", "-q"], { allowFail: true })).stdout
            .split("\n").filter((r) => r.startsWith(`${AUTH_REGISTRY}/`));
        if (refs.length) await run("ctr", ["-a", CONTAINERD_SOCK, "-n", "k8s.io", "images", "rm", ...refs], { allowFail: true });
        for (const name of pushed) await run("docker", ["rmi", name], { allowFail: true });
        rmSync(dockerConfig, { recursive: true, force: true });
        await run("bash", [SCRIPT, "down"], { env: registryEnv, timeoutMs: 60_000 });
    });

    deleteNamespacesAfter("tls-e2e-private-none", "tls-e2e-private");

    it("without the pull Secret the kubelet is refused by the registry (401), so the pods cannot start", async () => {
        const ns = "tls-e2e-private-none";
        await deleteNamespace(ns);
        const rendered = await render(ns, 30452, false);
        assert.ok(!rendered.objects.some((o) => o.kind === "Secret" && (o as { type?: string }).type === "kubernetes.io/dockerconfigjson"));
        await createNamespace(ns);
        await apply(rendered.objects); // the rollout cannot finish: what matters is why
        const why = await eventually("an image pull refused", async () => {
            const waiting = (await pods(ns, "app.kubernetes.io/managed-by=tls-sidecar")).flatMap((p) => p.waiting);
            const log = await events(ns);
            return waiting.some((w) => /ErrImagePull|ImagePullBackOff/.test(w)) && /401 Unauthorized/i.test(log) ? log : undefined;
        }, 120, 500);
        assert.match(why, new RegExp(`${AUTH_REGISTRY.replace(/[.]/g, "\\.")}`), "the refusal names our registry");
        await deleteNamespace(ns);
    });

    it("with images.registry.pullSecret: the dockerconfigjson Secret is made, named by the pods, and they pull, run and serve", async () => {
        const ns = "tls-e2e-private";
        await deleteNamespace(ns);
        const rendered = await render(ns, 30453, true);
        const d = await deployFresh(ns, rendered);
        const secretName = String(rendered.outputs.pullSecretName);
        const live = await kubectlJson(["get", "secret", "-n", ns, secretName]);
        assert.equal(live.type, "kubernetes.io/dockerconfigjson");
        const auths = JSON.parse(Buffer.from(live.data[".dockerconfigjson"], "base64").toString()).auths;
        assert.equal(Buffer.from(auths[AUTH_REGISTRY].auth, "base64").toString(), `${user}:${password}`);
        const pod = (await kubectlJson(["get", "pods", "-n", ns, "-l", d.selector])).items[0];
        assert.deepEqual(pod.spec.imagePullSecrets, [{ name: secretName }]);
        const images = [...pod.spec.initContainers, ...pod.spec.containers].map((c: { image: string }) => c.image);
        assert.ok(images.every((i: string) => i.startsWith(`${AUTH_REGISTRY}/`)), `every image from the private registry: ${images}`);
        const r = await httpsGet(d.target, "/");
        assert.equal(r.status, 200);
        assert.ok(r.body.includes(MARKER));
        // the password never reached the rendered state in plaintext: only the Secret's data holds it, as a secret
        const secretResource = rendered.run.mocks.resources.find((x) => x.type === "kubernetes:core/v1:Secret" && x.inputs.type === "kubernetes.io/dockerconfigjson")!;
        assert.ok(isSecretAt(secretResource, "stringData"), "the pull Secret's data is a secret input");
    });
});
