// The cloudflared image of the tunnel e2e: the binary built from the vendored upstream source once per version
// (infra/build-cloudflared.sh, cached under /var/cache/tls-sidecar-e2e), put into a FROM scratch image
// (cloudflared/Dockerfile) and pushed to the e2e registry; once per mocha run. The same build makes the tests'
// stand-in edge (standinEdge.ts), which runs on the node.
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { docker, dockerUp, run, timed } from "./docker";
import { pushImage } from "./images";

/** The release the e2e builds: the component's default image tag (tunnel.e2e.test.ts holds the two together). */
export const CLOUDFLARED_VERSION = "2026.8.2";
/** The CA bundle of this machine's ca-certificates package (.ci/run installs it). */
const CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

export interface CloudflaredImage {
    /** `<registry>/tls-sidecar-e2e/cloudflared@sha256:...` */
    ref: string;
    /** Of the local image, as `docker image inspect` reports it. */
    sizeBytes: number;
    /** The stand-in edge's binary, built from the same source tree. */
    standinEdge: string;
}

let once: Promise<CloudflaredImage> | undefined;

export function cloudflaredImage(repoRoot: string, registry: string): Promise<CloudflaredImage> {
    once ??= (async () => {
        await dockerUp(repoRoot);
        const built = await timed(`cloudflared ${CLOUDFLARED_VERSION} build (once per version, cached)`, () =>
            run("bash", [join(repoRoot, "test/e2e/infra/build-cloudflared.sh")], {
                timeoutMs: 30 * 60_000,
                env: { ...process.env, CLOUDFLARED_VERSION },
            }));
        process.stderr.write(built.stderr.split("\n").filter((l) => l !== "").map((l) => `      ${l}\n`).join(""));
        const [binary, standinEdge] = built.stdout.trim().split("\n");
        const tag = `tls-sidecar-e2e/cloudflared:${CLOUDFLARED_VERSION}`;
        // A context of just the two files: the cache directory also holds the build log.
        const context = await mkdtemp(join(tmpdir(), "tls-e2e-cloudflared-"));
        try {
            await copyFile(binary, join(context, "cloudflared"));
            await copyFile(CA_BUNDLE, join(context, "ca-certificates.crt"));
            await timed("cloudflared image", () => docker(["build", "--quiet", "--tag", tag, "--build-arg", `VERSION=${CLOUDFLARED_VERSION}`,
                "--file", join(repoRoot, "test/e2e/cloudflared/Dockerfile"), context], { timeoutMs: 300_000, env: { ...process.env, DOCKER_BUILDKIT: "0" } }));
        } finally {
            await rm(context, { recursive: true, force: true });
        }
        const sizeBytes = Number(await docker(["image", "inspect", "--format", "{{.Size}}", tag]));
        const ref = await pushImage(registry, tag, "cloudflared", `${CLOUDFLARED_VERSION}-${Date.now().toString(36)}`);
        return { ref, sizeBytes, standinEdge };
    })();
    return once;
}
