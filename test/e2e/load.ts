// Clients that keep requesting while a rollout happens: each request on a new TLS connection (so every request
// goes through kube-proxy's choice of endpoint anew), and one keep-alive client reusing its connection.
// Bounded in count and time; every failure is recorded with what it was.
import * as https from "node:https";
import type * as tls from "node:tls";
import type { Target } from "./clients";

export interface LoadReport {
    newConnection: { requests: number; failures: string[] };
    keepAlive: { requests: number; failures: string[]; connections: number };
    /** Serial numbers of the certificates served, in order (new-connection client). */
    serials: string[];
}

function get(t: Target, agent: https.Agent | false, onSocket?: (s: tls.TLSSocket) => void): Promise<{ status: number; serial: string }> {
    return new Promise((resolve, reject) => {
        const req = https.request({
            host: t.host, port: t.port, servername: t.servername, ca: t.ca, cert: t.cert, key: t.key, path: "/", agent, timeout: 5000,
            headers: { Host: t.servername, ...(agent === false ? { Connection: "close" } : {}) },
        }, (res) => {
            const sock = res.socket as tls.TLSSocket;
            const serial = sock.getPeerCertificate?.().serialNumber?.toUpperCase() ?? "";
            res.resume();
            res.on("end", () => resolve({ status: res.statusCode ?? 0, serial }));
            res.on("error", reject);
        });
        if (onSocket) req.on("socket", (s) => onSocket(s as tls.TLSSocket));
        req.on("timeout", () => req.destroy(new Error("timed out after 5 s")));
        req.on("error", reject);
        req.end();
    });
}

/**
 * Starts both clients; `stop()` waits until the new-connection client made at least `minRequests` requests
 * (at most `maxSeconds` in all), stops them and reports.
 */
export function startLoad(target: Target, minRequests = 2000, maxSeconds = 240) {
    const report: LoadReport = { newConnection: { requests: 0, failures: [] }, keepAlive: { requests: 0, failures: [], connections: 0 }, serials: [] };
    const deadline = Date.now() + maxSeconds * 1000;
    let stopping = false;
    const note = (failures: string[], what: string) => {
        if (failures.length < 50) failures.push(`${new Date().toISOString()} ${what}`);
        else if (failures.length === 50) failures.push("...");
    };
    const newConnections = (async () => {
        for (let i = 0; i < 100_000 && Date.now() < deadline && !(stopping && report.newConnection.requests >= minRequests); i++) {
            try {
                const r = await get(target, false);
                report.serials.push(r.serial);
                if (r.status !== 200) note(report.newConnection.failures, `status ${r.status}`);
            } catch (e) {
                note(report.newConnection.failures, String(e));
            }
            report.newConnection.requests++;
        }
    })();
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const seen = new WeakSet<object>();
    const keepAlive = (async () => {
        for (let i = 0; i < 1_000_000 && Date.now() < deadline && !stopping; i++) {
            try {
                const r = await get(target, agent, (s) => {
                    if (!seen.has(s)) {
                        seen.add(s);
                        report.keepAlive.connections++;
                    }
                });
                if (r.status !== 200) note(report.keepAlive.failures, `status ${r.status}`);
            } catch (e) {
                note(report.keepAlive.failures, String(e));
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
    return `${what}: ${r.newConnection.requests} requests on new connections (${r.newConnection.failures.length} failed), ` +
        `${r.keepAlive.requests} keep-alive requests over ${r.keepAlive.connections} connections (${r.keepAlive.failures.length} failed)`;
}
