// PENDING, traffic controls (issue 22, /work/traffic-spec.md): the `proxy.*` arguments another branch adds to the
// component. Until TlsProxy has them, their paths and choices are spelt here, the one place typed loosely; when it
// lands, delete this file: ArgPath then checks these paths against TlsSidecarAppArgs, and the rows name the
// component's enums instead of these.

/** The argument paths of the traffic controls, under `proxy`. */
export type PendingProxyPath =
    | "proxy.rateLimit.requestsPerSecond"
    | "proxy.rateLimit.burst"
    | "proxy.rateLimit.perClient.requestsPerSecond"
    | "proxy.rateLimit.perClient.burst"
    | "proxy.maxConnections"
    | "proxy.maxConcurrentStreams"
    | "proxy.timeouts.tlsHandshake"
    | "proxy.timeouts.requestHeader"
    | "proxy.timeouts.idle"
    | "proxy.timeouts.upstreamConnect"
    | "proxy.timeouts.upstreamResponse"
    | "proxy.accessLog.enabled"
    | "proxy.accessLog.includeQuery"
    | "proxy.tlsPolicy.minVersion"
    | "proxy.tlsPolicy.profile"
    | "proxy.tlsPolicy.groups"
    | "proxy.hsts.maxAge"
    | "proxy.hsts.includeSubdomains"
    | "proxy.hsts.preload";

/** `proxy.tlsPolicy.minVersion`. */
export const TlsMinVersion = { Tls12: "1.2", Tls13: "1.3" } as const;

/** `proxy.tlsPolicy.profile`: Mozilla's "intermediate", or "modern" (TLS 1.3 only). */
export const TlsProfile = { Intermediate: "intermediate", Modern: "modern" } as const;
