// Clients the e2e uses against the pod: HTTPS (HTTP/1.1 and h2), a WebSocket over TLS, and raw plaintext.
// Each opens its own connection (no agent, no reuse), so each request sees the certificate served right now.
import { createHash, randomBytes, X509Certificate } from "node:crypto";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as https from "node:https";
import * as net from "node:net";
import * as tls from "node:tls";

export interface Target {
    host: string; // an IP address
    port: number;
    /** The name verified against the certificate's SANs (and sent as SNI). */
    servername: string;
    /** Trusted CA PEMs. */
    ca: string | string[];
    /** A client certificate and its key (PEM), for a proxy that asks for one. */
    cert?: string;
    key?: string;
}

export interface HttpResult {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: string;
    alpn: string;
    peerSerial: string; // upper-case hex
}

/** What a request may add: headers of its own, and the TLS versions the client offers. */
export interface RequestOptions {
    headers?: Record<string, string>;
    maxVersion?: tls.SecureVersion;
}

export function httpsGet(t: Target, path: string, timeoutMs = 5000, options: RequestOptions = {}): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
        const req = https.request({
            host: t.host, port: t.port, servername: t.servername, ca: t.ca, cert: t.cert, key: t.key, path, method: "GET",
            agent: false, timeout: timeoutMs, maxVersion: options.maxVersion,
            headers: { ...options.headers, Host: t.servername, Connection: "close" },
        }, (res) => {
            const sock = res.socket as tls.TLSSocket;
            const alpn = String(sock.alpnProtocol || "");
            const peerSerial = sock.getPeerCertificate().serialNumber?.toUpperCase() ?? "";
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (d: string) => (body += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, alpn, peerSerial }));
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`GET ${path}: timed out after ${timeoutMs} ms`)));
        req.on("error", reject);
        req.end();
    });
}

/** Plain HTTP GET (the proxy's admin port when --admin-tls=false). */
export function httpGet(host: string, port: number, path: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.request({ host, port, path, agent: false, timeout: timeoutMs }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (d: string) => (body += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`GET ${path}: timed out after ${timeoutMs} ms`)));
        req.on("error", reject);
        req.end();
    });
}

export function h2Get(t: Target, path: string, timeoutMs = 5000): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
        const session = http2.connect(`https://${t.servername}:${t.port}`, {
            host: t.host, servername: t.servername, ca: t.ca, ALPNProtocols: ["h2"],
            createConnection: () => tls.connect({ host: t.host, port: t.port, servername: t.servername, ca: t.ca, ALPNProtocols: ["h2"] }),
        });
        const timer = setTimeout(() => {
            session.destroy(new Error(`h2 GET ${path}: timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        const fail = (err: Error) => {
            clearTimeout(timer);
            session.destroy();
            reject(err);
        };
        session.on("error", fail);
        session.on("connect", () => {
            const sock = session.socket as tls.TLSSocket;
            const alpn = String(session.alpnProtocol ?? "");
            const peerSerial = sock.getPeerCertificate().serialNumber?.toUpperCase() ?? "";
            const req = session.request({ ":path": path, ":method": "GET" });
            let status = 0;
            let headers: Record<string, string | string[] | undefined> = {};
            let body = "";
            req.setEncoding("utf8");
            req.on("response", (h) => {
                status = Number(h[":status"]);
                headers = h as Record<string, string | string[] | undefined>;
            });
            req.on("data", (d: string) => (body += d));
            req.on("end", () => {
                clearTimeout(timer);
                session.close();
                resolve({ status, headers, body, alpn, peerSerial });
            });
            req.on("error", fail);
            req.end();
        });
    });
}

/** Opens a WebSocket over TLS (HTTP/1.1 upgrade), sends one text message, returns the echoed message. */
export function wsEcho(t: Target, path: string, message: string, timeoutMs = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
        const key = randomBytes(16).toString("base64");
        const expectAccept = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
        const sock = tls.connect({ host: t.host, port: t.port, servername: t.servername, ca: t.ca, ALPNProtocols: ["http/1.1"] });
        const timer = setTimeout(() => sock.destroy(new Error(`WebSocket ${path}: timed out after ${timeoutMs} ms`)), timeoutMs);
        let buf = Buffer.alloc(0);
        let upgraded = false;
        const done = (err: Error | null, msg?: string) => {
            clearTimeout(timer);
            sock.destroy();
            if (err) reject(err);
            else resolve(msg ?? "");
        };
        sock.on("error", (e) => done(e));
        sock.on("secureConnect", () => {
            sock.write(`GET ${path} HTTP/1.1\r\nHost: ${t.servername}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
                `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
        });
        sock.on("data", (d: Buffer) => {
            buf = Buffer.concat([buf, d]);
            if (!upgraded) {
                const end = buf.indexOf("\r\n\r\n");
                if (end < 0) return;
                const head = buf.subarray(0, end).toString("latin1");
                buf = buf.subarray(end + 4);
                if (!/^HTTP\/1\.1 101 /.test(head)) return done(new Error(`WebSocket upgrade refused: ${head.split("\r\n")[0]}`));
                const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1];
                if (accept !== expectAccept) return done(new Error(`bad Sec-WebSocket-Accept ${accept}`));
                upgraded = true;
                sock.write(maskedFrame(0x1, Buffer.from(message, "utf8")));
            }
            // one unfragmented server frame: FIN+opcode, length (7, 16 or 64 bit), no mask
            if (buf.length < 2) return;
            const opcode = buf[0] & 0x0f;
            let len = buf[1] & 0x7f;
            let off = 2;
            if (len === 126) {
                if (buf.length < 4) return;
                len = buf.readUInt16BE(2);
                off = 4;
            } else if (len === 127) {
                if (buf.length < 10) return;
                len = Number(buf.readBigUInt64BE(2));
                off = 10;
            }
            if (buf.length < off + len) return;
            if (opcode !== 0x1) return done(new Error(`unexpected WebSocket opcode ${opcode}`));
            const msg = buf.subarray(off, off + len).toString("utf8");
            sock.write(maskedFrame(0x8, Buffer.from([0x03, 0xe8]))); // close 1000
            done(null, msg);
        });
    });
}

function maskedFrame(opcode: number, payload: Buffer): Buffer {
    if (payload.length > 125) throw new Error("this client sends short frames only");
    const mask = randomBytes(4);
    const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
    return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]);
}

/** Sends a plaintext HTTP/1.1 request and returns whatever comes back before close or timeout. */
export function plaintextRequest(host: string, port: number, timeoutMs = 3000): Promise<{ received: string; closedBy: string }> {
    return new Promise((resolve) => {
        const sock = net.connect({ host, port });
        let received = "";
        const timer = setTimeout(() => {
            sock.destroy();
            resolve({ received, closedBy: "timeout" });
        }, timeoutMs);
        sock.on("connect", () => sock.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
        sock.on("data", (d: Buffer) => (received += d.toString("latin1")));
        sock.on("error", (e) => {
            clearTimeout(timer);
            resolve({ received, closedBy: `error: ${e.message}` });
        });
        sock.on("close", () => {
            clearTimeout(timer);
            resolve({ received, closedBy: "peer" });
        });
    });
}

export function serialOf(certPem: string): string {
    return new X509Certificate(certPem).serialNumber.toUpperCase();
}
