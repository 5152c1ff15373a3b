// bench/lib.sh's bench_wait_healthz, the wait for a proxy under test (bench/icount.sh, ab.sh, pgo.sh): it returns
// once the admin port's /healthz answers, and otherwise fails saying which port, how the process ended and what it
// logged, rather than measuring nothing or hanging.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { ROOT } from "../support/program";

const PORT = 19970; // unused by the benchmarks

/** After `setup`, runs the command `start` in the background as the proxy under test (stderr to $WORK/proxy.log),
 * then bench_wait_healthz for up to `seconds`; prints whether the process still runs afterwards. */
function waitFor(setup: string, start: string, seconds = 30) {
    const script = [
        "set -euo pipefail",
        `source ${path.join(ROOT, "bench", "lib.sh")}`,
        "bench_workdir bench-healthz-test",
        setup,
        `${start} 2>"$WORK/proxy.log" &`,
        "pid=$!; PIDS+=($pid)",
        `bench_wait_healthz ${PORT} "$pid" "$WORK/proxy.log" ${seconds} && echo ready || echo "failed: $?"`,
        "kill -0 $pid 2>/dev/null && echo running || echo gone",
    ].join("\n");
    return spawnSync("bash", ["-c", script], { encoding: "utf8", timeout: 60_000 });
}

describe("bench/lib.sh: bench_wait_healthz", function () {
    this.timeout(60_000);

    it("returns once /healthz answers over HTTPS", () => {
        // openssl s_server -WWW answers every GET with a 200.
        const r = waitFor(`bench_cert "$WORK/tls"; cd "$WORK"`,
            `openssl s_server -quiet -WWW -accept 127.0.0.1:${PORT} -cert tls/tls.crt -key tls/tls.key`);
        assert.strictEqual(r.stdout, "ready\nrunning\n", r.stderr);
    });

    it("fails when the proxy exits first, naming the port and its exit status, with the end of its log", () => {
        const r = waitFor("", "bash -c 'echo proxy: bad flag >&2; exit 3'");
        assert.strictEqual(r.stdout, "failed: 1\ngone\n", r.stderr);
        assert.match(r.stderr, new RegExp(`exited with status 3 before answering https://127\\.0\\.0\\.1:${PORT}/healthz`), r.stderr);
        assert.match(r.stderr, /proxy: bad flag/);
    });

    it("fails when another process answers on the port, naming it, and stops the proxy", () => {
        // A leftover server holds the admin port: our proxy would fail to bind, but the other one answers first.
        const r = waitFor([
            `bench_cert "$WORK/tls"`,
            `openssl s_server -quiet -WWW -accept 127.0.0.1:${PORT} -cert "$WORK/tls/tls.crt" -key "$WORK/tls/tls.key" 2>/dev/null &`,
            "other=$!; PIDS+=($other)",
            `for _ in $(seq 1 50); do curl -skf https://127.0.0.1:${PORT}/ >/dev/null && break; sleep 0.1; done`,
        ].join("\n"), "sleep 60");
        assert.strictEqual(r.stdout, "failed: 1\ngone\n", r.stderr);
        assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${PORT}/healthz answers, but port ${PORT} is held by pid \\d+ \\(openssl\\), not by pid \\d+`), r.stderr);
    });

    it("kills a proxy that never answers, naming the port and the time it waited", () => {
        const r = waitFor("", "bash -c 'echo proxy: stuck >&2; exec sleep 60'", 2);
        assert.strictEqual(r.stdout, "failed: 1\ngone\n", r.stderr);
        assert.match(r.stderr, new RegExp(`did not answer https://127\\.0\\.0\\.1:${PORT}/healthz within 2 s \\(killed\\)`), r.stderr);
        assert.match(r.stderr, /proxy: stuck/);
    });
});
