// The GitHub workflows users run: previews on pull requests, deploys on main, tests before either.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { ROOT } from "./support/program";

const DIR = path.join(ROOT, ".github", "workflows");

function workflow(name: string): any {
    return parse(fs.readFileSync(path.join(DIR, name), "utf8"));
}

function stackExists(stack: string): boolean {
    return fs.existsSync(path.join(ROOT, `Pulumi.${stack}.yaml`));
}

function pulumiStep(job: any): any {
    const steps = job.steps.filter((s: any) => String(s.uses ?? "").startsWith("pulumi/actions@"));
    assert.strictEqual(steps.length, 1, "one pulumi/actions step");
    return steps[0];
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
