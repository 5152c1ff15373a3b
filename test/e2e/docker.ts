// Running commands (the docker CLI, openssl, scripts) with a time limit, collecting their output.
import { spawn } from "node:child_process";
import { join } from "node:path";

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}

export interface RunOptions {
    /** Kill the command after this long (default 120 s). */
    timeoutMs?: number;
    /** Written to stdin. */
    input?: string;
    /** Resolve with the exit code instead of throwing when it is not 0. */
    allowFail?: boolean;
    cwd?: string;
    env?: NodeJS.ProcessEnv;
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const timeoutMs = opts.timeoutMs ?? 120_000;
    return new Promise((resolve, reject) => {
        // stdin only when there is input: writing to a child that exits without reading it raises EPIPE.
        const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
        }, timeoutMs);
        child.on("error", (err) => {
            clearTimeout(timer);
            reject(new Error(`${cmd} ${args.join(" ")}: ${err.message}`));
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            const res = { code: code ?? -1, stdout, stderr };
            if (timedOut) {
                reject(new Error(`${cmd} ${args.join(" ")}: timed out after ${timeoutMs} ms\n${stderr.slice(-2000)}`));
            } else if (res.code !== 0 && !opts.allowFail) {
                reject(new Error(`${cmd} ${args.join(" ")}: exit ${res.code}\n${(stderr || stdout).slice(-3000)}`));
            } else {
                resolve(res);
            }
        });
        if (child.stdin) {
            // A child may exit before reading all of its input; its exit code tells what happened.
            child.stdin.on("error", () => undefined);
            child.stdin.end(opts.input);
        }
    });
}

/** `docker ARGS`, returning trimmed stdout; throws on a non-zero exit. */
export async function docker(args: string[], opts: RunOptions = {}): Promise<string> {
    return (await run("docker", args, opts)).stdout.trim();
}

export function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `check` until it returns a value other than undefined, at most `attempts` times `intervalMs` apart
 * (a bounded loop). Throws with the last error or `what` when it never does.
 */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, attempts = 50, intervalMs = 200): Promise<T> {
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
        try {
            const v = await check();
            if (v !== undefined) {
                return v;
            }
        } catch (err) {
            last = err;
        }
        await sleep(intervalMs);
    }
    throw new Error(`${what}: not after ${attempts} attempts ${intervalMs} ms apart${last ? `; last error: ${String(last)}` : ""}`);
}

/** Runs `fn`, printing how long it took (the e2e's phases, so a slow CI run shows where its time went). */
export async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    const v = await fn();
    console.log(`      [e2e] ${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return v;
}

let dockerOnce: Promise<unknown> | undefined;

/**
 * dockerd and the registry on 127.0.0.1:5000 (infra/docker-up.sh), once per mocha run: the images and the cluster
 * both need them, and two concurrent starts would race to launch dockerd.
 */
export function dockerUp(repoRoot: string): Promise<unknown> {
    dockerOnce ??= timed("docker-up", () => run("bash", [join(repoRoot, "test/e2e/infra/docker-up.sh")], { timeoutMs: 120_000 }));
    return dockerOnce;
}
