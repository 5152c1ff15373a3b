// The npm package as a consumer gets it: `npm pack`, installed into a fresh Pulumi TypeScript program, compiled
// with strict TypeScript, and run under mocks creating a TlsSidecarApp.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { inConsumer, makeConsumer, packInto, tarballFiles } from "./support/consumer";
import { isExternal, linkTarget, linksOf, page } from "./support/docs";
import { componentSources, ROOT } from "./support/program";

const rootPackage = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));

const CONSUMER_PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { ClientAuth, TlsSidecarApp } from "tls-sidecar";

export function deploy(): TlsSidecarApp {
    return new TlsSidecarApp("shop", {
        namespace: "shop",
        app: { image: "ghcr.io/acme/shop:1.0", port: 8080 },
        proxy: { clientAuth: ClientAuth.None },
        images: { registry: { server: "registry.example:5000", username: "ci", password: pulumi.secret("pw") } },
    });
}
`;

const CONSUMER_TEST = `import * as assert from "assert";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";

const created: { type: string; inputs: any }[] = [];
pulumi.runtime.setMocks({
    newResource(args) {
        created.push({ type: args.type, inputs: args.inputs });
        const state: any = { ...args.inputs };
        if (args.type === "docker:index/image:Image") state.repoDigest = args.inputs.imageName.split(":").slice(0, -1).join(":") + "@sha256:" + "0".repeat(64);
        if (args.type === "kubernetes:core/v1:Service") state.spec = { ...args.inputs.spec, ports: args.inputs.spec.ports.map((p: any) => ({ ...p, nodePort: 30123 })) };
        if (args.type.startsWith("tls:")) Object.assign(state, { privateKeyPem: "k", certPem: "c", certRequestPem: "r", validityEndTime: "2030-01-01T00:00:00Z" });
        if (args.type.startsWith("kubernetes:")) state.metadata = { ...args.inputs.metadata, name: args.inputs.metadata?.name ?? args.name + "-abc" };
        return { id: args.name + "-id", state };
    },
    call: (args) => args.inputs,
}, "consumer", "test", false);

(async () => {
    const { deploy } = await import("./index");
    const app = deploy();
    const url = await new Promise((resolve) => app.url.apply(resolve));
    await new Promise((resolve) => app.workloadName.apply(resolve));
    assert.strictEqual(url, "https://localhost:30123");
    const types = created.map((c) => c.type);
    assert.ok(types.includes("tls-sidecar:index:TlsSidecarApp"), types.join(","));
    const images = created.filter((c) => c.type === "docker:index/image:Image");
    assert.strictEqual(images.length, 2);
    for (const image of images) {
        assert.ok(fs.existsSync(image.inputs.build.dockerfile), "the Dockerfiles ship in the package: " + image.inputs.build.dockerfile);
        assert.ok(image.inputs.build.context.includes("node_modules/tls-sidecar/images/"), image.inputs.build.context);
    }
    console.log("consumer ok: " + created.length + " resources");
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe("the npm package", function () {
    // Packs, installs from the npm registry cache and compiles: minutes at worst, not seconds.
    this.timeout(600_000);
    let work: string;
    let tarball: string;

    before(() => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "tls-sidecar-pack-"));
        tarball = packInto(work);
    });

    after(() => {
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("ships compiled JS and declarations, the components' sources, the Dockerfiles and the Rust and Go sources, and no tests", () => {
        const files = tarballFiles(tarball);
        for (const f of ["bin/index.js", "bin/index.d.ts", "bin/tlsSidecarApp.js", "images/proxy/Dockerfile", "images/proxy/Cargo.lock", "images/proxy/src/main.rs", "images/init/Dockerfile", "images/init/main.go", "PulumiPlugin.yaml"]) {
            assert.ok(files.includes(f), `${f} is in the tarball`);
        }
        assert.deepStrictEqual(
            files.filter((f) => f.startsWith("test/") || f.endsWith("_test.go") || f.endsWith("tests.rs") || f.startsWith("images/proxy/tests/")),
            [],
        );
        // TypeScript sources: the components only (main's entry and what bin/'s source maps point at), no program.
        const sources = files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
        assert.deepStrictEqual(sources.sort(), componentSources().map((f) => `components/${f}`));
    });

    it("points exports and types at the compiled entry, and main at its source (the plugin host's and schema analyzer's entry)", () => {
        assert.strictEqual(rootPackage.main, "components/index.ts");
        assert.strictEqual(rootPackage.types, "bin/index.d.ts");
        assert.deepStrictEqual(rootPackage.exports["."], { types: "./bin/index.d.ts", default: "./bin/index.js" });
        assert.ok(rootPackage.peerDependencies["@pulumi/pulumi"], "@pulumi/pulumi is a peer: the consumer's copy is the one used");
        assert.strictEqual(rootPackage.dependencies["@pulumi/pulumi"], undefined);
    });

    it("takes the provider SDKs as caret ranges, so a consumer's own copy of each is shared", () => {
        const deps = Object.entries<string>(rootPackage.dependencies);
        assert.deepStrictEqual(deps.map(([name]) => name).sort(), ["@pulumi/docker", "@pulumi/kubernetes", "@pulumi/tls"]);
        for (const [name, range] of deps) assert.match(range, /^\^\d+\.\d+\.\d+$/, `${name}: ${range}`);
    });

    it("ships the Apache-2.0 LICENSE it declares, and names its repository, homepage and issue tracker", () => {
        assert.strictEqual(rootPackage.license, "Apache-2.0");
        assert.ok(tarballFiles(tarball).includes("LICENSE"));
        const license = fs.readFileSync(path.join(ROOT, "LICENSE"), "utf8");
        assert.match(license, /Apache License\s+Version 2\.0, January 2004/);
        assert.match(license, /END OF TERMS AND CONDITIONS/);
        const repo = /^git\+(https:\/\/github\.com\/[\w.-]+\/[\w.-]+)\.git$/.exec(rootPackage.repository.url)?.[1];
        assert.ok(repo, rootPackage.repository.url);
        assert.strictEqual(rootPackage.homepage, `${repo}#readme`);
        assert.strictEqual(rootPackage.bugs.url, `${repo}/issues`);
        assert.ok(page("README.md").includes(`pulumi package add ${repo}`), "the README's `pulumi package add` names the repository");
    });

    it("shows in the README the program it installs, and ships every file the README links to", () => {
        assert.ok(page("README.md").includes(CONSUMER_PROGRAM), "the README's \"Use it from your own program\" is this program");
        const files = tarballFiles(tarball);
        const linked = linksOf("README.md").filter((href) => !isExternal(href)).map((href) => linkTarget("README.md", href).target);
        assert.ok(linked.includes("docs/reference.md"), linked.join(", "));
        assert.deepStrictEqual(linked.filter((f) => !files.includes(f)), [], "linked from the README but not in the tarball");
    });

    it("installs into a fresh Pulumi program with one copy of @pulumi/pulumi, compiles strictly and runs under mocks", () => {
        const consumer = path.join(work, "consumer");
        makeConsumer(consumer, "consumer", tarball, { "index.ts": CONSUMER_PROGRAM, "check.ts": CONSUMER_TEST });
        const run = (cmd: string, args: string[]) => inConsumer(consumer, cmd, args);
        const copies = run("find", ["node_modules", "-path", "*/@pulumi/pulumi/package.json"]).split("\n").filter((l) => l !== "");
        assert.deepStrictEqual(copies, ["node_modules/@pulumi/pulumi/package.json"]);
        const out = run("node", ["bin/check.js"]);
        assert.match(out, /consumer ok: 1[0-9] resources/);
    });
});
