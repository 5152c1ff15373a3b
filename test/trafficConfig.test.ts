// The stack config keys of the traffic controls (docs/traffic-spec: rate limits, connection limits, timeouts, access
// log, TLS policy, HSTS) reach the proxy's arguments, leave the proxy's defaults when not set, and a bad value is
// refused naming the key and what is allowed.
import * as assert from "assert";
import { argsFromConfig } from "../program/config";
import { configKeyOf, DECLARED_KEYS } from "../program/configKeys";
import { ConfigReader } from "../program/reader";
import { refusal, runProgram, stackConfig } from "./support/program";

/** The traffic controls' arguments under `proxy`, as the program reads them from the dev stack and `overrides`. */
function trafficArgs(overrides: Record<string, unknown>): Record<string, unknown> {
    const read = new ConfigReader(stackConfig("dev", overrides), DECLARED_KEYS, true);
    const proxy = argsFromConfig(read).args.proxy as Record<string, unknown>;
    assert.deepStrictEqual(read.problems.all, []);
    const { rateLimit, maxConnections, maxConcurrentStreams, timeouts, accessLog, tlsPolicy, hsts } = proxy;
    return JSON.parse(JSON.stringify({ rateLimit, maxConnections, maxConcurrentStreams, timeouts, accessLog, tlsPolicy, hsts }));
}

const SET = {
    rateLimitRps: 50,
    rateLimitBurst: 100,
    clientRateLimitRps: 5,
    clientRateLimitBurst: 10,
    maxConnections: "4096",
    maxConcurrentStreams: 250,
    tlsHandshakeTimeout: "5s",
    requestHeaderTimeout: "15s",
    idleTimeout: "1m30s",
    upstreamConnectTimeout: "2s",
    upstreamResponseTimeout: "30s",
    accessLog: true,
    accessLogQuery: true,
    tlsMinVersion: "1.3",
    tlsProfile: "modern",
    tlsGroups: ["X25519MLKEM768", "X25519"],
    hstsMaxAge: "8760h",
    hstsIncludeSubdomains: true,
    hstsPreload: true,
};

describe("the traffic controls' config keys", () => {
    it("each reaches its argument under proxy", () => {
        assert.deepStrictEqual(trafficArgs(SET), {
            rateLimit: { requestsPerSecond: 50, burst: 100, perClient: { requestsPerSecond: 5, burst: 10 } },
            maxConnections: "4096",
            maxConcurrentStreams: 250,
            timeouts: { tlsHandshake: "5s", requestHeader: "15s", idle: "1m30s", upstreamConnect: "2s", upstreamResponse: "30s" },
            accessLog: { enabled: true, includeQuery: true },
            tlsPolicy: { minVersion: "1.3", profile: "modern", groups: ["X25519MLKEM768", "X25519"] },
            hsts: { maxAge: "8760h", includeSubdomains: true, preload: true },
        });
    });

    it("Pulumi.yaml's defaults set none of them, so the proxy keeps its own; maxConnections auto passes as it is", () => {
        assert.deepStrictEqual(trafficArgs({}), {});
        assert.strictEqual(trafficArgs({ maxConnections: "auto" }).maxConnections, "auto");
    });

    it("the program takes them all with the dev stack", async () => {
        const { outputs } = await runProgram("dev", SET);
        assert.strictEqual(typeof outputs.url, "string");
    });

    for (const [overrides, expected] of [
        [{ rateLimitRps: "lots" }, 'tls-sidecar:rateLimitRps: "lots" is not allowed; expected an integer'],
        [{ clientRateLimitBurst: "1.5" }, 'tls-sidecar:clientRateLimitBurst: "1.5" is not allowed; expected an integer'],
        [{ maxConnections: "many" }, 'tls-sidecar:maxConnections: "many" is not allowed; expected "auto" or a whole number, e.g. "4096"'],
        [{ maxConcurrentStreams: "100s" }, 'tls-sidecar:maxConcurrentStreams: "100s" is not allowed; expected an integer'],
        [{ accessLog: "yes" }, 'tls-sidecar:accessLog: "yes" is not allowed; expected true or false'],
        [{ tlsMinVersion: "1.1" }, 'tls-sidecar:tlsMinVersion: "1.1" is not allowed; expected one of "1.2", "1.3"'],
        [{ tlsProfile: "old" }, 'tls-sidecar:tlsProfile: "old" is not allowed; expected one of "intermediate", "modern"'],
        [{ tlsGroups: "X25519" }, 'tls-sidecar:tlsGroups: "X25519" is not allowed; expected a list of strings, e.g. ["a", "b"]'],
        [{ hstsPreload: "1" }, 'tls-sidecar:hstsPreload: "1" is not allowed; expected true or false'],
    ] as const) {
        it(`refuses ${JSON.stringify(overrides)}, naming the key and what is allowed, before creating anything`, async () => {
            assert.strictEqual(await refusal("dev", overrides), `invalid configuration: ${expected}`);
        });
    }

    it("a problem the component finds with one of these arguments names its config key", () => {
        const keyOf: Record<string, string> = {
            "proxy.rateLimit.requestsPerSecond": "rateLimitRps",
            "proxy.rateLimit.burst": "rateLimitBurst",
            "proxy.rateLimit.perClient.requestsPerSecond": "clientRateLimitRps",
            "proxy.rateLimit.perClient.burst": "clientRateLimitBurst",
            "proxy.maxConnections": "maxConnections",
            "proxy.maxConcurrentStreams": "maxConcurrentStreams",
            "proxy.timeouts.tlsHandshake": "tlsHandshakeTimeout",
            "proxy.timeouts.requestHeader": "requestHeaderTimeout",
            "proxy.timeouts.idle": "idleTimeout",
            "proxy.timeouts.upstreamConnect": "upstreamConnectTimeout",
            "proxy.timeouts.upstreamResponse": "upstreamResponseTimeout",
            "proxy.accessLog.enabled": "accessLog",
            "proxy.accessLog.includeQuery": "accessLogQuery",
            "proxy.tlsPolicy.minVersion": "tlsMinVersion",
            "proxy.tlsPolicy.profile": "tlsProfile",
            "proxy.tlsPolicy.groups[1]": "tlsGroups[1]",
            "proxy.hsts.maxAge": "hstsMaxAge",
            "proxy.hsts.includeSubdomains": "hstsIncludeSubdomains",
            "proxy.hsts.preload": "hstsPreload",
        };
        for (const [path, key] of Object.entries(keyOf)) assert.strictEqual(configKeyOf(path), `tls-sidecar:${key}`, path);
    });
});
