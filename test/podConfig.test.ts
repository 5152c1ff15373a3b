// The program's keys for the pod: Pulumi.yaml has no map type, so labels, annotations and the node selector are
// lists of "key=value"; errors name the key (and the entry) the stack set.
import * as assert from "assert";
import { declaredConfig, refusal, runProgram } from "./support/program";

const deployment = (run: Awaited<ReturnType<typeof runProgram>>) => run.mocks.one("kubernetes:apps/v1:Deployment").inputs;
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";

describe("the program's pod keys", () => {
    it("are declared with defaults that change nothing", () => {
        const declared = declaredConfig();
        const defaults = Object.fromEntries(["serviceAccountName", "imagePullSecrets", "priorityClassName", "nodeSelector", "podLabels", "podAnnotations", "podDisruptionBudget"].map((k) => [k, declared[k]?.default]));
        assert.deepStrictEqual(defaults, { serviceAccountName: "", imagePullSecrets: [], priorityClassName: "", nodeSelector: [], podLabels: [], podAnnotations: [], podDisruptionBudget: true });
        for (const key of ["nodeSelector", "podLabels", "podAnnotations", "imagePullSecrets"]) {
            assert.deepStrictEqual([declared[key].type, declared[key].items], ["array", { type: "string" }], key);
        }
    });

    it("set the pod's service account, pull secrets, priority, node selector, labels and annotations", async () => {
        const run = await runProgram("dev", {
            serviceAccountName: "shop",
            imagePullSecrets: ["ghcr-pull"],
            priorityClassName: "business-critical",
            nodeSelector: ["kubernetes.io/os=linux", "kubernetes.io/arch=amd64"],
            podLabels: ["team=shop"],
            podAnnotations: ["example.com/config=a=b", "example.com/empty="],
        });
        const template = deployment(run).spec.template;
        assert.strictEqual(template.spec.serviceAccountName, "shop");
        assert.deepStrictEqual(template.spec.imagePullSecrets, [{ name: "ghcr-pull" }]);
        assert.strictEqual(template.spec.priorityClassName, "business-critical");
        assert.deepStrictEqual(template.spec.nodeSelector, { "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" });
        assert.strictEqual(template.metadata.labels.team, "shop");
        assert.deepStrictEqual(template.metadata.annotations, { "example.com/config": "a=b", "example.com/empty": "" }, "the value is everything after the first =");
    });

    it("leave the dev stack's pod as it was: none of these fields", async () => {
        const spec = deployment(await runProgram("dev")).spec.template.spec;
        for (const key of ["serviceAccountName", "imagePullSecrets", "priorityClassName", "nodeSelector"]) {
            assert.strictEqual(spec[key], undefined, key);
        }
    });

    it("make a PodDisruptionBudget for staging's two replicas, none for dev's one, none when podDisruptionBudget is false", async () => {
        const staging = await runProgram("staging", { registryPassword: "ci-token" }, ["registryPassword"]);
        assert.strictEqual(staging.mocks.one(PDB).inputs.spec.maxUnavailable, 1);
        assert.deepStrictEqual((await runProgram("dev")).mocks.ofType(PDB), []);
        const off = await runProgram("staging", { registryPassword: "ci-token", podDisruptionBudget: false }, ["registryPassword"]);
        assert.deepStrictEqual(off.mocks.ofType(PDB), []);
    });

    for (const [overrides, message] of [
        [{ podLabels: ["team"] }, /^invalid configuration: tls-sidecar:podLabels\[0\]: "team" is not allowed; expected a "key=value" pair such as "team=shop"$/],
        [{ podLabels: ["=shop"] }, /tls-sidecar:podLabels\[0\]: "=shop" .*"key=value"/],
        [{ nodeSelector: ["zone=a", "zone=b"] }, /tls-sidecar:nodeSelector\[1\]: "zone=b" .*a key not given before in the list \(zone is\)/],
        [{ podLabels: ["app.kubernetes.io/name=shop"] }, /^invalid configuration: tls-sidecar:podLabels\["app\.kubernetes\.io\/name"\]: "shop" is not allowed; expected no value: app\.kubernetes\.io\/name is a selector label/],
        [{ podAnnotations: ["not a key=x"] }, /tls-sidecar:podAnnotations\["not a key"\]: "not a key" /],
        [{ serviceAccountName: "Shop_SA" }, /tls-sidecar:serviceAccountName: "Shop_SA" .*Kubernetes object name/],
        [{ imagePullSecrets: ["ok", "Not OK"] }, /tls-sidecar:imagePullSecrets\[1\]: "Not OK" /],
        [{ priorityClassName: "High" }, /tls-sidecar:priorityClassName: "High" /],
        [{ podDisruptionBudget: "yes" }, /tls-sidecar:podDisruptionBudget: "yes" .*true or false/],
    ] as [Record<string, unknown>, RegExp][]) {
        it(`refuses ${JSON.stringify(overrides)}, naming the key, before creating anything`, async () => {
            assert.match(await refusal("dev", overrides), message);
        });
    }
});
