#!/usr/bin/env python3
"""Render bench/run.sh results as docs/benchmark.md (tables, the issue's targets) and docs/benchmark.svg (chart).

Usage: bench/report.py results.json benchmark.md benchmark.svg
Standard library only. The hand-written analysis in bench/ANALYSIS.md is appended to the
markdown, so re-running the benchmark refreshes the numbers without losing the notes.
"""
import json
import os
import sys

ORDER = ["plaintext", "nginx", "haproxy", "proxy"]
LABEL = {
    "plaintext": "plaintext to app (ceiling)",
    "nginx": "nginx TLS",
    "haproxy": "HAProxy TLS",
    "proxy": "our proxy TLS",
}
COLOR = {"plaintext": "#9e9e9e", "nginx": "#2e7d32", "haproxy": "#1565c0", "proxy": "#ef6c00"}
TLS_TARGETS = ["nginx", "haproxy", "proxy"]


def ms(us):
    return f"{us / 1000:.2f}"


def mib(kb):
    return f"{kb / 1024:.1f}"


def dash(v, fmt):
    return "–" if v is None else fmt(v)


def busy(p):
    """How busy the server core and the client core were during a run."""
    return f"{p['server_cpu_busy_pct']:.0f}% / {p.get('client_cpu_busy_pct', 0):.0f}%"


def ratio(a, b):
    return a / b if a is not None and b else None


def wait(p):
    """The server's run-queue wait per request: time runnable but not running, µs."""
    return dash(p.get("wait_us_per_req"), lambda v: f"{v:.1f}")


def slices(p):
    """How often the server was scheduled in, per request."""
    return dash(p.get("slices_per_req"), lambda v: f"{v:.3f}")


def share(p):
    return dash(p.get("neighbour_share_pct"), lambda v: f"{v:.0f}%")


def hist(p):
    """Our proxy's own p50 / p99 from its latency histogram (bucket-interpolated), ms."""
    if p.get("hist_p99_us") is None:
        return "–"
    return f"{ms(p['hist_p50_us'])} / {ms(p['hist_p99_us'])}"


WHY_TAIL = (
    "Why the tail, per target: **run-queue wait** is the server's time runnable but not running (second field of "
    "`/proc/PID/task/*/schedstat`, summed over its threads and child processes over the measured window) per request: "
    "time it was ready to work while something else had the core; **scheduled in** is how often its threads got the "
    "core (third field: context switches in) per request. **Ours, server-side p50 / p99** is our proxy's own "
    "`proxy_request_duration_seconds` histogram (scraped from its admin port when the window opens and after it "
    "closes, subtracted), interpolated within its buckets (0.5, 1, 2.5, 5, 10, 25 ms, ...), so only as fine as "
    "they are: it counts from the request's head being read to the response being written, so a p99 far below "
    "the client's was spent before the handler, queued in the socket while the worker did other work or was off the "
    "core.")


def saturated_table(R, add, phase, extra):
    """A saturated (closed-loop) phase of the TLS targets; extra: (header, cell function) columns before "busy"."""
    add("| target | req/s | × nginx | p50 ms | p99 ms | server CPU µs/req | CPU efficiency × nginx | "
        + "".join(f"{h} | " for h, _ in extra) + "busy: server / client core | errors |")
    add("|---|" + "---:|" * (8 + len(extra)))
    for n in TLS_TARGETS:
        k = R.ph(n, phase)
        if k:
            add(f"| {LABEL[n]} | {k['rps']:,.0f} | {x(ratio(k['rps'], R.rps('nginx', phase)))} | {ms(k['p50_us'])} "
                f"| {ms(k['p99_us'])} | {k['cpu_us_per_req']:.1f} | {x(R.eff(n, phase))} | "
                + "".join(f"{f(k)} | " for _, f in extra) + f"{busy(k)} | {int(k['errors'])} |")
    add("")


def open_loop_table(R, add, suffix):
    """The open-loop rows at 50% and 80% (suffix "" quiet, "_nb" with the busy neighbour)."""
    nb = suffix == "_nb"
    add("| target | offered req/s | achieved req/s | p50 ms | p99 ms | p99.9 ms | p99 × nginx | send lag p99 ms "
        "| server CPU µs/req | generator CPU µs/req | run-queue wait µs/req | scheduled in /req "
        "| ours, server-side p50 / p99 ms | " + ("neighbour's share of core 0 | " if nb else "")
        + "busy: server / client core | errors |")
    add("|---|" + "---:|" * (14 + nb))
    for phase, pct in (("open50", "50%"), ("open80", "80%")):
        for n in TLS_TARGETS:
            o = R.ph(n, phase + suffix)
            if o:
                add(f"| {LABEL[n]} at {pct} | {o['offered_rps']:,.0f} | {o['rps']:,.0f} | {ms(o['p50_us'])} "
                    f"| {ms(o['p99_us'])} | {ms(o['p999_us'])} | {x(ratio(o['p99_us'], R.p99('nginx', phase + suffix)))} "
                    f"| {ms(o['send_lag_p99_us'])} | {o['cpu_us_per_req']:.1f} "
                    f"| {dash(o.get('client_cpu_us_per_req'), lambda v: f'{v:.1f}')} | {wait(o)} | {slices(o)} | {hist(o)} "
                    + (f"| {share(o)} " if nb else "") + f"| {busy(o)} | {int(o['errors'])} |")
    add("")


class Report:
    def __init__(self, data):
        self.meta = data["meta"]
        self.rows = {r["name"]: r for r in data["results"]}
        self.names = [n for n in ORDER if n in self.rows]

    def ph(self, name, phase):
        return self.rows.get(name, {}).get(phase)

    def rps(self, name, phase):
        p = self.ph(name, phase)
        return p["rps"] if p else None

    def cpu(self, name, phase):
        p = self.ph(name, phase)
        return p.get("cpu_us_per_req") if p else None

    def eff(self, name, phase):
        """CPU efficiency against nginx: nginx's CPU per request divided by this target's (higher is better)."""
        return ratio(self.cpu("nginx", phase), self.cpu(name, phase))

    def mem(self, name, key):
        """A memory figure of this target against nginx's (lower is better)."""
        return ratio(self.rows.get(name, {}).get(key), self.rows.get("nginx", {}).get(key))

    def p99(self, name, phase):
        p = self.ph(name, phase)
        return p["p99_us"] if p else None


def x(v):
    return dash(v, lambda f: f"{f:.2f}")


def verdict(value, target, higher_better, unit_fmt, what):
    """(cell text, ok) for one target: measured value, pass/fail, and how far off."""
    if value is None:
        return "not measured", None
    ok = value >= target if higher_better else value <= target
    if ok:
        return f"{unit_fmt(value)} ✅", True
    if higher_better:
        short = f"short by {100 * (1 - value / target):.0f}%: {what} ×{target / value:.2f}"
    else:
        short = f"over by {unit_fmt(value - target)} ({100 * (value / target - 1):.0f}% above): {what} −{100 * (1 - target / value):.0f}%"
    return f"{unit_fmt(value)} ❌ {short}", False


def p99_check(R, phase, name):
    """(name, cell, ok): our open-loop p99 in PHASE against nginx's, and whether either fell short of the rate."""
    mine, theirs = R.p99("proxy", phase), R.p99("nginx", phase)
    if not theirs or mine is None:
        return name, "not measured", None
    cell, ok = verdict(mine / 1000, theirs / 1000, False, lambda v: f"{v:.2f} ms", "needs p99")
    for who in ("proxy", "nginx"):
        o = R.ph(who, phase)
        if o and o["rps"] < 0.97 * o["offered_rps"]:
            cell += f" ({'we' if who == 'proxy' else 'nginx'} did not sustain the rate: {o['rps']:,.0f} of {o['offered_rps']:,.0f} req/s)"
    return f"{name} ({theirs / 1000:.2f} ms)", cell, ok


def main(src, md_path, svg_path):
    data = json.load(open(src))
    R = Report(data)
    meta, rows, names = R.meta, R.rows, R.names
    out = []
    add = out.append
    add("# Benchmark: TLS termination, one core each\n")
    add("Generated by `bench/run.sh` (one command from a clean clone; see `bench/README.md`). "
        "Do not edit the numbers by hand: re-run the script.\n")
    add(f"- **Date**: {meta['date']}")
    add(f"- **Machine**: {meta['cpu']}, {meta['cores']} cores, Linux {meta['kernel']}")
    add(f"- **Load average** (1/5/15 min) before the run: {meta['load_before']}; at its end: "
        f"{meta.get('load_after', '?')} (the run itself adds about 2; above that, other jobs shared the cores)")
    add(f"- **Versions**: nginx {meta['nginx']}, HAProxy {meta['haproxy']}, {meta['wrk']}, {meta['h2load']}, "
        f"{meta['openssl']}, {meta['go']}")
    add(f"- **Proxy under test**: {meta['proxy_built']}; extra flags `{meta['ours_args'] or '(none)'}`; "
        f"tickets-off flags (OURS_NO_RESUMPTION_ARGS) `{meta['ours_no_resumption_args'] or '(none)'}`")
    add(f"- **Method**: each server pinned to core 0 with one worker (nginx `worker_processes 1`, HAProxy "
        f"`nbthread 1`, our proxy `GOMAXPROCS=1` when it is Go; tokio's default runtime counts the CPUs `taskset` allows: one); the clients and the upstream app (nginx returning an 18-byte body) "
        f"share core 1. {meta['duration']} per run after a {meta['warmup']} warm-up; {meta['rounds']} interleaved "
        f"rounds (open loop: {meta['open_rounds']}), each cell the median. Same ECDSA P-256 certificate; TLS 1.3 "
        f"with one suite, {meta['suite']}, and {meta['group']} for every target (pinned on servers and clients, "
        f"verified per target and per connection, see below). **Server CPU per request** is the server's own CPU time "
        f"(`/proc/PID/task/*/schedstat`, summed over its threads and child processes) over the measured window divided "
        f"by the requests: other jobs on the machine inflate it far less than req/s (they take the server's core, not "
        f"its CPU time; shared caches still cost some), so compare it, too, as ratios within one run.")
    img = meta.get("image_bytes")
    add(f"- **Our image**: {img / 1e6:.2f} MB (`docker image inspect` size); binary {meta['binary_bytes'] / 1e6:.2f} MB"
        if img else
        f"- **Our image**: not measured (no Docker daemon, PROXY_BIN given, or BENCH_IMAGE=0); binary "
        f"{meta['binary_bytes'] / 1e6:.2f} MB")
    add("")

    # --- HTTP/1.1 keep-alive, saturated ---
    add(f"### HTTP/1.1 keep-alive, saturated (`wrk -t1 -c{meta['conns_keepalive']}`)\n")
    add("| target | req/s | × nginx | p50 ms | p99 ms | server CPU µs/req | CPU efficiency × nginx | busy: server / client core | errors |")
    add("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in names:
        k = R.ph(n, "keepalive")
        add(f"| {LABEL[n]} | {k['rps']:,.0f} | {x(ratio(k['rps'], R.rps('nginx', 'keepalive')) if n != 'plaintext' else None)} "
            f"| {ms(k['p50_us'])} | {ms(k['p99_us'])} | {dash(k.get('cpu_us_per_req'), lambda v: f'{v:.1f}')} "
            f"| {x(R.eff(n, 'keepalive') if n != 'plaintext' else None)} | {busy(k)} | {int(k['errors'])} |")
    add("")
    add("Keep-alive req/s per round: " + "; ".join(
        f"{n} {', '.join(f'{v:,}' for v in R.ph(n, 'keepalive')['rps_rounds'])}" for n in names) + ". "
        "Server CPU µs/request per round: " + "; ".join(
        f"{n} {', '.join(f'{v:.1f}' for v in R.ph(n, 'keepalive')['cpu_us_rounds'])}" for n in names) + ".")
    add("")

    # --- handshakes ---
    add(f"### New connections: full TLS handshakes and resumptions (`bench/loadgen -mode conn -c{meta['conns_close']}`, "
        "`Connection: close`, one handshake per request)\n")
    add("| target | full handshakes/s | server CPU µs/handshake | efficiency × nginx | resumed (must be 0) "
        "| resumptions/s | CPU µs/resumption | efficiency × nginx | resumed | busy: server / client core (full; resumed) | errors |")
    add("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in names:
        f, r = R.ph(n, "full"), R.ph(n, "resume")
        if n == "plaintext":
            add(f"| {LABEL[n]} (new TCP connections, no TLS) | {f['rps']:,.0f} | {f['cpu_us_per_req']:.1f} | – | – | – | – | – | – "
                f"| {busy(f)} | {int(f['errors'])} |")
            continue
        tot = r["handshakes_full"] + r["handshakes_resumed"]
        add(f"| {LABEL[n]} | {f['rps']:,.0f} | {f['cpu_us_per_req']:.1f} | {x(R.eff(n, 'full'))} | {f['handshakes_resumed']} "
            f"| {r['rps']:,.0f} | {r['cpu_us_per_req']:.1f} | {x(R.eff(n, 'resume'))} "
            f"| {100 * r['handshakes_resumed'] / tot if tot else 0:.0f}% | {busy(f)}; {busy(r)} | {int(f['errors'] + r['errors'])} |")
    add("")
    add("Full handshakes: the client keeps no session at all and the servers' main ports have session tickets and the "
        "session cache off (nginx `ssl_session_tickets off; ssl_session_cache off;`, HAProxy `no-tls-tickets`, "
        "`tune.ssl.cachesize 0`). Resumptions: a second port per server with tickets on, and a client session cache. "
        "Both verified, see below. For the plaintext row the figure is new TCP connections.")
    add("")

    # --- h2 ---
    if any(R.ph(n, "h2") for n in names):
        add(f"### HTTP/2 (`h2load -t1 -c{meta['h2_conns']} -m{meta['h2_streams']}`: "
            f"{meta['h2_conns'] * meta['h2_streams']} streams in flight, ALPN h2)\n")
        saturated_table(R, add, "h2", [])

    # --- open loop ---
    rates = meta.get("open_rates", {})
    if rates:
        add(f"### Latency at fixed offered rates, open loop (`bench/loadgen -mode rate -c{meta['open_conns']}`)\n")
        add(f"nginx's median keep-alive maximum above: {meta['nginx_max_rps']:,.0f} req/s; offered 50% = "
            f"{rates['open50']:,} req/s and 80% = {rates['open80']:,} req/s to every TLS target. Each connection sends on "
            "a fixed schedule and every latency counts from the request's intended send time (no coordinated omission). "
            "\"send lag p99\" is how late the generator itself sent the requests whose connection was already free (a busy "
            "client core, timer slack): when it is large, the client, not the server, made the latency. \"achieved\" "
            "below the offered rate means the target did not keep up. " + WHY_TAIL + "\n")
        open_loop_table(R, add, "")

    # --- busy neighbour ---
    if any(R.ph(n, "keepalive_nb") for n in TLS_TARGETS):
        add("### With a busy neighbour on the server's core\n")
        add(f"The same measurements of the TLS targets, each run ({meta['neighbour_rounds']} interleaved round{'s' if meta['neighbour_rounds'] != 1 else ''}, order "
            "rotating, medians) with a CPU-bound process on core 0 beside the server, as an app shares its pod's cores: "
            "an `awk` busy loop pinned with `taskset`, the servers' nice level and session (so the same scheduler "
            "autogroup), started before each run's warm-up and stopped after it. \"neighbour's share\" is its CPU "
            "time over the measured window (its `schedstat`) divided by the window: the rest of core 0 was the server's "
            "at most. The open-loop rates are 50% and 80% of **nginx's median keep-alive maximum under the neighbour** "
            f"({meta['nginx_max_rps_neighbour']:,.0f} req/s: the rate nginx can serve with half a core, so 80% loads "
            "it as 80% loads it on a quiet core).\n")
        saturated_table(R, add, "keepalive_nb", [("run-queue wait µs/req", wait), ("scheduled in /req", slices),
                                                 ("neighbour's share of core 0", share)])
        add("Keep-alive req/s per round under the neighbour: " + "; ".join(
            f"{n} {', '.join(f'{v:,}' for v in R.ph(n, 'keepalive_nb')['rps_rounds'])}" for n in TLS_TARGETS
            if R.ph(n, "keepalive_nb")) + ".\n")
        if meta.get("neighbour_rates"):
            add(f"Open loop under the neighbour: offered 50% = {meta['neighbour_rates']['open50']:,} req/s and 80% = "
                f"{meta['neighbour_rates']['open80']:,} req/s to every TLS target.\n")
            open_loop_table(R, add, "_nb")

    # --- memory, size, instructions ---
    ic = meta.get("icount") or {}
    add("### Memory, size, instructions\n")
    held = meta.get("hold_conns")
    add(f"| target | RSS idle MiB | × nginx | RSS peak MiB | RSS per 1,000 idle TLS connections MiB | KiB per connection "
        f"| × nginx | RSS after the burst MiB | × nginx |")
    add("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in names:
        r = rows[n]
        per = r.get("rss_per_1000_idle_kb")
        after = r.get("rss_after_burst_kb")
        add(f"| {LABEL[n]} | {mib(r['rss_idle_kb'])} | {x(R.mem(n, 'rss_idle_kb') if n != 'plaintext' else None)} "
            f"| {mib(r['rss_peak_kb'])} | {dash(per, mib)} | {dash(per, lambda v: f'{v / 1000:.1f}')} "
            f"| {x(R.mem(n, 'rss_per_1000_idle_kb'))} | {dash(after, mib)} | {x(R.mem(n, 'rss_after_burst_kb'))} |")
    add("")
    add("RSS idle: after one request; peak: the kernel's high-water mark (`VmHWM`) after each run (nginx master + "
        "worker summed), the rounds only. " + (
            f"Per 1,000 idle TLS connections: `bench/loadgen -mode hold -c{held}` opened {held:,} TLS 1.3 connections "
            f"to each server (handshake done, no request; one server after the other, before the rounds), held them "
            f"for {meta['hold']} and read the server's RSS right before opening and at the end of the hold: the "
            f"growth, per 1,000. After the burst: RSS once every server's connections had been closed for at least "
            f"{meta['after_burst_wait_s']} s (ours trims at a check every 5 s). "
            if held else "The memory phase (idle TLS connections, after a burst) did not run (BENCH_HOLD_CONNS=0). ") + (
            f"Our proxy, `bench/icount.sh` (callgrind, the A/B figure): {ic['instructions']:,.0f} user-space "
            f"instructions per keep-alive request, {ic['syscalls']:.2f} syscalls and {ic['context_switches']:.3f} "
            "context switches per request." if ic.get("instructions") else
            "Instructions per request (`bench/icount.sh`): not measured in this run (BENCH_ICOUNT=0, or no valgrind/perf)."))
    add("")

    # --- verification ---
    add("### Verified before measuring\n")
    add("Every port was held by the process under test (`ss -ltnp`: each pid holding the listening socket is the "
        "target's or its child's), checked before every run. TLS per target (`openssl s_client`):\n")
    add("| target | suite (pinned client) | group | server's own choice (client offers AES-256, ChaCha20, AES-128) "
        "| reconnect with the saved session, main port | on the resumption port | suites seen by bench/loadgen |")
    add("|---|---|---|---|---|---|---|")
    for n in TLS_TARGETS:
        t = rows[n].get("tls") or {}
        seen = {}
        for ph in ("full", "resume", "open50", "open80"):
            for s, c in ((R.ph(n, ph) or {}).get("suites") or {}).items():
                seen[s] = seen.get(s, 0) + c
        add(f"| {LABEL[n]} | {t.get('suite', '?')} | {t.get('group', '?')} | {t.get('server_choice', '?')} "
            f"| {t.get('reconnect', '?')} | {t.get('resumption_port_reconnect', '?')} "
            f"| {', '.join(f'{s} ×{c:,}' for s, c in seen.items()) or '–'} |")
    add("")
    add("wrk and h2load read the client pin from an `OPENSSL_CONF` file (h2load also `--tls13-ciphers`); a wrk run "
        "with a ChaCha20-only file failed every handshake against nginx's pin, which shows wrk honours it, and h2load's "
        "`Cipher:` line was checked on every run.")
    p_tls = rows.get("proxy", {}).get("tls") or {}
    if p_tls.get("reconnect") != "New":
        add("")
        add("**Our proxy still issues session tickets** on its main port (the reconnect above resumed): it "
            "ran without `OURS_NO_RESUMPTION_ARGS` (by default `--tls-session-resumption=false`). Its full-handshake "
            "figures are full handshakes (the client keeps no session) but include issuing one ticket per connection, "
            "which nginx and HAProxy do not.")
    add("")

    # --- targets of the issue ---
    if "proxy" in rows and "nginx" in rows:
        times = lambda v: f"{v:.2f}×"
        checks = [
            ("keep-alive CPU efficiency ≥ 1.15× nginx", *verdict(R.eff("proxy", "keepalive"), 1.15, True, times,
                                                                "needs efficiency")),
            ("keep-alive req/s ≥ 1.1× nginx", *verdict(ratio(R.rps("proxy", "keepalive"), R.rps("nginx", "keepalive")),
                                                      1.1, True, times, "needs req/s")),
        ]
        for suffix, where in (("", "quiet"), ("_nb", "busy neighbour")):
            for phase, pct in (("open50", "50%"), ("open80", "80%")):
                checks.append(p99_check(R, phase + suffix, f"open-loop p99 at {pct} of nginx's max ≤ nginx's, {where}"))
        checks.append(("idle RSS ≤ 6 MiB", *verdict(rows["proxy"]["rss_idle_kb"] / 1024, 6, False,
                                                    lambda v: f"{v:.1f} MiB", "needs RSS")))
        full = ("full-handshake CPU efficiency ≥ 1.5× nginx", *verdict(R.eff("proxy", "full"), 1.5, True, times,
                                                                      "needs efficiency"))
        if (rows["proxy"].get("tls") or {}).get("reconnect") != "New":
            full = (full[0], full[1] + " (ours still issues a session ticket per handshake, see above)", full[2])
        checks.append(full)
        checks.append(("HTTP/2 CPU efficiency ≥ 1.1× nginx", *verdict(R.eff("proxy", "h2"), 1.1, True, times,
                                                                     "needs efficiency")))
        checks.append(("HTTP/2 req/s ≥ 1.1× nginx", *verdict(ratio(R.rps("proxy", "h2"), R.rps("nginx", "h2")), 1.1, True,
                                                            times, "needs req/s")))
        checks.append(("image ≤ 6 MB", *verdict(img / 1e6 if img else None, 6, False, lambda v: f"{v:.2f} MB", "needs size")))
        add("### Targets of issue 19\n")
        add("| target | measured | pass |")
        add("|---|---|---|")
        for name, cell, ok in checks:
            add(f"| {name} | {cell} | {'pass' if ok else 'FAIL' if ok is False else '–'} |")
        add("")
        met = sum(1 for c in checks if c[2])
        add(f"**{met} of {len(checks)} targets met.** Figures from a machine whose load average was "
            f"{meta['load_before']} before the run: CPU per request and instruction counts are far less disturbed by other jobs "
            "than req/s and latency are; compare every figure as a ratio within one run.")
        add("")
    add("![keep-alive req/s, server CPU per request and per full handshake, p99 at 80% of nginx's maximum](benchmark.svg)\n")
    analysis = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ANALYSIS.md")
    if os.path.exists(analysis):
        add(open(analysis).read().rstrip() + "\n")
    open(md_path, "w").write("\n".join(out))
    open(svg_path, "w").write(svg(R))


def svg(R):
    panels = [
        ("Keep-alive requests/s", "keepalive", lambda n: R.rps(n, "keepalive"), R.names),
        ("Server CPU µs per keep-alive request", "keepalive", lambda n: R.cpu(n, "keepalive"), R.names),
        ("Server CPU µs per full handshake", "full", lambda n: R.cpu(n, "full"), TLS_TARGETS),
        ("Server CPU µs per HTTP/2 request", "h2", lambda n: R.cpu(n, "h2"), TLS_TARGETS),
        ("p99 ms at 80% of nginx's max (open loop)", "open80",
         lambda n: (R.p99(n, "open80") or 0) / 1000, TLS_TARGETS),
        ("The same with a busy neighbour on core 0", "open80_nb",
         lambda n: (R.p99(n, "open80_nb") or 0) / 1000, TLS_TARGETS),
    ]
    # A mode the run skipped (BENCH_NEIGHBOUR=0, no h2load) has no panel.
    panels = [p for p in panels if any(R.ph(n, p[1]) for n in p[3] if n in R.rows)]
    pw, ph, top, left, bar_h, gap, cols = 300, 170, 50, 10, 26, 8, 3
    width = left + min(cols, len(panels)) * (pw + 20)
    height = top + -(-len(panels) // cols) * ph + 30
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
         f'font-family="sans-serif" font-size="12">',
         f'<rect width="{width}" height="{height}" fill="#fff"/>',
         f'<text x="{left}" y="20" font-size="15" font-weight="bold">TLS termination on one core '
         f'({R.meta["date"]}, load {R.meta["load_before"]})</text>',
         f'<text x="{left}" y="38" fill="#555">{R.meta["cpu"]}; TLS 1.3 {R.meta["suite"]}; server on core 0, '
         f'clients and app on core 1</text>']
    for i, (title, _, fn, names) in enumerate(panels):
        x0, y0 = left + i % cols * (pw + 20), top + i // cols * ph
        names = [n for n in names if n in R.rows]
        vals = [fn(n) or 0 for n in names]
        vmax = max(vals or [1]) or 1
        s.append(f'<text x="{x0}" y="{y0 + 4}" font-weight="bold">{title}</text>')
        for j, (n, v) in enumerate(zip(names, vals)):
            y = y0 + 16 + j * (bar_h + gap)
            w = max(1, (pw - 120) * v / vmax)
            s.append(f'<rect x="{x0 + 90}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{COLOR[n]}"/>')
            s.append(f'<text x="{x0}" y="{y + bar_h * 0.68}">{n}</text>')
            label = f"{v:,.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"
            s.append(f'<text x="{x0 + 94 + w:.1f}" y="{y + bar_h * 0.68}">{label}</text>')
    s.append(f'<text x="{left}" y="{height - 12}" fill="#555">Generated by bench/run.sh; '
             f'see docs/benchmark.md for the method, the verification and every figure.</text>')
    s.append("</svg>\n")
    return "\n".join(s)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
