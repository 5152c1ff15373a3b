// The program knows its declared keys without reading Pulumi.yaml, and refuses any other key in its namespace.
import * as assert from "assert";
import { DECLARED_KEYS } from "../program/configKeys";
import { editDistance, nearestKey } from "../program/unknownKeys";
import { declaredConfig, refusal, runProgram } from "./support/program";

const refused = (overrides: Record<string, unknown>, secretKeys: string[] = []) => refusal("dev", overrides, secretKeys);

describe("the program's config keys", () => {
    it("DECLARED_KEYS lists exactly Pulumi.yaml's keys, in its order, with its types", () => {
        const declared = Object.entries(declaredConfig()).map(([key, d]) => [key, d.type === "array" ? `${d.items!.type}[]` : d.type]);
        assert.deepStrictEqual(Object.entries(DECLARED_KEYS), declared);
    });

    it("finds the nearest declared key by edit distance, ignoring case", () => {
        assert.strictEqual(editDistance("kitten", "sitting"), 3);
        assert.strictEqual(editDistance("", "abc"), 3);
        assert.strictEqual(nearestKey("nodeport"), "nodePort");
        assert.strictEqual(nearestKey("apPort"), "appPort");
        assert.strictEqual(nearestKey("tunnelTokne"), "tunnelToken");
        assert.strictEqual(nearestKey("replica"), "replicas");
    });

    it("refuses a typo in the project's namespace, naming the key and the nearest declared one", async () => {
        const message = await refused({ nodeport: 30444 });
        assert.match(message, /^invalid configuration: tls-sidecar:nodeport: unknown key .*did you mean tls-sidecar:nodePort\?$/);
        assert.ok(!message.includes("30444"), "the value is not echoed");
    });

    it("never echoes the value of an unknown key, which may be a secret", async () => {
        const message = await refused({ tunnelTokne: "s3cr3t-t0ken-value" }, ["tunnelTokne"]);
        assert.match(message, /tls-sidecar:tunnelTokne: unknown key .*did you mean tls-sidecar:tunnelToken\?/);
        assert.ok(!message.includes("s3cr3t"));
    });

    for (const [qualified, nearest] of [
        ["tls-sidcar:appPort", "tls-sidecar:appPort"],
        ["tls_sidecar:nodeport", "tls-sidecar:nodePort"],
        ["TLS-Sidecar:replicas", "tls-sidecar:replicas"],
    ]) {
        it(`refuses a typo in the namespace (${qualified}), naming the nearest declared key, not the value`, async () => {
            const message = await refused({ [qualified]: "31337" });
            const namespace = qualified.split(":")[0];
            assert.strictEqual(message, `invalid configuration: ${qualified}: unknown namespace "${namespace}" (this project's is "tls-sidecar"; its value is not shown); did you mean ${nearest}?`);
        });
    }

    it("reports a namespace typo with the other problems, in one error", async () => {
        const message = await refused({ "tls-sidcar:appPort": "8080", appPort: 0 });
        assert.match(message, /^invalid configuration \(2 problems\):\n {2}tls-sidcar:appPort: unknown namespace .*\n {2}tls-sidecar:appPort: 0 is not allowed/);
    });

    it("leaves other namespaces alone", async () => {
        await runProgram("dev", { "kubernetes:context": "kind-dev", "tls:something": "1", "docker:host": "unix:///var/run/docker.sock", "other-project:nodeport": "1" });
    });

    it("reports three bad keys in one error: each key, its value and what is allowed", async () => {
        const message = await refused({ nodeport: 30444, appPort: 0, interception: "istio" });
        const lines = message.split("\n");
        assert.strictEqual(lines[0], "invalid configuration (3 problems):");
        assert.match(message, /^ {2}tls-sidecar:nodeport: unknown key .*did you mean tls-sidecar:nodePort\?$/m);
        assert.match(message, /^ {2}tls-sidecar:appPort: 0 is not allowed; expected an integer port from 1 to 65535$/m);
        assert.match(message, /^ {2}tls-sidecar:interception: "istio" is not allowed; expected one of "iptables", "service"$/m);
        assert.strictEqual(lines.length, 4);
    });

    it("reports values of the wrong type with the component's problems, once per key", async () => {
        const message = await refused({ appPort: "eighty", nativeSidecar: "yes", excludePorts: '["ssh"]', proxyPort: 9901, hostnames: ["ok.example", "not valid"] });
        assert.match(message, /^invalid configuration \(5 problems\):$/m);
        assert.match(message, /tls-sidecar:appPort: "eighty" is not allowed; expected an integer$/m);
        assert.match(message, /tls-sidecar:nativeSidecar: "yes" is not allowed; expected true or false$/m);
        assert.match(message, /tls-sidecar:excludePorts: "\[\\"ssh\\"\]" is not allowed; expected a list of integers/m);
        assert.match(message, /tls-sidecar:adminPort: 9901 is not allowed; expected a port other than proxy\.port \(9901\)/m);
        assert.match(message, /tls-sidecar:hostnames\[1\]: "not valid" /m);
        assert.ok(!/tls-sidecar:appPort: a missing value/.test(message), "a key refused while reading is not reported again by the component");
    });
});
