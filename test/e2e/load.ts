// Clients that keep requesting while a rollout (or a flood) happens: each request on a new TLS connection (so every
// request goes through kube-proxy's choice of endpoint anew), and one keep-alive client reusing its connection.
// Bounded in count and time; every failure is recorded with what it was, every success with its latency.
import { execFile } from "node:child_process";
import * as https from "node:https";
import type * as tls from "node:tls";
import type { Target } from "./clients";

export interface ClientReport {
    requests: number;
    failed: number;
    /**
     * Of the failed, connects that ended in EHOSTUNREACH: the SYN was sent to a pod address nobody holds any more
     * (kube-proxy answers "no endpoints" with ECONNREFUSED instead), before any byte reached a pod.
     */
    unreachable: number;
    /** The first failures, with their time: what went wrong. */
    failures: string[];
    /** How long each successful request took, in ms (connect and handshake included on new connections). */
    latenciesMs: number[];
}

export interface LoadReport {
    newConnection: ClientReport;
    keepAlive: ClientReport & { connections: number };
    /** Serial numbers of the certificates served, in order (new-connection client). */
    serials: string[];
}

export interface LoadOptions {
    /** Pause after each request, per client (0: back to back). */
    pauseMs?: number;
    /**
     * Per request, from its start to the end of the response (a server that trickles bytes does not extend it);
     * generous by default: a request sent to a pod that is gone never answers, but a busy 2-core
     * machine can stall a healthy one for seconds, and that is not what these clients measure.
     */
    timeoutMs?: number;
}

function get(t: Target, agent: https.Agent | false, timeoutMs: number): Promise<{ status: number; serial: string; localPort: number }> {
    return new Promise((resolve, reject) => {
        const req = https.request({
            host: t.host, port: t.port, servername: t.servername, ca: t.ca, cert: t.cert, key: t.key, path: "/", agent,
            headers: { Host: t.servername, ...(agent === false ? { Connection: "close" } : {}) },
        }, (res) => {
            const sock = res.socket as tls.TLSSocket;
            const serial = sock.getPeerCertificate?.().serialNumber?.toUpperCase() ?? "";
            res.resume();
            const localPort = sock.localPort ?? 0;
            res.on("end", () => {
                clearTimeout(deadline);
                resolve({ status: res.statusCode ?? 0, serial, localPort });
            });
            res.on("error", (e) => {
                clearTimeout(deadline);
                reject(e);
            });
        });
        let localPort = 0; // known once connect() bound the socket: names the connection in a failure
        // the kernel binds the port when connect() starts; a refused or unreachable connect fails later than 50 ms
        req.on("socket", (s) => setTimeout(() => { localPort ||= s.localPort ?? 0; }, 50).unref());
        const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
        req.on("error", (e: Error) => {
            clearTimeout(deadline);
            const port = localPort || (req.socket?.localPort ?? 0);
            reject(Object.assign(e, { localPort: port }));
        });
        req.end();
    });
}

/**
 * Starts both clients; `stop()` waits until the new-connection client made at least `minRequests` requests
 * (at most `maxSeconds` in all), stops them and reports.
 */
export function startLoad(target: Target, minRequests = 2000, maxSeconds = 240, opts: LoadOptions = {}) {
    const { pauseMs = 0, timeoutMs = 15_000 } = opts;
    const client = (): ClientReport => ({ requests: 0, failed: 0, unreachable: 0, failures: [], latenciesMs: [] });
    const report: LoadReport = { newConnection: client(), keepAlive: { ...client(), connections: 0 }, serials: [] };
    const deadline = Date.now() + maxSeconds * 1000;
    let stopping = false;
    const note = (client: ClientReport, what: string, localPort = 0) => {
        client.failed++;
        if (what.includes("EHOSTUNREACH")) client.unreachable++;
        if (client.failures.length >= 20) return;
        const i = client.failures.push(`${new Date().toISOString()} ${what}${localPort ? ` (from local port ${localPort})` : ""}`) - 1;
        // What the kernel's connection tracking still maps this client port to: a stale entry shows where it went.
        if (localPort) conntrackOf(localPort).then((ct) => { client.failures[i] += ` conntrack: ${ct}`; });
    };
    /** One request of `c`: its latency when it succeeds, the failure otherwise; then the pause. */
    const request = async (c: ClientReport, agent: https.Agent | false) => {
        const t0 = performance.now();
        try {
            const r = await get(target, agent, timeoutMs);
            if (r.status !== 200) note(c, `status ${r.status}`);
            else c.latenciesMs.push(performance.now() - t0);
            return r;
        } catch (e) {
            note(c, String(e), (e as { localPort?: number }).localPort);
            return undefined;
        } finally {
            c.requests++;
            if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
        }
    };
    const newConnections = (async () => {
        for (let i = 0; i < 100_000 && Date.now() < deadline && !(stopping && report.newConnection.requests >= minRequests); i++) {
            const r = await request(report.newConnection, false);
            if (r) report.serials.push(r.serial);
        }
    })();
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const ports = new Set<number>(); // one local port per connection
    const keepAlive = (async () => {
        for (let i = 0; i < 1_000_000 && Date.now() < deadline && !stopping; i++) {
            const r = await request(report.keepAlive, agent);
            if (r) ports.add(r.localPort);
            report.keepAlive.connections = ports.size;
        }
    })();
    return {
        report,
        async stop(): Promise<LoadReport> {
            stopping = true;
            await Promise.all([newConnections, keepAlive]);
            agent.destroy();
            return report;
        },
    };
}

/** The conntrack entries for TCP from 127.0.0.1:<port> (best effort: "" without the conntrack tool). */
function conntrackOf(port: number): Promise<string> {
    return new Promise((resolve) => execFile("conntrack", ["-L", "-p", "tcp", "--orig-port-src", String(port)],
        { timeout: 5000 }, (_err, stdout) => resolve(stdout.trim().replace(/\s+/g, " ") || "none")));
}

/** p50, p99 and max of the successful requests' latencies. */
export function latencies(c: ClientReport): string {
    const sorted = [...c.latenciesMs].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
    return `p50 ${at(0.5).toFixed(0)} ms, p99 ${at(0.99).toFixed(0)} ms, max ${at(1).toFixed(0)} ms`;
}

export function summary(what: string, r: LoadReport): string {
    const failed = (c: ClientReport) => `${c.failed} failed${c.unreachable ? `, ${c.unreachable} of them EHOSTUNREACH` : ""}; ${latencies(c)}`;
    return `${what}: ${r.newConnection.requests} requests on new connections (${failed(r.newConnection)}), ` +
        `${r.keepAlive.requests} keep-alive requests over ${r.keepAlive.connections} connections (${failed(r.keepAlive)})`;
}
