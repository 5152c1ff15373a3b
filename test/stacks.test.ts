// Every environment's stack file, loaded as the CLI would and run through the program under mocks.
import * as assert from "assert";
import { isSecretAt } from "./support/mocks";
import { declaredConfig, documentedSecrets, PROJECT, refusal, runProgram, STACKS, stackFile } from "./support/program";


/** The secrets a stack file documents, each set (`pulumi config set --secret`) to a value of its own. */
function secretsOf(stack: string): Record<string, string> {
    return Object.fromEntries(documentedSecrets(stack).map((key) => [key, `secret-${key}`]));
}

function runStack(stack: string) {
    const secrets = secretsOf(stack);
    return runProgram(stack, secrets, Object.keys(secrets));
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

    for (const stack of ["dev", "staging", "prod"]) {
        it(`${stack}: documents the secrets it needs, each a declared key, set as a secret, and is refused without them`, async () => {
            const keys = documentedSecrets(stack);
            for (const key of keys) {
                assert.ok(key.startsWith(`${PROJECT}:`) && declaredConfig()[key.slice(PROJECT.length + 1)], `${key} is declared in Pulumi.yaml`);
                assert.strictEqual(stackFile(stack)[key], undefined, `${key} is not in plain text in the stack file`);
            }
            const run = await runStack(stack);
            for (const image of run.mocks.ofType("docker:index/image:Image")) {
                if (keys.includes(`${PROJECT}:registryPassword`)) assert.ok(isSecretAt(image, "registry.password"), `the registry password reaches the build as a secret: ${image.secretPaths}`);
            }
            if (keys.length > 0) {
                const message = await refusal(stack, {});
                for (const key of keys) assert.match(message, new RegExp(key.replace(/[.:]/g, "\\$&")), `without ${key} the program names it`);
            }
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
