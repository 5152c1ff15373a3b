// Every environment's stack file, loaded as the CLI would and run through the program under mocks.
import * as assert from "assert";
import * as fs from "fs";
import { ROOT, runProgram, stackFile } from "./support/program";

export const STACKS = fs
    .readdirSync(ROOT)
    .map((f) => /^Pulumi\.([\w-]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();

/** What a stack's secrets would hold (set with `pulumi config set --secret`, not in the stack file). */
const SECRETS: Record<string, Record<string, string>> = { staging: { registryPassword: "ci-token" } };

function runStack(stack: string) {
    return runProgram(stack, SECRETS[stack] ?? {}, Object.keys(SECRETS[stack] ?? {}));
}

function deployment(run: Awaited<ReturnType<typeof runProgram>>) {
    return run.mocks.one("kubernetes:apps/v1:Deployment").inputs;
}

describe("the environments", () => {
    it("are dev, staging and prod", () => {
        assert.deepStrictEqual(STACKS, ["dev", "prod", "staging"]);
    });

    for (const stack of ["dev", "staging", "prod"]) {
        it(`${stack}: the program runs with its stack file and exports a url for its host`, async () => {
            const run = await runStack(stack);
            const host = stackFile(stack)["tls-sidecar:publicHost"];
            assert.match(run.outputs.url as string, new RegExp(`^https://${String(host).replace(/\./g, "\\.")}:\\d+$`));
            const cert = run.mocks.one("kubernetes:core/v1:Secret").inputs.stringData["tls.crt"];
            assert.ok(new (require("crypto").X509Certificate)(cert).checkHost(host), `the certificate covers ${host}`);
        });
    }

    it("differ where environments really differ", async () => {
        // One at a time: the mocks are process-wide.
        const dev = await runStack("dev");
        const staging = await runStack("staging");
        const prod = await runStack("prod");
        // replicas
        assert.deepStrictEqual(
            [dev, staging, prod].map((r) => deployment(r).spec.replicas),
            [1, 2, 3],
        );
        // registry: dev and staging build and push to their own registry; prod builds nothing
        const images = (r: typeof dev) => r.mocks.ofType("docker:index/image:Image").map((i) => i.inputs.imageName.split("/")[0]);
        assert.deepStrictEqual(images(dev), ["localhost:5000", "localhost:5000"]);
        assert.deepStrictEqual(images(staging), ["ghcr.io", "ghcr.io"]);
        assert.deepStrictEqual(images(prod), []);
        assert.match(prod.outputs.proxyImage as string, /@sha256:[0-9a-f]{64}$/);
        // proxy resources
        const proxyResources = (r: typeof dev) => deployment(r).spec.template.spec.initContainers.find((c: any) => c.name === "tls-proxy").resources;
        assert.deepStrictEqual(proxyResources(prod), { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } });
        assert.notDeepStrictEqual(proxyResources(prod), proxyResources(dev));
        // namespaces and hosts
        assert.deepStrictEqual(
            [dev, staging, prod].map((r) => r.outputs.namespace),
            ["default", "shop-staging", "shop"],
        );
    });
});
