// A consumer of the npm package as users get it: `npm pack` of this repository, installed from the tarball into a
// fresh TypeScript project outside the repository, compiled with its own TypeScript.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "./program";

const ROOT_PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));

function run(cmd: string, args: string[], cwd: string): string {
    return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false" } });
}

/** `npm pack` (which builds bin/ through `prepare`) into `dir`; returns the tarball's path. */
export function packInto(dir: string): string {
    const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", dir], ROOT));
    return path.join(dir, packed[0].filename);
}

/** The tarball's file list, without the `package/` prefix. */
export function tarballFiles(tarball: string): string[] {
    return run("tar", ["-tzf", tarball], path.dirname(tarball))
        .split("\n")
        .filter((f) => f !== "")
        .map((f) => f.replace(/^package\//, ""));
}

/**
 * A Pulumi TypeScript project `name` in `dir` depending on the tarball and on the @pulumi/pulumi this repository
 * tests with, with `sources` (file name → text) as its program: installed (from the npm cache where it can) and
 * compiled strictly to `dir/bin`.
 */
export function makeConsumer(dir: string, name: string, tarball: string, sources: Record<string, string>): void {
    fs.mkdirSync(dir, { recursive: true });
    const dev = ROOT_PACKAGE.devDependencies;
    fs.writeFileSync(
        path.join(dir, "package.json"),
        JSON.stringify({
            name,
            version: "1.0.0",
            private: true,
            main: "bin/index.js",
            dependencies: { "tls-sidecar": `file:${tarball}`, "@pulumi/pulumi": dev["@pulumi/pulumi"] },
            devDependencies: { typescript: dev.typescript, "@types/node": dev["@types/node"] },
        }),
    );
    fs.writeFileSync(
        path.join(dir, "tsconfig.json"),
        JSON.stringify({ compilerOptions: { strict: true, target: "es2020", module: "commonjs", outDir: "bin", esModuleInterop: true, skipLibCheck: false } }),
    );
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${name}\nruntime: nodejs\nmain: bin/index.js\n`);
    for (const [file, text] of Object.entries(sources)) fs.writeFileSync(path.join(dir, file), text);
    run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], dir);
    run(path.join(dir, "node_modules", ".bin", "tsc"), ["-p", "."], dir);
}

/** Runs a command in the consumer's directory; returns its stdout. */
export function inConsumer(dir: string, cmd: string, args: string[]): string {
    return run(cmd, args, dir);
}
