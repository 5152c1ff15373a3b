// Hostile clients for the flood e2e, all against one target (127.0.0.1:<nodePort>): idle TLS connections, slow
// request heads, large request heads that stall, and an HTTP/2 connection resetting every stream it opens. Each
// kind runs a fixed number of slots; when the server closes a slot's connection the slot opens a new one (an attacker
// repeats at will), a bounded number of times, until stop(). A connection the server has not accepted yet just waits
// for its handshake, up to a client-side timeout.
import * as http2 from "node:http2";
import * as tls from "node:tls";
import type { Target } from "./clients";
import { sleep } from "./docker";

export interface SlotCounts {
    slots: number;
    /** Connections started (first ones and reconnects). */
    connects: number;
    /** TLS handshakes completed. */
    handshakes: number;
    /** Started, handshake not completed yet: waiting in the server's backlog or in its handshake. */
    pending: number;
    peakPending: number;
    /** Handshake completed and still open. */
    open: number;
    peakOpen: number;
    /** Given up on the client side: no completed handshake within the handshake timeout. */
    timedOut: number;
    /** Closed by the server (or reset) before the handshake completed. */
    failedBeforeHandshake: number;
    /** Closed by the server after the handshake. */
    closedByServer: number;
    /** The first distinct errors. */
    errors: string[];
}

export interface SlotKind {
    name: string;
    alpn: string[];
    /** What the slot does once its handshake completed; returns what to undo on close. */
    onOpen(sock: tls.TLSSocket): (() => void) | void;
}

export interface SlotOptions {
    /** Slots start evenly spread over this time. */
    rampMs: number;
    handshakeTimeoutMs: number;
    /**
     * Pause before a slot opens a new connection after its last one closed; doubled after each connection that failed
     * before its handshake (a proxy down refuses at once), up to 8 times.
     */
    reconnectDelayMs: number;
    maxConnectsPerSlot: number;
}

function noteError(errors: string[], e: Error): void {
    const what = (e as NodeJS.ErrnoException).code ?? e.message;
    if (errors.length < 5 && !errors.includes(what)) errors.push(what);
}

/** `count` slots of one kind against `target`; `stop()` closes every socket and ends the slots. */
export function startSlots(target: Target, ctx: tls.SecureContext, kind: SlotKind, count: number, o: SlotOptions) {
    const c: SlotCounts = { slots: count, connects: 0, handshakes: 0, pending: 0, peakPending: 0, open: 0, peakOpen: 0, timedOut: 0, failedBeforeHandshake: 0, closedByServer: 0, errors: [] };
    const sockets = new Set<tls.TLSSocket>();
    const timers = new Set<NodeJS.Timeout>();
    let stopping = false;
    const later = (ms: number, fn: () => void) => {
        const t = setTimeout(() => {
            timers.delete(t);
            fn();
        }, ms);
        timers.add(t);
        return t;
    };
    const open = (attempt: number, failures: number) => {
        if (stopping || attempt >= o.maxConnectsPerSlot) return;
        const sock = tls.connect({ host: target.host, port: target.port, servername: target.servername, secureContext: ctx, ALPNProtocols: kind.alpn });
        sockets.add(sock);
        c.connects++;
        c.peakPending = Math.max(c.peakPending, ++c.pending);
        let established = false;
        let gaveUp = false;
        let undo: (() => void) | void;
        const handshakeTimer = later(o.handshakeTimeoutMs, () => {
            gaveUp = true;
            c.timedOut++;
            sock.destroy();
        });
        sock.once("secureConnect", () => {
            established = true;
            clearTimeout(handshakeTimer);
            timers.delete(handshakeTimer);
            c.pending--;
            c.handshakes++;
            c.peakOpen = Math.max(c.peakOpen, ++c.open);
            undo = kind.onOpen(sock);
        });
        sock.on("data", () => undefined); // a 408 or 431 may come back: read and drop it
        sock.on("error", (e) => {
            if (!stopping) noteError(c.errors, e);
        });
        sock.once("close", () => {
            sockets.delete(sock);
            clearTimeout(handshakeTimer);
            timers.delete(handshakeTimer);
            if (undo) undo();
            if (established) {
                c.open--;
                if (!stopping) c.closedByServer++;
            } else {
                c.pending--;
                if (!stopping && !gaveUp) c.failedBeforeHandshake++;
            }
            const failed = established ? 0 : failures + 1;
            if (!stopping) later(o.reconnectDelayMs * 2 ** Math.min(failed, 3), () => open(attempt + 1, failed));
        });
    };
    for (let i = 0; i < count; i++) later(Math.floor((i * o.rampMs) / count), () => open(0, 0));
    return {
        counts: c,
        stop(): void {
            stopping = true;
            for (const t of timers) clearTimeout(t);
            timers.clear();
            for (const s of sockets) s.destroy();
        },
    };
}

/** Connected, handshake done, then nothing: an idle keep-alive connection. */
export const idle: SlotKind = { name: "idle TLS", alpn: ["http/1.1"], onOpen: () => undefined };

/** A request head sent one byte every `intervalMs`, never finished. */
export function slowHead(host: string, intervalMs: number): SlotKind {
    const head = Buffer.from(`GET / HTTP/1.1\r\nHost: ${host}\r\nX-Slow: `, "latin1");
    return {
        name: "slow head",
        alpn: ["http/1.1"],
        onOpen(sock) {
            let sent = 0;
            const drip = setInterval(() => sock.write(sent < head.length ? head.subarray(sent, ++sent) : "a"), intervalMs);
            return () => clearInterval(drip);
        },
    };
}

/**
 * A request head of about `bytes` (headers of 15,000 bytes each: well below the parser's header count) sent at once,
 * without the blank line that would end it: the server holds it until its header timeout or size limit.
 */
export function largeHead(host: string, bytes: number): SlotKind {
    const line = (i: number) => `X-Fill-${i}: ${"a".repeat(15_000)}\r\n`;
    const lines = Array.from({ length: Math.ceil(bytes / line(0).length) }, (_, i) => line(i));
    const head = Buffer.from(`GET / HTTP/1.1\r\nHost: ${host}\r\n${lines.join("")}`, "latin1");
    return { name: "large stalled head", alpn: ["http/1.1"], onOpen: (sock) => void sock.write(head) };
}

export interface RapidResetCounts {
    sessions: number;
    /** Streams opened and cancelled at once (RST_STREAM with CANCEL). */
    streams: number;
    goaways: number;
    /** Ticks skipped because the server had not yet taken the last streams' frames (it stopped reading). */
    waits: number;
    errors: string[];
}

/**
 * HTTP/2 rapid reset: on one connection at a time, `batch` streams opened and cancelled at once every `intervalMs`,
 * until `maxStreams` in all; a connection the server closes (e.g. with GOAWAY) is replaced, at most `maxSessions`.
 * A tick is skipped while more than `batch` × 4 streams are not closed yet (their frames unsent: the server stopped
 * reading): Node's HTTP/2 client takes time quadratic in such streams to destroy its session (measured: 59 s of
 * CPU, the event loop blocked, with ~20,000 queued against a proxy stuck at its memory limit).
 */
export function startRapidReset(target: Target, ctx: tls.SecureContext, o: { batch: number; intervalMs: number; maxStreams: number; maxSessions: number }) {
    const c: RapidResetCounts = { sessions: 0, streams: 0, goaways: 0, waits: 0, errors: [] };
    let stopping = false;
    let current: http2.ClientHttp2Session | undefined;
    const connected = (s: http2.ClientHttp2Session) => new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 20_000);
        s.once("connect", () => (clearTimeout(timer), resolve(true)));
        s.once("close", () => (clearTimeout(timer), resolve(false)));
    });
    const done = (async () => {
        while (!stopping && c.streams < o.maxStreams && c.sessions < o.maxSessions) {
            const s = http2.connect(`https://${target.servername}:${target.port}`, {
                createConnection: () => tls.connect({ host: target.host, port: target.port, servername: target.servername, secureContext: ctx, ALPNProtocols: ["h2"] }),
            });
            current = s;
            c.sessions++;
            s.on("goaway", () => c.goaways++);
            s.on("error", (e) => noteError(c.errors, e));
            let unclosed = 0;
            if (await connected(s)) {
                while (!stopping && !s.closed && !s.destroyed && c.streams < o.maxStreams) {
                    try {
                        if (unclosed > o.batch * 4) c.waits++;
                        else for (let i = 0; i < o.batch; i++) {
                            const req = s.request({ ":path": "/", ":method": "GET" });
                            unclosed++;
                            req.on("close", () => unclosed--);
                            req.on("error", () => undefined);
                            req.close(http2.constants.NGHTTP2_CANCEL);
                            c.streams++;
                        }
                    } catch (e) {
                        noteError(c.errors, e as Error); // the session is going away: open the next one
                        break;
                    }
                    await sleep(o.intervalMs);
                }
            }
            s.destroy();
            if (!stopping) await sleep(500);
        }
    })();
    return {
        counts: c,
        async stop(): Promise<void> {
            stopping = true;
            current?.destroy();
            await done;
        },
    };
}
