import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { EngineMocks, installMocks, isSecretAt, promiseOf } from "./support/mocks";
import { minimalArgs } from "./support/fixtures";
import { refusal, runProgram } from "./support/program";
import type * as Components from "../components";

let c: typeof Components;
let mocks: EngineMocks;

const IMAGE = "docker:index/image:Image";

async function deploy(args: Partial<Components.TlsSidecarAppArgs>) {
    const app = new c.TlsSidecarApp("hello", minimalArgs(args));
    await Promise.all([promiseOf(app.url), promiseOf(app.proxyImage), promiseOf(app.initImage), promiseOf(app.workloadName)]);
    return app;
}

function podContainers(m: EngineMocks): any[] {
    const spec = m.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec;
    return [...(spec.initContainers ?? []), ...spec.containers];
}

describe("SidecarImages (through TlsSidecarApp)", () => {
    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    describe("built and pushed", () => {
        const registry = { server: "registry.example:5000", username: "ci", password: "s3cret" };

        it("builds proxy and init from this package's Dockerfiles and pushes them to the registry", async () => {
            await deploy({ images: { registry, repository: "platform/tls", tag: "v1" } });
            const images = mocks.ofType(IMAGE);
            assert.deepStrictEqual(
                images.map((i) => i.inputs.imageName).sort(),
                ["registry.example:5000/platform/tls/init:v1", "registry.example:5000/platform/tls/proxy:v1"],
            );
            for (const image of images) {
                const dockerfile = image.inputs.build.dockerfile;
                assert.ok(fs.existsSync(dockerfile), `${dockerfile} exists`);
                assert.strictEqual(path.dirname(dockerfile), image.inputs.build.context);
                assert.ok(["proxy", "init"].includes(path.basename(image.inputs.build.context)));
                assert.strictEqual(image.inputs.registry.server, "registry.example:5000");
                assert.strictEqual(image.inputs.registry.username, "ci");
                assert.strictEqual(image.inputs.registry.password, "s3cret");
                assert.ok(isSecretAt(image, "registry.password"), "the registry password is a Pulumi secret");
            }
        });

        it("runs the pods from the pushed digests, so a rebuilt image rolls them", async () => {
            const app = await deploy({ images: { registry } });
            const byName = Object.fromEntries(mocks.ofType(IMAGE).map((i) => [path.basename(i.inputs.build.context), i.state.repoDigest]));
            const containers = podContainers(mocks);
            assert.strictEqual(containers.find((x) => x.name === c.PROXY_CONTAINER).image, byName.proxy);
            assert.strictEqual(containers.find((x) => x.name === c.INIT_CONTAINER).image, byName.init);
            assert.match(byName.proxy, /^registry\.example:5000\/tls-sidecar\/proxy@sha256:[0-9a-f]{64}$/);
            assert.strictEqual(await promiseOf(app.proxyImage), byName.proxy);
            assert.strictEqual(await promiseOf(app.initImage), byName.init);
        });

        it("passes base images as build args only when given", async () => {
            await deploy({ images: { registry: { server: "localhost:5000" }, goImage: "local/go:1.26", rustImage: "local/rust:1.95", baseImage: "local/debian:bookworm", platform: "linux/amd64" } });
            const want: Record<string, Record<string, string>> = {
                proxy: { RUST_IMAGE: "local/rust:1.95" },
                init: { GO_IMAGE: "local/go:1.26", BASE_IMAGE: "local/debian:bookworm" },
            };
            for (const image of mocks.ofType(IMAGE)) {
                assert.deepStrictEqual(image.inputs.build.args, want[path.basename(image.inputs.build.context)]);
                assert.strictEqual(image.inputs.build.platform, "linux/amd64");
                assert.strictEqual(image.inputs.registry.password, undefined);
            }
            mocks = await installMocks();
            await deploy({ images: { registry: { server: "localhost:5000" } } });
            for (const image of mocks.ofType(IMAGE)) {
                assert.deepStrictEqual(image.inputs.build.args ?? {}, {});
            }
        });
    });

    describe("the build platform", () => {
        it("defaults to linux/<this machine's architecture> in Docker's names, which silences the provider's warning", async () => {
            await deploy({ images: { registry: { server: "localhost:5000" } } });
            const platforms = mocks.ofType(IMAGE).map((i) => i.inputs.build.platform);
            assert.deepStrictEqual(platforms, [c.defaultPlatform(), c.defaultPlatform()]);
            assert.deepStrictEqual(["x64", "arm64", "arm", "s390x"].map((a) => c.defaultPlatform(a)), ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/s390x"]);
        });

        it("takes images.platform, and refuses one that is not os/arch[/variant] before registering anything", async () => {
            await deploy({ images: { registry: { server: "localhost:5000" }, platform: "linux/arm64/v8" } });
            assert.deepStrictEqual(mocks.ofType(IMAGE).map((i) => i.inputs.build.platform), ["linux/arm64/v8", "linux/arm64/v8"]);
            mocks = await installMocks();
            assert.throws(() => new c.TlsSidecarApp("hello", minimalArgs({ images: { registry: { server: "localhost:5000" }, platform: "amd64" } })), (e: Error) => {
                assert.match(e.message, /images\.platform/);
                assert.match(e.message, /os\/arch/);
                return true;
            });
            assert.deepStrictEqual(mocks.resources, []);
        });
    });

    describe("the stack config key tls-sidecar:platform", () => {
        it("sets both builds' platform, empty leaves the default, and a bad one is refused naming the key", async () => {
            const set = await runProgram("dev", { platform: "linux/arm64" });
            assert.deepStrictEqual(set.mocks.ofType(IMAGE).map((i) => i.inputs.build.platform), ["linux/arm64", "linux/arm64"]);
            const unset = await runProgram("dev", {});
            assert.deepStrictEqual(unset.mocks.ofType(IMAGE).map((i) => i.inputs.build.platform), [c.defaultPlatform(), c.defaultPlatform()]);
            assert.match(await refusal("dev", { platform: "arm64" }), /tls-sidecar:platform/);
        });
    });

    describe("prebuilt", () => {
        it("builds nothing and runs the given references", async () => {
            await deploy({ images: { prebuilt: { proxy: "ghcr.io/acme/proxy@sha256:1", init: "ghcr.io/acme/init@sha256:2" } } });
            assert.strictEqual(mocks.ofType(IMAGE).length, 0);
            const containers = podContainers(mocks);
            assert.strictEqual(containers.find((x) => x.name === c.PROXY_CONTAINER).image, "ghcr.io/acme/proxy@sha256:1");
            assert.strictEqual(containers.find((x) => x.name === c.INIT_CONTAINER).image, "ghcr.io/acme/init@sha256:2");
        });
    });

    describe("the build contexts", () => {
        for (const [component, arg] of [["proxy", "RUST_IMAGE"], ["init", "GO_IMAGE"]]) {
            it(`images/${component} has a Dockerfile with a build stage taking ${arg} and a non-root or scratch final stage`, () => {
                const dockerfile = fs.readFileSync(path.join(c.imagesDir(), component, "Dockerfile"), "utf8");
                assert.match(dockerfile, new RegExp(`^ARG ${arg}=`, "m"));
                assert.match(dockerfile, new RegExp(`^FROM \\$\\{?${arg}\\}? AS `, "im"));
                assert.doesNotMatch(dockerfile, /^(COPY|ADD)\b.*\.(key|pem|crt)\b/im, "no key or certificate is baked into the image");
            });
        }
    });
});
