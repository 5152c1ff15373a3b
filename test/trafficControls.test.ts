// The proxy's traffic controls as component arguments (proxy.rateLimit, maxConnections, maxConcurrentStreams,
// timeouts, accessLog, tlsPolicy, hsts): each becomes the proxy flag of the same meaning only when it is set, so the
// pods of a stack that sets none keep today's args; a value the proxy would refuse is refused before anything is
// registered, naming the argument and what is allowed.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { EngineMocks, installMocks, settled } from "./support/mocks";
import { deployed, deployedProxyArgs, itRejectsEach, RejectionCase } from "./support/fixtures";
import type * as Components from "../components";

let c: typeof Components;
let mocks: EngineMocks;

const proxyArgs = (m: EngineMocks): string[] => deployedProxyArgs(m, c.PROXY_CONTAINER);

/** Today's args of the proxy for the smallest arguments: what a stack setting no traffic control keeps. */
const TODAY = ["--listen=:8443", "--upstream=http://127.0.0.1:80", "--tls-dir=/etc/sidecar/tls", "--admin-listen=:9901", "--client-auth=none", "--shutdown-timeout=25s", "--drain-delay=5s"];

const CASES: RejectionCase[] = [
    ["a negative rate", () => ({ proxy: { rateLimit: { requestsPerSecond: -1 } } }), /^proxy\.rateLimit\.requestsPerSecond: -1 is not allowed; expected an integer from 0 to 1000000 \(0 = off; a burst of 0 = the rate\)$/],
    ["a rate above the proxy's million", () => ({ proxy: { rateLimit: { requestsPerSecond: 1_000_001 } } }), /^proxy\.rateLimit\.requestsPerSecond: 1000001 is not allowed; expected an integer from 0 to 1000000/],
    ["a burst of a limit that is off", () => ({ proxy: { rateLimit: { burst: 10 } } }), /^proxy\.rateLimit\.burst: 10 is not allowed; expected a burst only with proxy\.rateLimit\.requestsPerSecond above 0/],
    ["a per-client burst without its rate", () => ({ proxy: { rateLimit: { requestsPerSecond: 5, perClient: { burst: 10 } } } }), /^proxy\.rateLimit\.perClient\.burst: 10 is not allowed; expected a burst only with proxy\.rateLimit\.perClient\.requestsPerSecond above 0/],
    ["HSTS subdomains without a max-age", () => ({ proxy: { hsts: { includeSubdomains: true } } }), /^proxy\.hsts\.maxAge: a missing value is not allowed; expected a duration above 0 with hsts\.includeSubdomains or hsts\.preload/],
    ["an HSTS max-age beyond the proxy's ten years", () => ({ proxy: { hsts: { maxAge: "87601h" } } }), /^proxy\.hsts\.maxAge: "87601h" is not allowed; .*from 0 to 87600h$/],
    ["a fractional per-client burst", () => ({ proxy: { rateLimit: { perClient: { requestsPerSecond: 5, burst: 1.5 } } } }), /^proxy\.rateLimit\.perClient\.burst: 1\.5 is not allowed; expected an integer from 0 to 1000000/],
    ["no connections at all", () => ({ proxy: { maxConnections: "0" } }), /^proxy\.maxConnections: "0" is not allowed; expected "auto" .* or a count from 1 to 1048576/],
    ["more connections than the proxy takes", () => ({ proxy: { maxConnections: "1048577" } }), /^proxy\.maxConnections: "1048577" is not allowed; expected "auto"/],
    ["a connection cap as a word", () => ({ proxy: { maxConnections: "lots" } }), /^proxy\.maxConnections: "lots" is not allowed/],
    ["1001 streams per connection", () => ({ proxy: { maxConcurrentStreams: 1001 } }), /^proxy\.maxConcurrentStreams: 1001 is not allowed; expected an integer from 1 to 1000$/],
    ["no streams per connection", () => ({ proxy: { maxConcurrentStreams: 0 } }), /^proxy\.maxConcurrentStreams: 0 is not allowed; expected an integer from 1 to 1000$/],
    ["a timeout without a unit", () => ({ proxy: { timeouts: { idle: "120" } } }), /^proxy\.timeouts\.idle: "120" is not allowed; expected a duration such as "500ms", "10s" or "2m" \(Go's syntax\), from 0 to 24h$/],
    ["a negative timeout", () => ({ proxy: { timeouts: { upstreamConnect: "-1s" } } }), /^proxy\.timeouts\.upstreamConnect: "-1s" is not allowed; expected a duration/],
    ["a timeout beyond a day", () => ({ proxy: { timeouts: { upstreamResponse: "25h" } } }), /^proxy\.timeouts\.upstreamResponse: "25h" is not allowed; .*from 0 to 24h$/],
    ["an access log switch as a string", () => ({ proxy: { accessLog: { enabled: "yes" as unknown as boolean } } }), /^proxy\.accessLog\.enabled: "yes" is not allowed; expected true or false$/],
    ["TLS 1.1", () => ({ proxy: { tlsPolicy: { minVersion: "1.1" as Components.TlsMinVersion } } }), /^proxy\.tlsPolicy\.minVersion: "1\.1" is not allowed; expected one of "1\.2", "1\.3"$/],
    ["an unknown TLS profile", () => ({ proxy: { tlsPolicy: { profile: "old" as Components.TlsProfile } } }), /^proxy\.tlsPolicy\.profile: "old" is not allowed; expected one of "intermediate", "modern"$/],
    [
        "TLS 1.2 with the modern profile",
        () => ({ proxy: { tlsPolicy: { minVersion: "1.2" as Components.TlsMinVersion, profile: "modern" as Components.TlsProfile } } }),
        /^proxy\.tlsPolicy\.minVersion: "1\.2" is not allowed; expected "1\.3" \(or unset\) with tlsPolicy\.profile "modern"/,
    ],
    ["an unknown key-exchange group", () => ({ proxy: { tlsPolicy: { groups: ["X25519", "X448"] } } }), /^proxy\.tlsPolicy\.groups\[1\]: "X448" is not allowed; expected one of X25519MLKEM768, .*P-256, P-384, MLKEM768, MLKEM1024$/],
    ["post-quantum groups only while TLS 1.2 is served", () => ({ proxy: { tlsPolicy: { groups: ["X25519MLKEM768", "MLKEM1024"] } } }), /^proxy\.tlsPolicy\.groups: \["X25519MLKEM768","MLKEM1024"\] is not allowed; expected at least one of X25519, P-256, P-384 while TLS 1\.2 is served/],
    ["a curve twice under two of its names", () => ({ proxy: { tlsPolicy: { groups: ["P-256", "secp256r1"] } } }), /^proxy\.tlsPolicy\.groups\[1\]: "secp256r1" is not allowed; expected a group not already in the list$/],
    ["a group twice", () => ({ proxy: { tlsPolicy: { groups: ["x25519", "X25519"] } } }), /^proxy\.tlsPolicy\.groups\[1\]: "X25519" is not allowed; expected a group not already in the list$/],
    ["no groups", () => ({ proxy: { tlsPolicy: { groups: [] } } }), /^proxy\.tlsPolicy\.groups: \[\] is not allowed; expected a non-empty list/],
    ["an HSTS max-age without a unit", () => ({ proxy: { hsts: { maxAge: "31536000" } } }), /^proxy\.hsts\.maxAge: "31536000" is not allowed; expected a duration/],
    ["preload with a max-age under a year", () => ({ proxy: { hsts: { maxAge: "24h", includeSubdomains: true, preload: true } } }), /^proxy\.hsts\.maxAge: "24h" is not allowed; expected at least a year \("8760h"\) with hsts\.preload/],
    ["preload without subdomains", () => ({ proxy: { hsts: { maxAge: "8760h", preload: true } } }), /^proxy\.hsts\.includeSubdomains: a missing value is not allowed; expected true with hsts\.preload/],
];

describe("the proxy's traffic controls (issue 22)", () => {
    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    it("sets no traffic flag by default: the proxy's args are today's", async () => {
        await deployed(c, {});
        assert.deepStrictEqual(proxyArgs(mocks), TODAY);
    });

    it("renders each control set as its flag, after today's args", async () => {
        await deployed(c, {
            proxy: {
                rateLimit: { requestsPerSecond: 100, burst: 200, perClient: { requestsPerSecond: 5, burst: 0 } },
                maxConnections: "300",
                maxConcurrentStreams: 250,
                timeouts: { tlsHandshake: "5s", requestHeader: "3s", idle: "90s", upstreamConnect: "1s", upstreamResponse: "30s" },
                accessLog: { enabled: true, includeQuery: false },
                tlsPolicy: { minVersion: c.TlsMinVersion.Tls13, profile: c.TlsProfile.Modern, groups: ["X25519MLKEM768", "X25519"] },
                hsts: { maxAge: "8760h", includeSubdomains: true, preload: true },
            },
        });
        assert.deepStrictEqual(proxyArgs(mocks), [
            ...TODAY,
            "--rate-limit-rps=100",
            "--rate-limit-burst=200",
            "--client-rate-limit-rps=5",
            "--client-rate-limit-burst=0",
            "--max-connections=300",
            "--max-concurrent-streams=250",
            "--tls-handshake-timeout=5s",
            "--read-header-timeout=3s",
            "--idle-timeout=90s",
            "--upstream-connect-timeout=1s",
            "--upstream-response-timeout=30s",
            "--access-log=true",
            "--access-log-query=false",
            "--tls-min-version=1.3",
            "--tls-profile=modern",
            "--tls-groups=X25519MLKEM768,X25519",
            "--hsts-max-age=8760h",
            "--hsts-include-subdomains=true",
            "--hsts-preload=true",
        ]);
    });

    it("renders only the controls set: a per-pod rate limit alone adds one flag", async () => {
        await deployed(c, { proxy: { rateLimit: { requestsPerSecond: 50 } } });
        assert.deepStrictEqual(proxyArgs(mocks), [...TODAY, "--rate-limit-rps=50"]);
    });

    it("takes the proxy's own limits at their ends: auto and 1048576 connections, 1 and 1000 streams, 0 and 24h", async () => {
        for (const proxy of [
            { maxConnections: "auto", maxConcurrentStreams: 1, timeouts: { upstreamResponse: "0" } },
            { maxConnections: "1048576", maxConcurrentStreams: 1000, timeouts: { idle: "24h" } },
        ]) {
            assert.doesNotThrow(() => new c.TlsSidecarApp(`ends-${proxy.maxConcurrentStreams}`, { app: { image: "nginx:1.27", port: 80 }, images: { prebuilt: { proxy: "p@sha256:a", init: "i@sha256:b" } }, proxy }));
        }
    });

    it("withTlsSidecar renders and refuses them as TlsSidecarApp does", async () => {
        const refs = { secretName: "tls", proxyImage: "proxy@sha256:aaa", initImage: "init@sha256:bbb" };
        const spec = c.withTlsSidecar({ containers: [{ name: "app", image: "nginx:1.27" }] }, refs, { appPort: 80, proxy: { accessLog: { enabled: true } } });
        const proxy = (spec.initContainers as { name: string; args: pulumi.Input<string>[] }[]).find((x) => x.name === c.PROXY_CONTAINER)!;
        assert.deepStrictEqual(await settled(pulumi.all(proxy.args)), [...TODAY, "--access-log=true"]);
        assert.throws(() => c.withTlsSidecar({ containers: [{ name: "app", image: "nginx:1.27" }] }, refs, { appPort: 80, proxy: { maxConcurrentStreams: 0 } }), /^ConfigError: proxy\.maxConcurrentStreams: 0 /);
    });

    it("reports every bad control in one ConfigError", () => {
        assert.throws(
            () => new c.TlsSidecarApp("hello", { app: { image: "nginx:1.27", port: 80 }, images: { prebuilt: { proxy: "p@sha256:a", init: "i@sha256:b" } }, proxy: { maxConcurrentStreams: 0, timeouts: { idle: "soon" }, hsts: { preload: true } } }),
            (e: unknown) => {
                assert.ok(e instanceof c.ConfigError);
                assert.deepStrictEqual(
                    e.problems.map((p) => p.path),
                    ["proxy.maxConcurrentStreams", "proxy.timeouts.idle", "proxy.hsts.maxAge", "proxy.hsts.includeSubdomains"],
                );
                return true;
            },
        );
        assert.deepStrictEqual(mocks.resources, []);
    });

    itRejectsEach(CASES, () => ({ c, mocks }));
});
