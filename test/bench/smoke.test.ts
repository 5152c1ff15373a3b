// bench/run.sh, the one-command benchmark, run once as a smoke test: every target answers over its real path
// (wrk, h2load and bench/loadgen -> nginx / HAProxy / our proxy -> app) without errors in every phase, the method's
// checks hold (one TLS 1.3 suite everywhere, full handshakes that are full and resumptions that resume, server CPU
// time per request, every port held by the process under test), the busy-neighbour mode runs and leaves no
// neighbour behind, the scheduler and histogram columns that explain the tail are there, and the report is
// written. Speed is never asserted here; the numbers belong to docs/benchmark.md (see bench/README.md).
import * as assert from "assert";
import { execFileSync, spawn, spawnSync, ChildProcess } from "child_process";
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

const OPEN_PHASES = ["open50", "open80", "open50_nb", "open80_nb"];
const NEIGHBOUR_PHASES = ["keepalive_nb", "open50_nb", "open80_nb"];

function phasesOf(name: string): string[] {
    return name === "plaintext" ? ["keepalive", "full"] : ["keepalive", "h2", "full", "resume", ...OPEN_PHASES, "keepalive_nb"];
}

// The busy neighbour's processes still alive (bench/lib.sh marks its command line).
function neighbours(): string {
    return spawnSync("pgrep", ["-af", "role=tls-bench-neighbour"], { encoding: "utf8" }).stdout.trim();
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

    it("runs the busy-neighbour mode: the neighbour took a share of the server core in every run, and none survives", () => {
        const nb = result.meta.neighbour_rates;
        assert.ok(result.meta.nginx_max_rps_neighbour > 0, `nginx's maximum under the neighbour ${result.meta.nginx_max_rps_neighbour}`);
        assert.ok(nb.open50 > 0 && Math.abs(nb.open80 / nb.open50 - 1.6) < 0.01, `rates under the neighbour ${JSON.stringify(nb)}`);
        for (const name of TLS_TARGETS) {
            const r = result.results.find((x: any) => x.name === name);
            for (const phase of NEIGHBOUR_PHASES) {
                const share = r[phase].neighbour_share_pct;
                assert.ok(share > 0 && share <= 101, `${name} ${phase}: the neighbour's share of core 0 ${share}%`);
                assert.ok(r[phase].server_cpu_ns > 0, `${name} ${phase}: server CPU`);
            }
            assert.strictEqual(r.open50_nb.offered_rps, nb.open50, `${name}: offered rate under the neighbour`);
            assert.strictEqual(r.open50.neighbour_share_pct, undefined, `${name}: a neighbour figure in a quiet run`);
        }
        assert.strictEqual(neighbours(), "", "a busy neighbour outlived bench/run.sh");
        const md = fs.readFileSync(path.join(out, "benchmark.md"), "utf8");
        const section = md.split("### With a busy neighbour on the server's core")[1];
        assert.ok(section, "no neighbour section");
        const rows = section.split("\n### ")[0].split("\n").filter((l) => l.startsWith("| our proxy TLS"));
        assert.strictEqual(rows.length, 3, `our proxy's neighbour rows: ${rows.join("\n")}`);
        for (const row of rows) assert.match(row, /\| \d+% \| \d+% \/ \d+% \| 0 \|$/, `no neighbour share: ${row}`);
    });

    it("explains the tail: run-queue wait and times scheduled in per request for all, our own histogram for ours", () => {
        for (const name of TLS_TARGETS) {
            const r = result.results.find((x: any) => x.name === name);
            for (const phase of [...OPEN_PHASES, "keepalive", "keepalive_nb"]) {
                const run = r[phase];
                assert.ok(Number.isFinite(run.wait_us_per_req) && run.wait_us_per_req >= 0, `${name} ${phase}: run-queue wait ${run.wait_us_per_req}`);
                assert.ok(run.slices_per_req > 0, `${name} ${phase}: times scheduled in per request ${run.slices_per_req}`);
            }
            for (const phase of OPEN_PHASES) {
                const run = r[phase];
                if (name !== "proxy") {
                    assert.strictEqual(run.hist_p99_us, undefined, `${name} ${phase}: our histogram for another server`);
                    continue;
                }
                // the histogram saw this window's requests (its window is the scrape's, a little wider), and no more
                assert.ok(run.hist_requests >= 0.9 * run.requests && run.hist_requests <= 1.5 * run.requests,
                    `${phase}: ${run.hist_requests} requests in our histogram, ${run.requests} measured`);
                assert.ok(run.hist_p99_us >= run.hist_p50_us && run.hist_p50_us > 0, `${phase}: our p50 ${run.hist_p50_us}, p99 ${run.hist_p99_us}`);
            }
        }
        const md = fs.readFileSync(path.join(out, "benchmark.md"), "utf8");
        const header = "| run-queue wait µs/req | scheduled in /req | ours, server-side p50 / p99 ms |";
        assert.strictEqual(md.split(header).length - 1, 2, "the open-loop tables (quiet, neighbour) lack the columns");
        const ours = md.split("\n").filter((l) => /^\| our proxy TLS at (50|80)% \|/.test(l));
        assert.strictEqual(ours.length, 4, ours.join("\n"));
        for (const row of ours) assert.match(row, /\| \d+\.\d\d \/ \d+\.\d\d \|/, `our histogram p50 / p99 missing: ${row}`);
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
            for (const phase of ["full", "resume", ...OPEN_PHASES]) {
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
            "Latency at fixed offered rates, open loop", "Memory, size, instructions", "Verified before measuring", "With a busy neighbour on the server's core", "Targets of issue 19"]) {
            assert.ok(lines.some((line) => line.startsWith(`### ${heading}`)), `no section "${heading}"`);
        }
        const p99 = (pct: string, where: string) => `open-loop p99 at ${pct} of nginx's max ≤ nginx's, ${where}`;
        const targets = ["keep-alive CPU efficiency ≥ 1.15× nginx", "keep-alive req/s ≥ 1.1× nginx",
            p99("50%", "quiet"), p99("80%", "quiet"), p99("50%", "busy neighbour"), p99("80%", "busy neighbour"),
            "idle RSS ≤ 6 MiB", "full-handshake CPU efficiency ≥ 1.5× nginx", "HTTP/2 CPU efficiency ≥ 1.1× nginx",
            "HTTP/2 req/s ≥ 1.1× nginx", "image ≤ 6 MB"];
        const section = md.split("### Targets of issue 19")[1].split("targets met.")[0];
        assert.strictEqual(section.split("\n").filter((l) => /^\| (?!target \|).*\| (pass|FAIL|–) \|$/.test(l)).length, targets.length, section);
        for (const target of targets) {
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
            assert.match(stderr, new RegExp(`app: port 18080 is held by pid ${holder.pid} \\(python[^)]*\\), not by pid \\d+`), stderr);
            assert.doesNotMatch(stderr, /round 1/, "it measured before failing");
            assert.ok(!fs.existsSync(path.join(out, "latest.json")), "results were written");
        } finally {
            fs.rmSync(out, { recursive: true, force: true });
        }
    });
});

describe("bench/lib.sh: the busy neighbour", function () {
    this.timeout(60 * 1000);

    // What bench/run.sh does around each neighbour run; a run that is stopped (Ctrl-C, a CI timeout's SIGTERM)
    // must not leave a CPU-bound process on the server's core.
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
        it(`is stopped with the script when the script gets ${signal}`, async () => {
            assert.strictEqual(neighbours(), "", "a neighbour was running before the test");
            const script = spawn("bash", ["-c", [
                `source ${path.join(ROOT, "bench", "lib.sh")}`,
                "bench_workdir bench-neighbour-test",
                "bench_neighbour_start 0 50",
                "echo started $NEIGHBOUR_PID",
                "sleep 20 & wait $!",
            ].join("\n")], { stdio: ["ignore", "pipe", "inherit"] });
            const pid = await new Promise<number>((resolve, reject) => {
                script.stdout!.on("data", (d) => { const m = /started (\d+)/.exec(String(d)); if (m) resolve(Number(m[1])); });
                script.on("exit", (code) => reject(new Error(`the script exited (${code})`)));
            });
            assert.match(neighbours(), new RegExp(`^${pid} awk -v role=tls-bench-neighbour`, "m"));
            const exited = new Promise((resolve) => script.on("exit", resolve));
            script.kill(signal);
            await exited;
            assert.strictEqual(neighbours(), "", `the neighbour (pid ${pid}) outlived the script`);
        });
    }
});
