// Runs the program (index.ts) under mocks with a stack's configuration, the way the CLI would hand it over:
// Pulumi.yaml's declared defaults, overlaid by Pulumi.<stack>.yaml, overlaid by a test's own values.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as assert from "assert";
import { loadConfig, register } from "tsconfig-paths";
import { parse } from "yaml";
import { EngineMocks, installMocks, previousRunSettled, promiseOf, RecordedResource } from "./mocks";

export const ROOT = path.resolve(__dirname, "..", "..");
export const PROJECT = "tls-sidecar";

/** The components' TypeScript sources, as paths under components/ (its area folders included). */
export function componentSources(): string[] {
    return (fs.readdirSync(path.join(ROOT, "components"), { recursive: true }) as string[]).filter((f) => f.endsWith(".ts")).sort();
}

export interface DeclaredKey {
    type: "string" | "integer" | "boolean" | "array";
    default?: unknown;
    description?: string;
    items?: { type: string };
}

export function declaredConfig(): Record<string, DeclaredKey> {
    const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
    return project.config ?? {};
}

export function stackFile(stack: string): Record<string, unknown> {
    const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
    return parse(fs.readFileSync(file, "utf8"))?.config ?? {};
}

/** The stacks: every Pulumi.<stack>.yaml beside Pulumi.yaml. */
export const STACKS = fs
    .readdirSync(ROOT)
    .map((f) => /^Pulumi\.([\w-]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();

/**
 * The secrets a stack file documents in its comments, as the commands that set them:
 * `#   pulumi config set --secret tls-sidecar:<key> <what> --stack <stack>`; [] when it says `# Secrets: none`.
 */
export function documentedSecrets(stack: string): string[] {
    const text = fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
    const commands = [...text.matchAll(/^#\s+pulumi config set --secret (\S+) .*--stack (\S+)$/gm)];
    for (const [line, , named] of commands) assert.strictEqual(named, stack, `Pulumi.${stack}.yaml: ${line}`);
    const keys = commands.map(([, key]) => key);
    assert.ok(keys.length > 0 || /^# Secrets: none\b/m.test(text), `Pulumi.${stack}.yaml documents its secrets (or says "# Secrets: none")`);
    return keys;
}

/** Config values reach a program as strings; arrays and objects as JSON. */
function asConfigString(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

/** Keys are unqualified (`appPort`) or qualified (`tls-sidecar:appPort`). */
export function stackConfig(stack: string | undefined, overrides: Record<string, unknown> = {}): Record<string, string> {
    const config: Record<string, string> = {};
    for (const [key, decl] of Object.entries(declaredConfig())) {
        if (decl.default !== undefined) {
            config[`${PROJECT}:${key}`] = asConfigString(decl.default);
        }
    }
    const qualify = (key: string) => (key.includes(":") ? key : `${PROJECT}:${key}`);
    for (const [key, value] of Object.entries(stack === undefined ? {} : stackFile(stack))) {
        config[qualify(key)] = asConfigString(value);
    }
    for (const [key, value] of Object.entries(overrides)) {
        config[qualify(key)] = asConfigString(value);
    }
    return config;
}

export type ProgramOutputs = Record<string, unknown>;

export interface ProgramRun {
    mocks: EngineMocks;
    /** The exported values, resolved: what the stack's outputs would be. */
    outputs: ProgramOutputs;
    /** Every name the program exports, i.e. every stack output it would create, sorted. */
    exported: string[];
}

/** The program threw; `mocks` shows what it had registered by then. */
export class ProgramFailure extends Error {
    constructor(
        readonly cause: Error,
        readonly mocks: EngineMocks,
    ) {
        super(cause.message);
    }
}

/**
 * Runs index.ts afresh. Rejects with the program's own error when it fails.
 * `prior`: the previous run's resources, to model a second `pulumi up` of the same stack (see RecordedResource.step).
 */
export async function runProgram(
    stack: string | undefined,
    overrides: Record<string, unknown> = {},
    secretKeys: string[] = [],
    preview = false,
    prior: RecordedResource[] = [],
): Promise<ProgramRun> {
    const config = stackConfig(stack, overrides);
    return runEntry(path.join(ROOT, "index.ts"), PROJECT, stack ?? "test", config, secretKeys.map((k) => `${PROJECT}:${k}`), preview, prior);
}

/**
 * Runs a Pulumi program's entry file afresh under mocks, as `project`'s `stack` with `config` (qualified keys; those
 * in `secretKeys` set as secrets): this repository's program, or a consumer's built against the packed package.
 */
export async function runEntry(
    entryFile: string,
    project: string,
    stack: string,
    config: Record<string, string>,
    secretKeys: string[] = [],
    preview = false,
    prior: RecordedResource[] = [],
): Promise<ProgramRun> {
    const mocks = await installMocks(stack, preview, prior, project);
    pulumi.runtime.setAllConfig(config, secretKeys);
    const entry = require.resolve(entryFile);
    delete require.cache[entry];
    let program: Record<string, unknown>;
    try {
        // As the Node language host does: require the entry; a function or promise export is awaited.
        const exported = require(entry);
        program = await (typeof exported === "function" ? exported() : exported);
    } catch (e) {
        throw new ProgramFailure(e as Error, mocks);
    }
    const outputs: ProgramOutputs = {};
    for (const [key, value] of Object.entries(program)) {
        outputs[key] = pulumi.Output.isInstance(value) ? await promiseOf(value as pulumi.Output<unknown>) : value;
    }
    return { mocks, outputs, exported: Object.keys(program).sort() };
}

/** Runs a stack with `overrides` that the program must refuse; returns its message, having checked that nothing was registered. */
export async function refusal(stack: string, overrides: Record<string, unknown>, secretKeys: string[] = []): Promise<string> {
    try {
        await runProgram(stack, overrides, secretKeys);
    } catch (e) {
        assert.ok(e instanceof ProgramFailure, String(e));
        assert.deepStrictEqual(
            e.mocks.resources.map((r) => r.type),
            [],
            "nothing is registered",
        );
        return e.message;
    }
    throw new Error(`the program accepted ${JSON.stringify(overrides)}`);
}

/**
 * Runs an example program (`<dir>/index.ts`) afresh under `mocks`, with `config` as its project's (unqualified keys).
 * An example imports "tls-sidecar" as a user's program does (its package.json depends on the package): while it
 * loads, that name resolves to this repository's source through tsconfig.json's `paths`, as the typecheck does.
 */
export async function runExample(dir: string, project: string, mocks: pulumi.runtime.Mocks, config: Record<string, string>): Promise<any> {
    await previousRunSettled();
    await pulumi.runtime.setMocks(mocks, project, "test", false);
    pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [`${project}:${k}`, v])));
    const entry = require.resolve(path.join(dir, "index.ts"));
    delete require.cache[entry];
    const tsconfig = loadConfig(ROOT);
    if (tsconfig.resultType !== "success") throw new Error(`tsconfig.json: ${tsconfig.message}`);
    const unregister = register({ baseUrl: tsconfig.absoluteBaseUrl, paths: tsconfig.paths });
    try {
        return require(entry);
    } finally {
        unregister();
    }
}
