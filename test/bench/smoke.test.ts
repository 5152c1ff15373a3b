// bench/run.sh, the one-command benchmark, run once as a smoke test: every target answers over its real path
// (wrk -> nginx / HAProxy / our proxy -> app) without errors, and the report is written. Speed is never asserted
// here; the numbers belong to docs/benchmark.md (see bench/README.md).
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../support/program";

const TARGETS = ["plaintext", "nginx", "haproxy", "proxy"];

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
            env: {
                ...process.env,
                BENCH_DURATION: "1s",
                BENCH_WARMUP: "1s",
                BENCH_ROUNDS: "1",
                BENCH_IMAGE: "0",
                BENCH_OUT: path.join(out, "latest.json"),
                BENCH_DOCS: out,
            },
        });
        result = JSON.parse(fs.readFileSync(path.join(out, "latest.json"), "utf8"));
    });

    after(() => fs.rmSync(out, { recursive: true, force: true }));

    it("measures all four targets, keep-alive and new connections, without a failed request", () => {
        assert.deepStrictEqual(result.results.map((r: any) => r.name), TARGETS);
        for (const r of result.results) {
            for (const phase of ["keepalive", "close"]) {
                const run = r[phase];
                assert.ok(run.requests > 0, `${r.name} ${phase}: no requests`);
                for (const e of ["err_connect", "err_read", "err_write", "err_status", "err_timeout"]) {
                    assert.strictEqual(run[e], 0, `${r.name} ${phase}: ${e} = ${run[e]}`);
                }
                assert.ok(run.p99_us >= run.p50_us && run.p50_us > 0, `${r.name} ${phase}: latency percentiles`);
            }
            assert.ok(r.rss_idle_kb > 0, `${r.name}: idle RSS`);
        }
    });

    it("writes the markdown report with the table and the issue's targets, and the chart", () => {
        const md = fs.readFileSync(path.join(out, "benchmark.md"), "utf8");
        for (const row of ["plaintext to app (ceiling)", "nginx TLS", "HAProxy TLS", "our proxy TLS"]) {
            assert.ok(md.split("\n").some((line) => line.startsWith(`| ${row} |`)), `no table row "${row}"`);
        }
        assert.match(md, /\*\*Targets of issue 3\*\*: keep-alive req\/s ≥ 0\.6× nginx: [0-9.]+×/);
        assert.match(md, /Our image\*\*: not measured/);
        assert.match(fs.readFileSync(path.join(out, "benchmark.svg"), "utf8"), /^<svg[\s\S]*<\/svg>\s*$/);
    });

    it("leaves the committed results alone when told to write elsewhere", () => {
        for (const [file, before] of committed) {
            assert.strictEqual(fs.readFileSync(file, "utf8"), before, `${path.relative(ROOT, file)} was rewritten`);
        }
    });
});
