// The program exports exactly the stack outputs the "Outputs" table of docs/reference.md documents for its
// configuration: nothing else (no helpers), and nothing left undefined (Pulumi would warn about each one on every
// preview).
import * as assert from "assert";
import { TUNNEL_TOKEN as TOKEN } from "./support/fixtures";
import { runProgram } from "./support/program";
import { codeNames, tableRows } from "./support/docs";
import { brought } from "./support/broughtCertificates";

/** What decides which outputs exist. */
interface Shape {
    service: "NodePort" | "LoadBalancer" | "ClusterIP" | "None";
    tunnel?: "app" | "proxy";
    tunnelHostname?: boolean;
    certificate: "generated" | "provided" | "provided with a CA" | "existing Secret";
    pullSecret?: boolean;
    networkPolicy?: boolean;
}

/** The "exported" column of docs/reference.md's Outputs table, phrase by phrase. */
const WHEN: Record<string, (s: Shape) => boolean> = {
    always: () => true,
    "with a NodePort or LoadBalancer Service": (s) => s.service === "NodePort" || s.service === "LoadBalancer",
    "with a Service": (s) => s.service !== "None",
    "with a Service or a tunnel hostname": (s) => s.service !== "None" || s.tunnelHostname === true,
    "with a generated certificate or `tlsCaCertificate`": (s) => s.certificate === "generated" || s.certificate === "provided with a CA",
    "with a generated certificate": (s) => s.certificate === "generated",
    "with a tunnel": (s) => s.tunnel !== undefined,
    "with a tunnel to the proxy": (s) => s.tunnel === "proxy",
    "with a tunnel to the proxy and a generated certificate or `tlsCaCertificate`": (s) =>
        s.tunnel === "proxy" && (s.certificate === "generated" || s.certificate === "provided with a CA"),
    "with `registryPullSecret`": (s) => s.pullSecret === true,
    "with `networkPolicy`": (s) => s.networkPolicy === true,
};

function documented(shape: Shape): string[] {
    const rows = tableRows("docs/reference.md", "## Outputs");
    assert.ok(rows.length > 10, "docs/reference.md has the outputs table");
    return rows
        .filter(([, when]) => {
            assert.ok(WHEN[when], `docs/reference.md: unknown condition "${when}"`);
            return WHEN[when](shape);
        })
        .flatMap(([names]) => codeNames(names))
        .sort();
}

const TUNNEL = { tunnel: true, tunnelToken: TOKEN, nodePort: 0 };
const { cert: CERT, key: KEY, ca: CA } = brought();

const CASES: [string, Record<string, unknown>, Shape][] = [
    ["the dev stack", {}, { service: "NodePort", certificate: "generated" }],
    ["a tunnel to the app, with a hostname", { ...TUNNEL, tunnelHostname: "hello.example.com" }, { service: "ClusterIP", tunnel: "app", tunnelHostname: true, certificate: "generated" }],
    ["a tunnel to the proxy and no Service", { ...TUNNEL, tunnelOrigin: "proxy", serviceType: "None" }, { service: "None", tunnel: "proxy", certificate: "generated" }],
    // cloudflared rejects the tunnel's whole configuration when its CA Pool names a missing file: no CA Pool without ca.crt.
    ["a tunnel to the proxy with an existing TLS Secret", { ...TUNNEL, tunnelOrigin: "proxy", tlsSecretName: "shop-tls" }, { service: "ClusterIP", tunnel: "proxy", certificate: "existing Secret" }],
    ["a tunnel to the proxy with a provided certificate and no CA", { ...TUNNEL, tunnelOrigin: "proxy", tlsCertificate: CERT, tlsPrivateKey: KEY }, { service: "ClusterIP", tunnel: "proxy", certificate: "provided" }],
    ["a tunnel to the proxy with a provided certificate and CA", { ...TUNNEL, tunnelOrigin: "proxy", tlsCertificate: CERT, tlsPrivateKey: KEY, tlsCaCertificate: CA }, { service: "ClusterIP", tunnel: "proxy", certificate: "provided with a CA" }],
    ["a tunnel beside a NodePort Service", { ...TUNNEL, serviceType: "NodePort" }, { service: "NodePort", tunnel: "app", certificate: "generated" }],
    ["a NetworkPolicy", { networkPolicy: true }, { service: "NodePort", certificate: "generated", networkPolicy: true }],
    ["a LoadBalancer Service", { serviceType: "LoadBalancer" }, { service: "LoadBalancer", certificate: "generated" }],
    ["an existing TLS Secret", { tlsSecretName: "shop-tls" }, { service: "NodePort", certificate: "existing Secret" }],
    ["a provided certificate", { tlsCertificate: CERT, tlsPrivateKey: KEY }, { service: "NodePort", certificate: "provided" }],
    ["a registry pull Secret", { registryUsername: "ci", registryPassword: "pw", registryPullSecret: true }, { service: "NodePort", certificate: "generated", pullSecret: true }],
    ["a provided certificate and CA", { tlsCertificate: CERT, tlsPrivateKey: KEY, tlsCaCertificate: CA }, { service: "NodePort", certificate: "provided with a CA" }],
];

describe("the stack outputs", () => {
    for (const [what, overrides, shape] of CASES) {
        for (const preview of [false, true]) {
            it(`${what}${preview ? " (preview)" : ""}: exactly the documented outputs, none undefined`, async () => {
                const { exported, outputs } = await runProgram("dev", overrides, ["tunnelToken", "tlsPrivateKey", "registryPassword"], preview);
                assert.deepStrictEqual(exported, documented(shape));
                if (!preview) {
                    const empty = Object.entries(outputs).filter(([, v]) => v === undefined);
                    assert.deepStrictEqual(empty, [], "no output resolves to undefined");
                }
            });
        }
    }
});
