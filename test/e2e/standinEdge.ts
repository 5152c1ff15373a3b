// The tests' STAND-IN for Cloudflare's edge (standin-edge/main.go, built with cloudflared from the vendored source):
// a process on the node that cloudflared in a test pod dials instead of the edge, and the test drives through its
// control API on 127.0.0.1. Not the edge: it registers any token and sends only the configuration and requests the
// test gives it.
import { ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "./docker";

export interface Registration {
    accountTag: string;
    tunnelID: string;
    /** base64 */
    tunnelSecret: string;
    connIndex: number;
    clientVersion: string;
    registeredAt: string;
    unregisteredAt?: string;
}

export interface TunnelResponse {
    status: number;
    headers: Record<string, string>;
    body: string;
    error?: string;
}

export interface StandinEdge {
    /** PEM of the CA that signed its certificate: cloudflared trusts it through TUNNEL_CACERT. */
    caPem: string;
    registrations(): Promise<Registration[]>;
    /** Pushes a remote configuration to every connection; one result per connection ("applied …" or "refused …"). */
    pushConfig(version: number, config: unknown): Promise<string[]>;
    /** One GET through the tunnel, as the edge would send a visitor's request for https://<host><path>. */
    request(host: string, path: string): Promise<TunnelResponse>;
    /** What it logged. */
    log(): string;
    stop(): Promise<void>;
}

async function api<T>(url: string, init?: RequestInit): Promise<T> {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(40_000) });
    const body = await res.json();
    if (!res.ok) throw new Error(`stand-in edge ${url}: ${res.status} ${JSON.stringify(body)}`);
    return body as T;
}

/** Starts it: QUIC on `listen` (an address of the node the pods reach), its API on 127.0.0.1:`controlPort`. */
export async function startStandinEdge(binary: string, listen: string, controlPort: number): Promise<StandinEdge> {
    const dir = await mkdtemp(join(tmpdir(), "tls-e2e-standin-edge-"));
    const caFile = join(dir, "ca.crt");
    const control = `127.0.0.1:${controlPort}`;
    const child: ChildProcess = spawn(binary, ["-listen", listen, "-control", control, "-ca-out", caFile], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    const base = `http://${control}`;
    const stop = async () => {
        if (child.exitCode === null) child.kill("SIGTERM");
        await rm(dir, { recursive: true, force: true });
    };
    try {
        await eventually("the stand-in edge's API", async () => (child.exitCode !== null ? Promise.reject(new Error(output)) : api(`${base}/registrations`)), 50, 200);
    } catch (e) {
        await stop();
        throw e;
    }
    return {
        caPem: await readFile(caFile, "utf8"),
        registrations: () => api<Registration[]>(`${base}/registrations`),
        pushConfig: (version, config) => api<string[]>(`${base}/config?version=${version}`, { method: "POST", body: JSON.stringify(config) }),
        request: (host, path) => api<TunnelResponse>(`${base}/request?host=${encodeURIComponent(host)}&path=${encodeURIComponent(path)}`),
        log: () => output,
        stop,
    };
}
