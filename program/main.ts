// The program: one TlsSidecarApp per stack, configured by the stack's Pulumi.<stack>.yaml. The Pulumi CLI refuses a
// value of the wrong declared type before the program runs (at the first such key); every other problem with the
// configuration (unknown keys and namespace typos, arguments the component refuses, secrets included) is reported
// here in one error, before any resource is registered. Types are read again here for runs without the CLI's check.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, TlsSidecarApp, TlsSidecarAppArgs } from "../components";
import { validateAppArgs } from "../components/tlsSidecarApp";
import { ConfigProblem, describeProblem, Problems } from "../components/validation";
import { argsFromConfig } from "./config";
import { configKeyOf, DECLARED_KEYS, withoutEntry } from "./configKeys";
import { ConfigReader, NOT_SHOWN } from "./reader";
import { StackOutputs, stackOutputs } from "./outputs";
import { unknownKeys } from "./unknownKeys";

/**
 * The component's problems with `args` (secrets as plain strings), named by config key, a secret's value not shown;
 * those with a key the reader already refused are left out.
 */
function componentProblems(name: string, args: TlsSidecarAppArgs, refused: Set<string>, secretKeys: Set<string>): ConfigProblem[] {
    const problems = new Problems();
    try {
        problems.check(() => validateAppArgs(name, args));
    } catch (e) {
        // A value that could not be read left a hole the checks did not expect: the reader's problem says why.
        if (refused.size === 0) throw e;
    }
    return problems.all
        .map((p) => ({ ...p, path: configKeyOf(p.path) }))
        .filter((p) => !refused.has(withoutEntry(p.path)))
        .map((p) => (secretKeys.has(withoutEntry(p.path)) && p.value !== undefined ? { ...p, value: NOT_SHOWN } : p));
}

function configurationError(lines: string[]): pulumi.RunError {
    return new pulumi.RunError(
        lines.length === 1 ? `invalid configuration: ${lines[0]}` : `invalid configuration (${lines.length} problems):\n${lines.map((l) => `  ${l}`).join("\n")}`,
    );
}

export function main(): StackOutputs {
    const values = pulumi.runtime.allConfig();
    const read = new ConfigReader(values, DECLARED_KEYS);
    const { name, args } = argsFromConfig(read);
    // Secrets are plain strings until the program wraps them: check them now, with everything else.
    const plain = argsFromConfig(new ConfigReader(values, DECLARED_KEYS, true)).args;
    const refused = new Set(read.problems.all.map((p) => withoutEntry(p.path)));
    const lines = [...unknownKeys(values), ...[...read.problems.all, ...componentProblems(name, plain, refused, read.secretKeys)].map(describeProblem)];
    if (lines.length > 0) {
        throw configurationError(lines);
    }
    try {
        return stackOutputs(new TlsSidecarApp(name, args), args);
    } catch (e) {
        if (e instanceof ConfigError) {
            throw configurationError(e.problems.map((p) => describeProblem({ ...p, path: configKeyOf(p.path) })));
        }
        throw e;
    }
}
