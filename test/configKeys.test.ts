// The program knows its declared keys without reading Pulumi.yaml, and refuses any other key in its namespace.
import * as assert from "assert";
import { argsFromConfig } from "../program/config";
import { CONFIG_KEYS, CONFIG_KEY_OF, configKeyOf, DECLARED_KEYS } from "../program/configKeys";
import { ConfigReader } from "../program/reader";
import { editDistance, nearestKey } from "../program/unknownKeys";
import { declaredConfig, refusal, runProgram, stackConfig } from "./support/program";

const refused = (overrides: Record<string, unknown>, secretKeys: string[] = []) => refusal("dev", overrides, secretKeys);

describe("the program's config keys", () => {
    it("reads a stack whose app keys are unreadable into one problem each, leaving no half-read security context", () => {
        const read = new ConfigReader(stackConfig("dev", { appPort: "eighty", appRunAsUser: "root", appReadOnlyRootFilesystem: "yes" }), DECLARED_KEYS, true);
        const { args } = argsFromConfig(read);
        assert.deepStrictEqual(
            read.problems.all.map((p) => p.path).sort(),
            ["tls-sidecar:appPort", "tls-sidecar:appReadOnlyRootFilesystem", "tls-sidecar:appRunAsUser"],
        );
        assert.strictEqual(args.app.securityContext, undefined);
    });

    it("DECLARED_KEYS lists exactly Pulumi.yaml's keys, in its order, with its types", () => {
        const declared = Object.entries(declaredConfig()).map(([key, d]) => [key, d.type === "array" ? `${d.items!.type}[]` : d.type]);
        assert.deepStrictEqual(Object.entries(DECLARED_KEYS), declared);
    });

    it("the table of config keys has Pulumi.yaml's keys, in its order, with its types and descriptions word for word", () => {
        const declared = Object.entries(declaredConfig()).map(([key, d]) => ({ key, type: d.type === "array" ? `${d.items!.type}[]` : d.type, description: d.description }));
        assert.deepStrictEqual(
            CONFIG_KEYS.map(({ key, type, description }) => ({ key, type, description })),
            declared,
        );
    });

    it("names the config key of each argument path a key sets, of an entry in it, and of the objects above it", () => {
        for (const { key, path } of CONFIG_KEYS.filter((k) => CONFIG_KEYS.filter((other) => other.path === k.path).length === 1)) {
            assert.strictEqual(configKeyOf(path), `tls-sidecar:${key}`, path);
        }
        assert.strictEqual(configKeyOf("tls.hostnames[2]"), "tls-sidecar:hostnames[2]");
        assert.strictEqual(configKeyOf('pod.labels["team"]'), 'tls-sidecar:podLabels["team"]');
        assert.strictEqual(configKeyOf("serviceName"), "tls-sidecar:appName");
        assert.strictEqual(configKeyOf("images.registry"), "tls-sidecar:registryServer");
        assert.strictEqual(configKeyOf("images"), "tls-sidecar:registryServer");
        // Two keys make networkPolicy.from: a problem there keeps the argument's path rather than name one of them.
        assert.strictEqual(configKeyOf("networkPolicy.from[1]"), "networkPolicy.from[1]");
        assert.strictEqual(configKeyOf("app.ports[0]"), "app.ports[0]", "an argument no key sets keeps its path");
        assert.ok(Object.keys(CONFIG_KEY_OF).length >= CONFIG_KEYS.length - 2);
    });

    it("reads every key as its declared type, refusing another one under the key's name", () => {
        const wrong: Record<string, string> = { integer: "eighty", boolean: "yes", "string[]": "[1]", "integer[]": '["ssh"]' };
        const expected: Record<string, string> = { integer: "an integer", boolean: "true or false", "string[]": "a list of strings", "integer[]": "a list of integers" };
        const typed = CONFIG_KEYS.filter((k) => k.type !== "string");
        assert.ok(typed.length > 30);
        for (const { key, type } of typed) {
            // Gates open, so that the keys under them are read.
            const values = stackConfig("dev", { tunnel: true, tunnelToken: "t", networkPolicy: true, [key]: wrong[type] });
            const read = new ConfigReader(values, DECLARED_KEYS, true);
            argsFromConfig(read);
            const problems = read.problems.all.filter((p) => p.path === `tls-sidecar:${key}`);
            assert.strictEqual(problems.length, 1, `${key}: ${JSON.stringify(read.problems.all)}`);
            assert.ok(problems[0].allowed.startsWith(expected[type]), `${key}: ${problems[0].allowed}`);
        }
    });

    it("refuses a bad appName naming the key, not the argument it sets", async () => {
        const message = await refused({ appName: "Bad_Name" });
        assert.match(message, /^invalid configuration: tls-sidecar:appName: "Bad_Name" is not allowed; expected a DNS-1035 label/);
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
