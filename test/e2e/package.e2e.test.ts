// The npm package as a user gets it, on the real node: `npm pack` of this repository, installed from the tarball
// into a fresh Pulumi project in the OS temp directory (outside the repository), the consumer's program rendered
// under mocks, both sidecar images built with Docker from the installed package's own image directories exactly
// as it hands them to docker.Image (context, Dockerfile, build args, platform) and pushed, then the program's
// objects applied to the node: HTTPS served through the node port, verified against the exported CA.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { makeConsumer, packInto } from "../support/consumer";
import { pushedImages } from "../support/mocks";
import { httpsGet } from "./clients";
import { deleteNamespace, kubectlJson } from "./cluster";
import { deleteNamespacesAfter, Deployed, deployFresh, e2eSetup, MARKER, REGISTRY, REPO, stopClusterAfterAll } from "./deploy";
import { timed } from "./docker";
import { buildAndPushAsProvider, DockerImageInputs, LOCAL_DEBIAN_IMAGE, LOCAL_GO_IMAGE, LOCAL_RUST_IMAGE } from "./images";
import { renderEntry } from "./manifests";

stopClusterAfterAll();

const NAMESPACE = "tls-e2e-package";
const NODE_PORT = 30455;
const PROJECT = "shop";
const IMAGE = "docker:index/image:Image";

/** The consumer's whole program: what a user writes after `npm install tls-sidecar`. */
const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { TlsSidecarApp } from "tls-sidecar";

const config = new pulumi.Config();
const app = new TlsSidecarApp("shop", {
    namespace: config.require("namespace"),
    app: { image: config.require("appImage"), port: 80, drainSeconds: 1 },
    publicHost: "localhost",
    service: { nodePort: config.requireNumber("nodePort") },
    tls: { ipAddresses: ["127.0.0.1"] },
    images: {
        registry: { server: config.require("registryServer") },
        repository: "tls-sidecar-e2e-package",
        tag: config.require("imageTag"),
        rustImage: config.get("rustImage"),
        goImage: config.get("goImage"),
        baseImage: config.get("baseImage"),
    },
});

export const url = app.url;
export const nodePort = app.nodePort;
export const caCertPem = app.caCertPem;
export const secretName = app.secretName;
export const workloadName = app.workloadName;
export const proxyImage = app.proxyImage;
export const initImage = app.initImage;
`;

describe("real node: the npm package installed by a consumer outside the repository, images built from it", function () {
    this.timeout(60_000);
    let work: string;
    let consumer: string;
    let d: Deployed;
    const built = new Map<string, string>();

    before(async function () {
        this.timeout(40 * 60_000);
        const images = await e2eSetup();
        await deleteNamespace(NAMESPACE);
        work = fs.mkdtempSync(path.join(os.tmpdir(), "tls-sidecar-consumer-"));
        consumer = path.join(work, PROJECT);
        const tarball = await timed("npm pack", async () => packInto(work));
        await timed("consumer npm install + tsc", async () => makeConsumer(consumer, PROJECT, tarball, { "index.ts": PROGRAM }));
        const config = Object.fromEntries(Object.entries({
            namespace: NAMESPACE, nodePort: String(NODE_PORT), appImage: images.app, registryServer: REGISTRY, imageTag: `e2e-${Date.now().toString(36)}`,
            rustImage: LOCAL_RUST_IMAGE, goImage: LOCAL_GO_IMAGE, baseImage: LOCAL_DEBIAN_IMAGE,
        }).map(([k, v]) => [`${PROJECT}:${k}`, v]));
        const entry = path.join(consumer, "bin", "index.js");
        // What the consumer's program asks docker.Image for, built and pushed for real; the second render then names
        // the pushed digests, as the provider's repoDigest would.
        const asked = (await renderEntry(entry, PROJECT, config)).run.mocks.ofType(IMAGE).map((r) => r.inputs as DockerImageInputs);
        assert.equal(asked.length, 2, "the consumer's program builds the proxy and the init image");
        await timed("build + push the images from the installed package", async () => {
            for (const image of asked) built.set(image.imageName, await buildAndPushAsProvider(image));
        });
        for (const [name, digest] of built) pushedImages.set(name, digest);
        d = await timed("deploy", async () => deployFresh(NAMESPACE, await renderEntry(entry, PROJECT, config)));
    });

    after(() => {
        pushedImages.clear();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    deleteNamespacesAfter(NAMESPACE);

    it("installs outside the repository and builds each image from the installed package's own directory", () => {
        assert.ok(path.relative(REPO, consumer).startsWith(".."), `${consumer} is outside ${REPO}`);
        const images = d.rendered.run.mocks.ofType(IMAGE);
        assert.deepEqual(images.map((i) => path.basename(i.inputs.build.context)).sort(), ["init", "proxy"]);
        for (const image of images) {
            const context = image.inputs.build.context;
            assert.equal(path.dirname(context), path.join(consumer, "node_modules", "tls-sidecar", "images"));
            assert.equal(image.inputs.build.dockerfile, path.join(context, "Dockerfile"));
            assert.match(image.inputs.build.platform, /^linux\/[a-z0-9]+/, "a platform is set");
        }
    });

    it("serves HTTPS through the node port, verified against the exported CA and the certificate's name", async () => {
        assert.equal(d.rendered.outputs.url, `https://localhost:${NODE_PORT}`);
        const res = await httpsGet(d.target, "/");
        assert.equal(res.status, 200);
        assert.equal(JSON.parse(res.body).server, MARKER);
        await assert.rejects(httpsGet({ ...d.target, ca: [] as string[] }, "/"), /certificate|self.signed|issuer/i);
    });

    it("runs the proxy and init images built from the package, by the digests pushed", async () => {
        const [pod] = (await kubectlJson(["get", "pods", "-n", NAMESPACE, "-l", d.selector])).items;
        const ran = (pod.status.initContainerStatuses as { imageID: string }[]).map((s) => s.imageID.replace(/^.*@/, ""));
        assert.deepEqual(ran.sort(), [...built.values()].sort());
    });
});
