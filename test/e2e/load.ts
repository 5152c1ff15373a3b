// Clients that keep requesting while a rollout happens: each request on a new TLS connection (so every request
// goes through kube-proxy's choice of endpoint anew), and one keep-alive client reusing its connection.
// Bounded in count and time; every failure is recorded with what it was.
import * as https from "node:https";
import type * as tls from "node:tls";
import type { Target } from "./clients";

export interface ClientReport {
    requests: number;
    failed: number;
    /** The first failures, with their time: what went wrong. */
    failures: string[];
}

export interface LoadReport {
    newConnection: ClientReport;
    keepAlive: ClientReport & { connections: number };
    /** Serial numbers of the certificates served, in order (new-connection client). */
    serials: string[];
}

const REQUEST_TIMEOUT_MS = 15_000;

function get(t: Target, agent: https.Agent | false): Promise<{ status: number; serial: string; localPort: number }> {
    return new Promise((resolve, reject) => {
        const req = https.request({
            // generous: a request sent to a pod that is gone never answers, but a busy 2-core machine can stall a
            // healthy one for seconds, and that is not what these clients measure
            host: t.host, port: t.port, servername: t.servername, ca: t.ca, cert: t.cert, key: t.key, path: "/", agent, timeout: REQUEST_TIMEOUT_MS,
            headers: { Host: t.servername, ...(agent === false ? { Connection: "close" } : {}) },
        }, (res) => {
            const sock = res.socket as tls.TLSSocket;
            const serial = sock.getPeerCertificate?.().serialNumber?.toUpperCase() ?? "";
            res.resume();
            const localPort = sock.localPort ?? 0;
            res.on("end", () => resolve({ status: res.statusCode ?? 0, serial, localPort }));
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`no answer for ${REQUEST_TIMEOUT_MS / 1000} s`)));
        req.on("error", reject);
        req.end();
    });
}

/**
 * Starts both clients; `stop()` waits until the new-connection client made at least `minRequests` requests
 * (at most `maxSeconds` in all), stops them and reports.
 */
export function startLoad(target: Target, minRequests = 2000, maxSeconds = 240) {
    const report: LoadReport = { newConnection: { requests: 0, failed: 0, failures: [] }, keepAlive: { requests: 0, failed: 0, failures: [], connections: 0 }, serials: [] };
    const deadline = Date.now() + maxSeconds * 1000;
    let stopping = false;
    const note = (client: ClientReport, what: string) => {
        client.failed++;
        if (client.failures.length < 20) client.failures.push(`${new Date().toISOString()} ${what}`);
    };
    const newConnections = (async () => {
        for (let i = 0; i < 100_000 && Date.now() < deadline && !(stopping && report.newConnection.requests >= minRequests); i++) {
            try {
                const r = await get(target, false);
                report.serials.push(r.serial);
                if (r.status !== 200) note(report.newConnection, `status ${r.status}`);
            } catch (e) {
                note(report.newConnection, String(e));
            }
            report.newConnection.requests++;
        }
    })();
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const ports = new Set<number>(); // one local port per connection
    const keepAlive = (async () => {
        for (let i = 0; i < 1_000_000 && Date.now() < deadline && !stopping; i++) {
            try {
                const r = await get(target, agent);
                ports.add(r.localPort);
                report.keepAlive.connections = ports.size;
                if (r.status !== 200) note(report.keepAlive, `status ${r.status}`);
            } catch (e) {
                note(report.keepAlive, String(e));
            }
            report.keepAlive.requests++;
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

export function summary(what: string, r: LoadReport): string {
    return `${what}: ${r.newConnection.requests} requests on new connections (${r.newConnection.failed} failed), ` +
        `${r.keepAlive.requests} keep-alive requests over ${r.keepAlive.connections} connections (${r.keepAlive.failed} failed)`;
}
