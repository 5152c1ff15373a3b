import * as pulumi from "@pulumi/pulumi";
import * as assert from "assert";
import { EngineMocks, installMocks } from "./support/mocks";
import { itRejectsEach, minimalArgs, RejectionCase } from "./support/fixtures";
import type * as Components from "../components";
import { brought } from "./support/broughtCertificates";

let c: typeof Components;
let mocks: EngineMocks;

/** Each case: arguments, then what the message must say (the argument, the value, what is allowed). */
const CASES: RejectionCase[] = [
    ["app port 0", () => ({ app: { image: "nginx", port: 0 } }), /^app\.port: 0 is not allowed; expected an integer port from 1 to 65535$/],
    ["app port above 65535", () => ({ app: { image: "nginx", port: 70000 } }), /^app\.port: 70000 .*1 to 65535/],
    ["a fractional port", () => ({ proxy: { port: 8443.5 } }), /^proxy\.port: 8443\.5 .*integer port/],
    ["app port equal to proxy port", () => ({ app: { image: "nginx", port: 8443 } }), /^proxy\.port: 8443 .*a port other than app\.port \(8443\)/],
    ["admin port equal to proxy port", () => ({ proxy: { port: 9000, adminPort: 9000 } }), /^proxy\.adminPort: 9000 .*other than proxy\.port/],
    ["node port below the range", () => ({ service: { nodePort: 8080 } }), /^service\.nodePort: 8080 .*30000 to 32767/],
    ["node port above the range", () => ({ service: { nodePort: 32768 } }), /^service\.nodePort: 32768 .*30000 to 32767/],
    ["service port 0", () => ({ service: { port: 0 } }), /^service\.port: 0 /],
    ["excluded port out of range", () => ({ redirect: { excludePorts: [22, 99999] } }), /^redirect\.excludePorts\[1\]: 99999 /],
    ["excluding the app port", () => ({ redirect: { excludePorts: [80] } }), /^redirect\.excludePorts\[0\]: 80 .*other than app\.port/],
    ["an invalid DNS name", () => ({ tls: { hostnames: ["ok.example.com", "bad_name.example.com"] } }), /^tls\.hostnames\[1\]: "bad_name\.example\.com" .*DNS name/],
    ["a DNS label over 63 characters", () => ({ tls: { hostnames: [`${"a".repeat(64)}.example.com`] } }), /^tls\.hostnames\[0\]: .*DNS name/],
    ["an invalid IP", () => ({ tls: { ipAddresses: ["300.1.1.1"] } }), /^tls\.ipAddresses\[0\]: "300\.1\.1\.1" .*IPv4 or IPv6/],
    ["an invalid public host", () => ({ publicHost: "my host" }), /^publicHost: "my host" .*DNS name or an IP address/],
    ["an unknown interception mode", () => ({ interception: "istio" as Components.InterceptionMode }), /^interception: "istio" .*one of "iptables", "service"$/],
    ["an unknown workload kind", () => ({ workloadKind: "StatefulSet" as Components.WorkloadKind }), /^workloadKind: "StatefulSet" .*"Deployment", "Pod"/],
    ["an unknown key algorithm", () => ({ tls: { keyAlgorithm: "DSA" as Components.KeyAlgorithm } }), /^tls\.keyAlgorithm: "DSA" .*"ECDSA-P256"/],
    ["an unknown client-auth mode", () => ({ proxy: { clientAuth: "optional" as Components.ClientAuth } }), /^proxy\.clientAuth: "optional" .*"none", "request", "require"/],
    ["an unknown redirect mode", () => ({ redirect: { mode: "ebpf" as Components.RedirectMode } }), /^redirect\.mode: "ebpf" .*"auto", "nft", "legacy"/],
    ["a certificate without its key", () => ({ tls: { certificatePem: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----" } }), /^tls\.privateKeyPem: a missing value .*needs its key/],
    ["a key without its certificate", () => ({ tls: { privateKeyPem: "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----" } }), /^tls\.certificatePem: a missing value /],
    ["a certificate that is not PEM", () => ({ tls: { certificatePem: "hello", privateKeyPem: brought().key } }), /^tls\.certificatePem: "hello" .*PEM "-----BEGIN CERTIFICATE-----" blocks/],
    ["both an existing Secret and a certificate", () => ({ tls: { existingSecretName: "x", certificatePem: "c", privateKeyPem: "k" } }), /^tls\.existingSecretName: "x" .*not both/],
    ["an invalid existing Secret name", () => ({ tls: { existingSecretName: "My_Secret" } }), /^tls\.existingSecretName: "My_Secret" .*Kubernetes object name/],
    ["a validity shorter than the renewal window", () => ({ tls: { validityDays: 30, renewBeforeDays: 30 } }), /^tls\.renewBeforeDays: 30 .*fewer days than tls\.validityDays \(30\)/],
    ["a CA that expires before its certificates", () => ({ tls: { validityDays: 400, caValidityDays: 365 } }), /^tls\.caValidityDays: 365 .*more days than tls\.validityDays \(400\)/],
    ["a zero validity", () => ({ tls: { validityDays: 0 } }), /^tls\.validityDays: 0 .*integer from 1/],
    ["a validity only known later", () => ({ tls: { validityDays: pulumi.output(90) as unknown as number } }), /^tls\.validityDays: "\(an Output\)" .*plain number/],
    ["too short a CA for its overlaps", () => ({ tls: { caValidityDays: 100, caOverlapDays: 10 } }), /^tls\.caValidityDays: 100 .*\(110\)/],
    ["an unknown rollout", () => ({ tls: { rollout: "blue-green" as Components.CertificateRollout } }), /^tls\.rollout: "blue-green" .*"new-secret", "in-place"/],
    ["a client certificate for an invalid name", () => ({ tls: { clientCertificates: ["ok", "no spaces"] } }), /^tls\.clientCertificates\[1\]: "no spaces" /],
    ["zero replicas", () => ({ replicas: 0 }), /^replicas: 0 /],
    ["replicas for a bare Pod", () => ({ replicas: 2, workloadKind: "Pod" as Components.WorkloadKind }), /^replicas: 2 .*1 with workloadKind "Pod"/],
    ["an invalid namespace", () => ({ namespace: "Team_A" }), /^namespace: "Team_A" .*DNS-1123 label/],
    ["a Service name starting with a digit", () => ({ serviceName: "9web" }), /^serviceName: "9web" .*DNS-1035 label/],
    ["a bad resource quantity", () => ({ proxy: { resources: { memoryLimit: "lots" } } }), /^proxy\.resources\.memoryLimit: "lots" .*Kubernetes quantity/],
    ["an unknown resource field", () => ({ proxy: { resources: { gpu: "1" } as Components.ContainerResources } }), /^proxy\.resources\.gpu: "1" .*one of cpuRequest/],
    ["no images at all", () => ({ images: {} }), /^images\.registry: a missing value .*images\.prebuilt/],
    ["a registry user without a password", () => ({ images: { registry: { server: "r", username: "u" } } }), /^images\.registry\.password: .*both/],
    ["an empty prebuilt image", () => ({ images: { prebuilt: { proxy: "", init: "x" } } }), /^images\.prebuilt\.proxy: "" .*non-empty/],
    ["a zero shutdown timeout", () => ({ proxy: { shutdownTimeoutSeconds: 0 } }), /^proxy\.shutdownTimeoutSeconds: 0 /],
];

describe("argument validation", () => {
    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    itRejectsEach(CASES, () => ({ c, mocks }));

    it("never echoes a private key in an error", () => {
        const key = "MHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49";
        assert.throws(
            () => new c.TlsSidecarApp("hello", minimalArgs({ tls: { certificatePem: brought().cert, privateKeyPem: key } })),
            (e: unknown) => {
                assert.match((e as Error).message, /^tls\.privateKeyPem: .*not shown/);
                assert.ok(!(e as Error).message.includes(key.slice(0, 10)));
                return true;
            },
        );
    });

    it("reports every bad argument in one ConfigError, and creates nothing", () => {
        const bad = minimalArgs({ app: { image: "", port: 0 }, replicas: 0, service: { nodePort: 80 }, tls: { hostnames: ["bad name"], validityDays: 0 }, images: { prebuilt: { proxy: "", init: "" } } });
        assert.throws(
            () => new c.TlsSidecarApp("hello", bad),
            (e: unknown) => {
                assert.ok(e instanceof c.ConfigError);
                assert.deepStrictEqual(
                    e.problems.map((p) => p.path),
                    ["app.image", "replicas", "app.port", "service.nodePort", "tls.hostnames[0]", "tls.validityDays", "images.prebuilt.proxy", "images.prebuilt.init"],
                );
                assert.strictEqual(e.path, "app.image", "the first problem is also the error's own");
                assert.match(e.message, /^8 problems:\n {2}app\.image: "" is not allowed; expected a non-empty string\n {2}replicas: 0 /);
                return true;
            },
        );
        assert.deepStrictEqual(mocks.resources, []);
    });

    it("accepts the smallest valid arguments", () => {
        assert.doesNotThrow(() => new c.TlsSidecarApp("hello", minimalArgs()));
    });

    it("accepts a wildcard name and IPv6 addresses", () => {
        assert.doesNotThrow(() => new c.TlsSidecarApp("hello", minimalArgs({ publicHost: "::1", tls: { hostnames: ["*.apps.example.com"], ipAddresses: ["fd00::1"] } })));
    });
});
