// Builds the e2e's images from their Dockerfiles with the local base images, pushes them to the local registry,
// and returns registry references by digest (what the program puts in pod specs: repoDigest).
import { join } from "node:path";
import { docker, dockerUp, run, timed } from "./docker";

export const LOCAL_GO_IMAGE = "tls-sidecar-local/go:1.26";
export const LOCAL_RUST_IMAGE = "tls-sidecar-local/rust:1.95";
export const LOCAL_DEBIAN_IMAGE = "tls-sidecar-local/debian:bookworm";

export interface ImageSpec {
    name: string; // repository name under <registry>/tls-sidecar-e2e/
    context: string; // build context, relative to the repo root
}

export const E2E_IMAGES = {
    init: { name: "init", context: "images/init" },
    proxy: { name: "proxy", context: "images/proxy" },
    app: { name: "app", context: "test/e2e/app" },
} satisfies Record<string, ImageSpec>;

export type BuiltImages = Record<keyof typeof E2E_IMAGES, string>;

export async function buildImage(repoRoot: string, spec: ImageSpec, tag: string): Promise<void> {
    await docker(["build", "--quiet", "--tag", tag,
        "--build-arg", `GO_IMAGE=${LOCAL_GO_IMAGE}`, "--build-arg", `BASE_IMAGE=${LOCAL_DEBIAN_IMAGE}`,
        "--build-arg", `RUST_IMAGE=${LOCAL_RUST_IMAGE}`,
        join(repoRoot, spec.context)], { timeoutMs: 1_200_000, env: { ...process.env, DOCKER_BUILDKIT: "0" } });
}

/** The digest `docker push` reports for what it pushed. */
export function pushedDigest(pushOutput: string): string {
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushOutput)?.[1];
    if (!digest) throw new Error(`no digest in docker push output:\n${pushOutput}`);
    return digest;
}

/** Pushes tag to the registry and returns `<registry>/tls-sidecar-e2e/<name>@sha256:...`; the local registry tag is removed. */
export async function pushImage(registry: string, localTag: string, name: string, runId: string): Promise<string> {
    const remote = `${registry}/tls-sidecar-e2e/${name}`;
    await docker(["tag", localTag, `${remote}:${runId}`]);
    const digest = pushedDigest(await docker(["push", `${remote}:${runId}`], { timeoutMs: 300_000 }));
    // Untag, so that running `${remote}@${digest}` has to pull it from the registry, as a node would.
    await run("docker", ["rmi", `${remote}:${runId}`], { allowFail: true });
    await run("docker", ["rmi", `${remote}@${digest}`], { allowFail: true });
    return `${remote}@${digest}`;
}

let imagesOnce: Promise<BuiltImages> | undefined;

/** Docker + registry up, base images, the three images built and pushed: once per mocha run. */
export function e2eImages(repoRoot: string, registry: string): Promise<BuiltImages> {
    imagesOnce ??= (async () => {
        await dockerUp(repoRoot);
        await timed("base images", () => run("bash", [join(repoRoot, "test/e2e/infra/base-images.sh")], { timeoutMs: 20 * 60_000 }));
        const runId = `e2e-${Date.now().toString(36)}`;
        const local = (n: string) => `tls-sidecar-e2e/${n}:dev`;
        await timed("build images", () => Promise.all(Object.values(E2E_IMAGES).map((s) => buildImage(repoRoot, s, local(s.name)))));
        const entries = await timed("push images", () => Promise.all(Object.entries(E2E_IMAGES).map(
            async ([k, s]) => [k, await pushImage(registry, local(s.name), s.name, runId)] as const)));
        return Object.fromEntries(entries) as BuiltImages;
    })();
    return imagesOnce;
}

/**
 * The app image again with one more label: the same program, a new digest (what a user's new release looks like
 * to the Deployment), pushed to the registry.
 */
export async function relabeledApp(registry: string, images: BuiltImages, label: string): Promise<string> {
    await docker(["pull", images.app], { timeoutMs: 120_000 });
    return pushImage(registry, await relabel(images.app, label), "app", label);
}

/** A local image `tls-sidecar-e2e/app:<label>`: `from` with the label `tls-sidecar-e2e.variant=<label>` (a new digest). */
export async function relabel(from: string, label: string): Promise<string> {
    const tag = `tls-sidecar-e2e/app:${label}`;
    await run("docker", ["build", "--quiet", "--tag", tag, "--label", `tls-sidecar-e2e.variant=${label}`, "-"], {
        input: `FROM ${from}\n`, env: { ...process.env, DOCKER_BUILDKIT: "0" }, timeoutMs: 120_000,
    });
    return tag;
}

/** What a program hands @pulumi/docker's `docker.Image` (its recorded inputs). */
export interface DockerImageInputs {
    imageName: string;
    build: { context: string; dockerfile: string; args?: Record<string, string>; platform?: string };
}

/**
 * Builds and pushes an image as the docker provider would from a `docker.Image`'s inputs (same context, Dockerfile,
 * build args and platform; the classic builder, as buildImage, so the layers built from the repository are reused);
 * returns the pushed digest.
 */
export async function buildAndPushAsProvider(image: DockerImageInputs): Promise<string> {
    const { context, dockerfile, args = {}, platform } = image.build;
    await docker(["build", "--quiet", "--tag", image.imageName, "--file", dockerfile,
        ...Object.entries(args).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
        ...(platform === undefined ? [] : ["--platform", platform]),
        context], { timeoutMs: 1_200_000, env: { ...process.env, DOCKER_BUILDKIT: "0" } });
    const digest = pushedDigest(await docker(["push", image.imageName], { timeoutMs: 300_000 }));
    await run("docker", ["rmi", image.imageName], { allowFail: true });
    return digest;
}
