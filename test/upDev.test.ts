// `npm run up:dev` (scripts/up-dev.sh): it names a missing cluster or registry and stops before pulumi, and with both
// there it deploys the dev stack in the local file backend. kubectl and pulumi are shell stubs on PATH (pulumi's
// records its arguments); the registry is an HTTP server of the test on 127.0.0.1, or a port nothing listens on.
import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { ROOT } from "./support/program";
import { section } from "./support/docs";

/** The section of docs/development.md that the script's hints point at. */
const SECTION = "A local cluster and registry (kind or k3d)";
const HINT = `start one: see "${SECTION}" in docs/development.md`;

interface Run {
    code: number;
    stderr: string;
    /** each pulumi call: its PULUMI_BACKEND_URL, then its arguments */
    pulumiCalls: string[];
}

/** A copy of the script and Pulumi.dev.yaml in a temp project (the script writes .pulumi-state/ beside them). */
function project(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "up-dev-"));
    fs.mkdirSync(path.join(dir, "scripts"));
    fs.copyFileSync(path.join(ROOT, "scripts", "up-dev.sh"), path.join(dir, "scripts", "up-dev.sh"));
    fs.copyFileSync(path.join(ROOT, "Pulumi.dev.yaml"), path.join(dir, "Pulumi.dev.yaml"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    // kubectl answers as a reachable cluster when KUBECTL_STUB_EXIT is 0
    fs.writeFileSync(path.join(bin, "kubectl"), '#!/bin/sh\n[ "$1" = config ] && exit 1\nexit "$KUBECTL_STUB_EXIT"\n', { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "pulumi"), '#!/bin/sh\necho "$PULUMI_BACKEND_URL $*" >>"$PULUMI_STUB_LOG"\n', { mode: 0o755 });
    // docker answers `docker info` when DOCKER_STUB_EXIT is 0; node prints NODE_STUB_VERSION for process.versions.node
    fs.writeFileSync(path.join(bin, "docker"), '#!/bin/sh\nexit "$DOCKER_STUB_EXIT"\n', { mode: 0o755 });
    fs.writeFileSync(path.join(bin, "node"), '#!/bin/sh\necho "$NODE_STUB_VERSION"\n', { mode: 0o755 });
    return dir;
}

/**
 * Runs the script; without `registryUrl` it checks the registry its Pulumi.dev.yaml names. By default the Docker
 * daemon answers and Node.js is 22.12.0.
 */
function upDev(dir: string, cluster: boolean, registryUrl?: string, host: { docker?: boolean; node?: string } = {}): Promise<Run> {
    const log = path.join(dir, "pulumi.log");
    const env: NodeJS.ProcessEnv = {
        PATH: `${path.join(dir, "bin")}:${process.env.PATH}`,
        KUBECTL_STUB_EXIT: cluster ? "0" : "1",
        DOCKER_STUB_EXIT: host.docker === false ? "1" : "0",
        NODE_STUB_VERSION: host.node ?? "22.12.0",
        PULUMI_STUB_LOG: log,
    };
    if (registryUrl !== undefined) {
        env.UP_DEV_REGISTRY_URL = registryUrl;
    }
    return new Promise((resolve) => {
        execFile("bash", [path.join(dir, "scripts", "up-dev.sh")], { env, encoding: "utf8" }, (err, _stdout, stderr) => {
            const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
            resolve({ code: err ? Number(err.code) : 0, stderr, pulumiCalls: calls });
        });
    });
}

function listen(server: http.Server): Promise<number> {
    return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

/** A port on 127.0.0.1 that nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
    const server = http.createServer();
    const port = await listen(server);
    await new Promise((resolve) => server.close(resolve));
    return port;
}

describe("npm run up:dev (scripts/up-dev.sh)", () => {
    let registry: http.Server;
    let registryUrl: string;
    const dirs: string[] = [];

    before(async () => {
        // the registry API's version check: GET /v2/ answers 200 on a registry without authentication
        registry = http.createServer((req, res) => {
            res.writeHead(req.url === "/v2/" ? 200 : 404, { "Content-Type": "application/json" }).end("{}");
        });
        registryUrl = `http://127.0.0.1:${await listen(registry)}`;
    });
    after(() => {
        registry.close();
        dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
    });
    function fresh(): string {
        const dir = project();
        dirs.push(dir);
        return dir;
    }

    it("is what package.json's up:dev runs", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        assert.strictEqual(pkg.scripts["up:dev"], "bash scripts/up-dev.sh");
    });

    it("without a cluster: names it, points at docs/development.md, exits 1 before pulumi", async () => {
        const run = await upDev(fresh(), false, registryUrl);
        assert.strictEqual(run.code, 1);
        assert.ok(run.stderr.split("\n").includes(`up:dev: no Kubernetes cluster answers (kubectl context: none); ${HINT}`), run.stderr);
        assert.doesNotMatch(run.stderr, /registry answers/);
        assert.deepStrictEqual(run.pulumiCalls, []);
    });

    it("without a registry: names its URL, points at docs/development.md, exits 1 before pulumi", async () => {
        const url = `http://127.0.0.1:${await closedPort()}`;
        const run = await upDev(fresh(), true, url);
        assert.strictEqual(run.code, 1);
        assert.strictEqual(run.stderr, `up:dev: no registry answers at ${url}/v2/ (Pulumi.dev.yaml pushes the images there); ${HINT}\n`);
        assert.deepStrictEqual(run.pulumiCalls, []);
    });

    it("without a Docker daemon that answers: says so and why, exits 1 before pulumi", async () => {
        const run = await upDev(fresh(), true, registryUrl, { docker: false });
        assert.strictEqual(run.code, 1);
        assert.deepStrictEqual(run.stderr.trim().split("\n"), ["up:dev: the Docker daemon does not answer (docker info failed); start it: the program builds the proxy and init images with it"]);
        assert.deepStrictEqual(run.pulumiCalls, []);
    });

    it("with Node.js older than 22: names the version found and the one needed, exits 1 before pulumi; 22 and later pass", async () => {
        const old = await upDev(fresh(), true, registryUrl, { node: "20.19.2" });
        assert.strictEqual(old.code, 1);
        assert.deepStrictEqual(old.stderr.trim().split("\n"), ["up:dev: Node.js 20.19.2 is too old; the program needs Node.js 22 or newer (package.json engines)"]);
        assert.deepStrictEqual(old.pulumiCalls, []);
        const engines = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).engines.node;
        assert.strictEqual(engines, ">=22", "the script's minimum is package.json's");
        for (const node of ["22.0.0", "24.3.1"]) assert.strictEqual((await upDev(fresh(), true, registryUrl, { node })).code, 0, node);
    });

    it("without either: one line for each", async () => {
        const run = await upDev(fresh(), false, `http://127.0.0.1:${await closedPort()}`);
        assert.strictEqual(run.code, 1);
        assert.strictEqual(run.stderr.trim().split("\n").length, 2, run.stderr);
    });

    it("with both: selects (or creates) the dev stack and runs pulumi up in ./.pulumi-state", async () => {
        const dir = fresh();
        const run = await upDev(dir, true, registryUrl);
        assert.strictEqual(run.code, 0, run.stderr);
        const backend = `file://${fs.realpathSync(dir)}/.pulumi-state`;
        assert.deepStrictEqual(run.pulumiCalls, [`${backend} stack select --create dev`, `${backend} up --stack dev`]);
        assert.ok(fs.statSync(path.join(dir, ".pulumi-state")).isDirectory());
    });

    it("checks the registry that Pulumi.dev.yaml pushes to (localhost:5000, as docs/development.md's recipes set up)", async () => {
        assert.match(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8"), /^ {2}tls-sidecar:registryServer: localhost:5000$/m);
        assert.match(section("docs/development.md", `## ${SECTION}`), /127\.0\.0\.1:5000:5000/);
        const dir = fresh();
        const stack = path.join(dir, "Pulumi.dev.yaml");
        const server = `127.0.0.1:${await closedPort()}`;
        fs.writeFileSync(stack, fs.readFileSync(stack, "utf8").replace("registryServer: localhost:5000", `registryServer: ${server}`));
        const run = await upDev(dir, true);
        assert.strictEqual(run.code, 1);
        assert.match(run.stderr, new RegExp(`no registry answers at http://${server}/v2/ `));
    });
});
