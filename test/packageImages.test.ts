// The images build from what the npm package ships: every file a Dockerfile COPYs or ADDs from its build context
// (the directory components/images/images.ts hands docker.Image, .dockerignore applied) is in `npm pack`'s file list.
// Fast: `npm pack --dry-run` lists the files without packing or building.
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { minimatch } from "minimatch";
import { contextFiles, copySources, selectedBy } from "./support/dockerContext";
import { ROOT } from "./support/program";

function packedFiles(): string[] {
    const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
        cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false" },
    });
    return JSON.parse(out)[0].files.map((f: { path: string }) => f.path);
}

/** The repository's tracked files. */
function repoFiles(): string[] {
    return execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter((f) => f !== "");
}

/** Files under `dir/`, relative to it. */
function under(dir: string, files: string[]): string[] {
    return files.filter((f) => f.startsWith(`${dir}/`)).map((f) => f.slice(dir.length + 1));
}

/**
 * What a build from `contextDir` as packed would lack: each COPY source that selects no file of the packed context,
 * and each file the repository's context COPYs that is not packed (`leftOut`: files the package omits on purpose).
 */
export function missingFromPackage(contextDir: string, packed: string[], repo: string[], leftOut: (file: string) => boolean): string[] {
    const dockerfile = fs.readFileSync(path.join(ROOT, contextDir, "Dockerfile"), "utf8");
    const ignoreFile = path.join(ROOT, contextDir, ".dockerignore");
    const ignore = fs.existsSync(ignoreFile) ? fs.readFileSync(ignoreFile, "utf8") : undefined;
    const packedContext = contextFiles(under(contextDir, packed), under(contextDir, packed).includes(".dockerignore") ? ignore : undefined);
    const repoContext = contextFiles(under(contextDir, repo), ignore);
    const problems: string[] = [];
    for (const source of copySources(dockerfile)) {
        const shipped = selectedBy(source, packedContext);
        if (shipped.length === 0) problems.push(`${contextDir}/Dockerfile COPYs ${source}: no such file in the package`);
        for (const file of selectedBy(source, repoContext)) {
            if (!shipped.includes(file) && !leftOut(`${contextDir}/${file}`)) problems.push(`${contextDir}/Dockerfile COPYs ${source}: ${contextDir}/${file} is not in the package`);
        }
    }
    return problems;
}

describe("the npm package's image build contexts", function () {
    this.timeout(60_000);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    // package.json's `files` negations: what the package leaves out on purpose (tests).
    const negations: string[] = pkg.files.filter((f: string) => f.startsWith("!")).map((f: string) => f.slice(1));
    const leftOut = (file: string) => negations.some((pattern) => minimatch(file, pattern, { dot: true }));
    let packed: string[];
    let repo: string[];
    const contexts = fs.readdirSync(path.join(ROOT, "images")).filter((d) => fs.existsSync(path.join(ROOT, "images", d, "Dockerfile"))).map((d) => `images/${d}`);

    before(() => {
        packed = packedFiles();
        repo = repoFiles();
    });

    it("are images/proxy and images/init, each with its Dockerfile and .dockerignore packed", () => {
        assert.deepStrictEqual(contexts.sort(), ["images/init", "images/proxy"]);
        for (const dir of contexts) {
            for (const file of ["Dockerfile", ".dockerignore"]) assert.ok(packed.includes(`${dir}/${file}`), `${dir}/${file} is packed`);
        }
    });

    for (const dir of ["images/proxy", "images/init"]) {
        it(`${dir}: every file its Dockerfile COPYs from the context is packed`, () => {
            assert.deepStrictEqual(missingFromPackage(dir, packed, repo, leftOut), []);
        });
    }

    it("leaves out only files no Dockerfile COPYs (tests)", () => {
        for (const pattern of negations) assert.match(pattern, /test|tests/, `${pattern} names tests`);
    });

    it("would report a package without images/proxy/.cargo or the init sources, and drops what .dockerignore excludes", () => {
        const withoutCargo = packed.filter((f) => !f.startsWith("images/proxy/.cargo/"));
        assert.deepStrictEqual(missingFromPackage("images/proxy", withoutCargo, repo, leftOut), [
            "images/proxy/Dockerfile COPYs .cargo: no such file in the package",
            "images/proxy/Dockerfile COPYs .cargo: images/proxy/.cargo/config.toml is not in the package",
        ]);
        assert.deepStrictEqual(contextFiles([".cargo/config.toml", "src/main.rs"], "*\n!src\n"), ["src/main.rs"]);
        const withoutGo = packed.filter((f) => !/^images\/init\/[^/]+\.go$/.test(f));
        assert.ok(missingFromPackage("images/init", withoutGo, repo, leftOut).includes("images/init/Dockerfile COPYs *.go: no such file in the package"));
    });
});
