// The GitHub workflows users run: previews on pull requests, deploys on main, tests before either.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { documentedSecrets, ROOT, STACKS } from "./support/program";

const DIR = path.join(ROOT, ".github", "workflows");

function workflow(name: string): any {
    return parse(fs.readFileSync(path.join(DIR, name), "utf8"));
}

function stackExists(stack: string): boolean {
    return fs.existsSync(path.join(ROOT, `Pulumi.${stack}.yaml`));
}

/** The job's one pulumi/actions step that runs a command (another may only install the CLI). */
function pulumiStep(job: any): any {
    const steps = job.steps.filter((s: any) => String(s.uses ?? "").startsWith("pulumi/actions@") && s.with?.command !== undefined);
    assert.strictEqual(steps.length, 1, "one pulumi/actions step with a command");
    return steps[0];
}

/** `registryPassword` → `TLS_SIDECAR_REGISTRY_PASSWORD`: the repository secret CI sets a stack's secret from. */
function secretVariable(key: string): string {
    return `TLS_SIDECAR_${key.replace(/^tls-sidecar:/, "").replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** Runs scripts/select-stack.sh with a pulumi stub that records each call and what it read on stdin. */
function selectStack(stack: string, env: Record<string, string>): { code: number; stderr: string; calls: string[] } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "select-stack-"));
    try {
        const log = path.join(dir, "calls");
        fs.writeFileSync(path.join(dir, "pulumi"), '#!/bin/bash\nin=""; [ "$2" = set ] && in=$(cat); echo "$* <$in>" >>"$STUB_LOG"\n', { mode: 0o755 });
        const res = spawnSync("bash", [path.join(ROOT, "scripts", "select-stack.sh"), stack], {
            encoding: "utf8", env: { PATH: `${dir}:${process.env.PATH}`, STUB_LOG: log, ...env },
        });
        return { code: res.status ?? -1, stderr: res.stderr, calls: fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [] };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("the GitHub workflows", () => {
    it("parse, and every job that deploys or previews needs the tests first", () => {
        for (const file of fs.readdirSync(DIR)) {
            const wf = workflow(file);
            assert.ok(wf.name && wf.on && wf.jobs, `${file} is a workflow`);
        }
        assert.deepStrictEqual(workflow("preview.yml").jobs.preview.needs, "test");
        assert.strictEqual(workflow("deploy.yml").jobs.staging.needs, "test");
    });

    it("tests run the README's test command through .ci/run", () => {
        const steps = workflow("test.yml").jobs.test.steps;
        assert.ok(steps.some((s: any) => /bash \.ci\/run/.test(s.run ?? "")));
        assert.ok(fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8").includes("npm test"));
    });

    it("run on the Node.js major that package.json's engines names, as .ci/run does", () => {
        const engines = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).engines.node;
        const major = Number(/^>=(\d+)$/.exec(engines)?.[1]);
        assert.strictEqual(major, 22, `engines.node ${engines}`);
        const pinned = /^CI_NODE_VERSION=(\d+)\.\d+\.\d+$/m.exec(fs.readFileSync(path.join(ROOT, ".ci", "node.sh"), "utf8"));
        assert.strictEqual(Number(pinned?.[1]), major, ".ci/node.sh pins a version of that major");
        for (const file of fs.readdirSync(DIR)) {
            for (const [name, job] of Object.entries<any>(workflow(file).jobs)) {
                for (const step of job.steps ?? []) {
                    if (String(step.uses ?? "").startsWith("actions/setup-node@")) {
                        assert.strictEqual(step.with["node-version"], major, `${file} ${name}`);
                    }
                }
            }
        }
    });

    it("previews each deployed stack on pull requests with a diff commented on the PR", () => {
        const wf = workflow("preview.yml");
        assert.ok("pull_request" in wf.on);
        assert.strictEqual(wf.permissions["pull-requests"], "write");
        const job = wf.jobs.preview;
        const stacks: string[] = job.strategy.matrix.stack;
        assert.ok(stacks.length >= 2);
        for (const stack of stacks) {
            assert.ok(stackExists(stack), `Pulumi.${stack}.yaml exists for the previewed stack ${stack}`);
        }
        const step = pulumiStep(job);
        assert.strictEqual(step.with.command, "preview");
        assert.strictEqual(step.with["stack-name"], "${{ matrix.stack }}");
        assert.strictEqual(step.with.diff, true);
        assert.strictEqual(step.with["comment-on-pr"], true);
        assert.strictEqual(step.with["github-token"], "${{ secrets.GITHUB_TOKEN }}");
    });

    it("deploys on main, staging then prod, each behind its GitHub environment", () => {
        const wf = workflow("deploy.yml");
        assert.deepStrictEqual(wf.on.push.branches, ["main"]);
        assert.strictEqual(wf.jobs.prod.needs, "staging");
        for (const name of ["staging", "prod"]) {
            const job = wf.jobs[name];
            assert.strictEqual(job.uses, "./.github/workflows/up.yml");
            assert.strictEqual(job.with.stack, name);
            assert.ok(stackExists(name));
        }
        const up = workflow("up.yml");
        assert.ok("workflow_call" in up.on);
        assert.strictEqual(up.jobs.up.environment, "${{ inputs.stack }}", "the job runs in the stack's environment, so its protection rules apply");
        const step = pulumiStep(up.jobs.up);
        assert.strictEqual(step.with.command, "up");
        assert.strictEqual(step.with["stack-name"], "${{ inputs.stack }}");
    });

    it("pin the Pulumi CLI in every pulumi/actions step to the version of @pulumi/pulumi the package is tested with", () => {
        const pinned = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).devDependencies["@pulumi/pulumi"];
        assert.match(pinned, /^\d+\.\d+\.\d+$/);
        let steps = 0;
        for (const file of fs.readdirSync(DIR)) {
            for (const [name, job] of Object.entries<any>(workflow(file).jobs)) {
                for (const step of job.steps ?? []) {
                    if (!String(step.uses ?? "").startsWith("pulumi/actions@")) continue;
                    steps++;
                    assert.strictEqual(step.with?.["pulumi-version"], pinned, `${file} ${name}`);
                }
            }
        }
        assert.strictEqual(steps, 4, "preview and up: the CLI installed, then the command");
    });

    it("select the stack before previewing or deploying, creating it when it does not exist, with every documented secret passed in", () => {
        const secrets = STACKS.flatMap(documentedSecrets);
        assert.ok(secrets.length > 0);
        for (const [file, job, stack] of [
            ["preview.yml", "preview", "${{ matrix.stack }}"],
            ["up.yml", "up", "${{ inputs.stack }}"],
        ]) {
            const steps: any[] = workflow(file).jobs[job].steps;
            const jobSpec = { steps };
            const at = (pred: (s: any) => boolean) => steps.findIndex(pred);
            const install = at((s) => String(s.uses ?? "").startsWith("pulumi/actions@") && s.with.command === undefined);
            const select = at((s) => s.uses === "./.github/actions/select-stack");
            const command = steps.indexOf(pulumiStep(jobSpec));
            assert.ok(install >= 0 && install < select && select < command, `${file}: CLI, then select-stack, then the command`);
            assert.strictEqual(steps[select].with.stack, stack);
            for (const key of secrets) {
                const variable = secretVariable(key);
                assert.strictEqual(steps[select].env[variable], `\${{ secrets.${variable} }}`, `${file} passes ${variable}`);
            }
        }
        const action = parse(fs.readFileSync(path.join(ROOT, ".github", "actions", "select-stack", "action.yml"), "utf8"));
        assert.strictEqual(action.runs.using, "composite");
        assert.match(action.runs.steps[0].run, /scripts\/select-stack\.sh "\$STACK"/);
        assert.strictEqual(action.runs.steps[0].env.STACK, "${{ inputs.stack }}");
    });

    it("scripts/select-stack.sh: logs in, selects or creates the stack, sets its documented secrets through stdin", () => {
        const staging = selectStack("staging", { TLS_SIDECAR_REGISTRY_PASSWORD: "t0ken", PULUMI_BACKEND_URL: "s3://state" });
        assert.strictEqual(staging.code, 0, staging.stderr);
        assert.deepStrictEqual(staging.calls, [
            "login s3://state <>",
            "stack select --create staging <>",
            "config set --secret --stack staging tls-sidecar:registryPassword <t0ken>",
        ]);
        const dev = selectStack("dev", {});
        assert.deepStrictEqual([dev.code, dev.calls], [0, ["login <>", "stack select --create dev <>"]]);
    });

    it("scripts/select-stack.sh: stops, naming the repository secret, when a documented secret is not passed", () => {
        const run = selectStack("staging", {});
        assert.strictEqual(run.code, 1);
        assert.match(run.stderr, /needs the secret tls-sidecar:registryPassword: add the repository secret TLS_SIDECAR_REGISTRY_PASSWORD/);
        assert.ok(!run.calls.some((c) => c.startsWith("config set")));
    });

    it("takes the backend and the secrets passphrase from repository settings, never from the files", () => {
        for (const [file, job] of [
            ["preview.yml", "preview"],
            ["up.yml", "up"],
        ]) {
            const step = pulumiStep(workflow(file).jobs[job]);
            assert.strictEqual(step.env.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}");
            assert.strictEqual(step.env.PULUMI_CONFIG_PASSPHRASE, "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
            assert.strictEqual(step.with["cloud-url"], "${{ vars.PULUMI_BACKEND_URL }}");
        }
    });
});
