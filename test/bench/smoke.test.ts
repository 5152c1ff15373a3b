// bench/run.sh, the one-command benchmark, run once as a smoke test: every target answers over its real path
// (wrk, h2load and bench/loadgen -> nginx / HAProxy / our proxy -> app) without errors in every phase, the method's
// checks hold (one TLS 1.3 suite everywhere, full handshakes that are full and resumptions that resume, server CPU
// time per request, every port held by the process under test), and the report is written. Speed is never
// asserted here; the numbers belong to docs/benchmark.md (see bench/README.md).
import * as assert from "assert";
import { execFileSync, spawn, ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../support/program";

const TARGETS = ["plaintext", "nginx", "haproxy", "proxy"];
const TLS_TARGETS = ["nginx", "haproxy", "proxy"];
const SUITE = "TLS_AES_128_GCM_SHA256";
const SMOKE_ENV = {
    BENCH_DURATION: "1s",
    BENCH_WARMUP: "1s",
    BENCH_ROUNDS: "1",
    BENCH_IMAGE: "0",
    BENCH_ICOUNT: "0",
    BENCH_HOLD: "1s",
    BENCH_AFTER_BURST_WAIT: "1",
};

function phasesOf(name: string): string[] {
    return name === "plaintext" ? ["keepalive", "full"] : ["keepalive", "h2", "full", "resume", "open50", "open80"];
}

describe("bench/run.sh (smoke run)", function () {
    this.timeout(10 * 60 * 1000);
    let out: string;
    let result: any;

    const committed = new Map<string, string>();

    before(() => {
        for (const f of ["docs/benchmark.md", "docs/benchmark.svg", "bench/results/latest.json", "bench/results/proxy-metrics.txt"]) {
            committed.set(path.join(ROOT, f), fs.readFileSync(path.join(ROOT, f), "utf8"));
        }
        out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-smoke-"));
        execFileSync("bash", [path.join(ROOT, "bench", "run.sh")], {
            cwd: ROOT,
            stdio: ["ignore", "ignore", "pipe"],
            env: { ...process.env, ...SMOKE_ENV, BENCH_OUT: path.join(out, "latest.json"), BENCH_DOCS: out },
        });
        result = JSON.parse(fs.readFileSync(path.join(out, "latest.json"), "utf8"));
    });

    after(() => fs.rmSync(out, { recursive: true, force: true }));

    it("measures every target in every phase without a failed request, with server CPU time per request", () => {
        assert.deepStrictEqual(result.results.map((r: any) => r.name), TARGETS);
        for (const r of result.results) {
            for (const phase of phasesOf(r.name)) {
                const run = r[phase];
                assert.ok(run, `${r.name}: no ${phase} run`);
                assert.ok(run.requests > 0, `${r.name} ${phase}: no requests`);
                assert.strictEqual(run.errors, 0, `${r.name} ${phase}: ${run.errors} errors`);
                assert.ok(run.p99_us >= run.p50_us && run.p50_us > 0, `${r.name} ${phase}: latency percentiles`);
                assert.ok(run.cpu_us_per_req > 0, `${r.name} ${phase}: server CPU per request ${run.cpu_us_per_req}`);
            }
            assert.ok(r.rss_idle_kb > 0 && r.rss_peak_kb > 0, `${r.name}: RSS`);
        }
        const rates = result.meta.open_rates;
        assert.ok(rates.open50 > 0 && Math.abs(rates.open80 / rates.open50 - 1.6) < 0.01, `open-loop rates ${JSON.stringify(rates)}`);
        for (const name of TLS_TARGETS) {
            const r = result.results.find((x: any) => x.name === name);
            assert.strictEqual(r.open50.offered_rps, rates.open50, `${name}: offered rate`);
            assert.deepStrictEqual(r.h2.suite, [SUITE], `${name}: h2load's suite`);
        }
    });

    it("measures RSS idle, per 1,000 idle TLS connections and after the burst for nginx, HAProxy and our proxy", () => {
        const held = result.meta.hold_conns;
        assert.strictEqual(held, 1000, "connections held in the memory phase");
        for (const name of TLS_TARGETS) {
            const r = result.results.find((x: any) => x.name === name);
            assert.strictEqual(r.memory.held, held, `${name}: connections held`);
            for (const key of ["rss_idle_kb", "rss_per_1000_idle_kb", "rss_after_burst_kb"]) {
                assert.ok(Number.isFinite(r[key]) && r[key] > 0, `${name}: ${key} ${r[key]}`);
            }
        }
        const md = fs.readFileSync(path.join(out, "benchmark.md"), "utf8");
        assert.match(md, /\| target \| RSS idle MiB \| × nginx \| RSS peak MiB \| RSS per 1,000 idle TLS connections MiB \|/);
        const section = md.split("### Memory, size, instructions")[1].split("\n### ")[0];
        const ours = section.split("\n").find((l) => l.startsWith("| our proxy TLS | "));
        assert.ok(ours, "no memory row for our proxy");
        assert.doesNotMatch(ours!, /–/, `a memory figure of ours is missing: ${ours}`);
    });

    it("pins one TLS 1.3 suite for all, measures full handshakes without resumption and resumptions that resume", () => {
        for (const name of TLS_TARGETS) {
            const r = result.results.find((x: any) => x.name === name);
            assert.strictEqual(r.tls.suite, SUITE, `${name}: s_client's suite`);
            assert.strictEqual(r.tls.group, "X25519", `${name}: s_client's group`);
            assert.strictEqual(r.tls.resumption_port_reconnect, "Reused", `${name}: resumption port`);
            if (name !== "proxy") {
                // ours: only once its tickets can be turned off (OURS_NO_RESUMPTION_ARGS); the run fails if they are
                // set and it still resumes, and reports it otherwise.
                assert.strictEqual(r.tls.server_choice, SUITE, `${name}: the server's own choice`);
                assert.strictEqual(r.tls.reconnect, "New", `${name}: tickets and the session cache are off`);
            }
            for (const phase of ["full", "resume", "open50", "open80"]) {
                assert.deepStrictEqual(Object.keys(r[phase].suites), [SUITE], `${name} ${phase}: suites`);
            }
            assert.strictEqual(r.full.handshakes_resumed, 0, `${name}: a full-handshake connection resumed`);
            assert.ok(r.full.handshakes_full >= r.full.requests, `${name}: full handshakes counted`);
            assert.ok(r.resume.handshakes_resumed > 0.9 * (r.resume.handshakes_resumed + r.resume.handshakes_full),
                `${name}: ${r.resume.handshakes_resumed} of ${r.resume.handshakes_resumed + r.resume.handshakes_full} resumed`);
        }
    });

    it("writes the markdown report with the tables, the verification and the issue's targets, and the chart", () => {
        const md = fs.readFileSync(path.join(out, "benchmark.md"), "utf8");
        const lines = md.split("\n");
        for (const row of ["plaintext to app (ceiling)", "nginx TLS", "HAProxy TLS", "our proxy TLS"]) {
            assert.ok(lines.some((line) => line.startsWith(`| ${row} |`)), `no table row "${row}"`);
        }
        for (const heading of ["HTTP/1.1 keep-alive", "New connections: full TLS handshakes and resumptions", "HTTP/2",
            "Latency at fixed offered rates, open loop", "Memory, size, instructions", "Verified before measuring", "Targets of issue 12"]) {
            assert.ok(lines.some((line) => line.startsWith(`### ${heading}`)), `no section "${heading}"`);
        }
        for (const target of ["keep-alive req/s ≥ 1.3× nginx", "keep-alive CPU efficiency ≥ 1.3× nginx",
            "full-handshake CPU efficiency ≥ 1.5× nginx", "p99 at 50% of nginx's max ≤ nginx's", "p99 at 80% of nginx's max ≤ nginx's",
            "idle RSS ≤ 6 MiB", "peak RSS ≤ 16 MiB", "image ≤ 6 MB"]) {
            const line = lines.find((l) => l.startsWith(`| ${target}`));
            assert.ok(line, `no target "${target}"`);
            assert.match(line!, /\| (pass|FAIL|–) \|$/, `target "${target}" without a verdict`);
            if (line!.includes("FAIL")) assert.match(line!, /(short|over) by/, `"${target}" fails without saying by how much`);
        }
        assert.match(md, /\| image ≤ 6 MB \| not measured \| – \|/);
        assert.match(md, /Our image\*\*: not measured/);
        assert.match(fs.readFileSync(path.join(out, "benchmark.svg"), "utf8"), /^<svg[\s\S]*<\/svg>\s*$/);
    });

    it("leaves the committed results alone when told to write elsewhere", () => {
        for (const [file, before] of committed) {
            assert.strictEqual(fs.readFileSync(file, "utf8"), before, `${path.relative(ROOT, file)} was rewritten`);
        }
    });
});

describe("bench/run.sh (a port not held by the process under test)", function () {
    this.timeout(5 * 60 * 1000);
    let holder: ChildProcess;

    // A leftover listener sharing the app's port by SO_REUSEPORT (as the app's own nginx does) would take part of
    // every target's upstream traffic; the run must refuse to measure.
    before(async () => {
        holder = spawn("python3", ["-c", [
            "import socket, time",
            "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)",
            "s.bind(('127.0.0.1', 18080)); s.listen(); print('ready', flush=True); time.sleep(300)",
        ].join("\n")], { stdio: ["ignore", "pipe", "inherit"] });
        await new Promise<void>((resolve, reject) => {
            holder.stdout!.on("data", (d) => String(d).includes("ready") && resolve());
            holder.on("exit", (code) => reject(new Error(`port holder exited (${code})`)));
        });
    });

    after(() => { holder.kill(); });

    it("fails before measuring, naming the port and the process that holds it", () => {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-port-"));
        try {
            execFileSync("bash", [path.join(ROOT, "bench", "run.sh")], {
                cwd: ROOT,
                stdio: ["ignore", "ignore", "pipe"],
                env: { ...process.env, ...SMOKE_ENV, BENCH_OUT: path.join(out, "latest.json"), BENCH_DOCS: out },
            });
            assert.fail("bench/run.sh measured although another process shared the app's port");
        } catch (e: any) {
            const stderr = String(e.stderr ?? "");
            assert.match(stderr, new RegExp(`port 18080 is held by pid ${holder.pid} \\(python[^)]*\\), not by app`), stderr);
            assert.doesNotMatch(stderr, /round 1/, "it measured before failing");
            assert.ok(!fs.existsSync(path.join(out, "latest.json")), "results were written");
        } finally {
            fs.rmSync(out, { recursive: true, force: true });
        }
    });
});
