// The pod around the containers: service account, image pull secrets, labels and annotations (the selector labels
// stay ours), node selector, tolerations, affinity, topology spread and priority; refused where the API server would.
import * as assert from "assert";
import { EngineMocks, installMocks } from "./support/mocks";
import { deployed, itRejectsEach, RejectionCase } from "./support/fixtures";
import type * as Components from "../components";

let c: typeof Components;
let mocks: EngineMocks;

type Args = Partial<Components.TlsSidecarAppArgs>;
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

const deploy = (args: Partial<Components.TlsSidecarAppArgs>) => deployed(c, args);

const pod = (p: Components.Pod): Args => ({ pod: p });
const SELECTOR = { "app.kubernetes.io/name": "hello", "app.kubernetes.io/instance": "hello" };

const CASES: RejectionCase[] = [
    [
        "a pod label that is a selector label",
        () => pod({ labels: { "app.kubernetes.io/name": "shop" } }),
        /^pod\.labels\["app\.kubernetes\.io\/name"\]: "shop" is not allowed; expected no value: app\.kubernetes\.io\/name is a selector label the component sets .*; use a label of your own$/,
    ],
    ["a workload label that is a selector label", () => ({ workload: { labels: { "app.kubernetes.io/instance": "x" } } }), /^workload\.labels\["app\.kubernetes\.io\/instance"\]: "x" .*selector label/],
    ["a label key with a space", () => pod({ labels: { "my team": "shop" } }), /^pod\.labels\["my team"\]: "my team" .*a key such as "team" or "example\.com\/team"/],
    ["a label value over 63 characters", () => pod({ labels: { team: "x".repeat(64) } }), /^pod\.labels\["team"\]: "x{64}" .*a label value: at most 63/],
    ["an annotation key with a bad prefix", () => pod({ annotations: { "Example.com/owner": "me" } }), /^pod\.annotations\["Example\.com\/owner"\]: "Example\.com\/owner" .*DNS-subdomain prefix/],
    ["a node selector value with a space", () => pod({ nodeSelector: { "kubernetes.io/os": "linux os" } }), /^pod\.nodeSelector\["kubernetes\.io\/os"\]: "linux os" .*label value/],
    ["an invalid service account name", () => pod({ serviceAccountName: "Shop_SA" }), /^pod\.serviceAccountName: "Shop_SA" .*Kubernetes object name/],
    ["an invalid image pull secret", () => pod({ imagePullSecrets: ["ok", "not ok"] }), /^pod\.imagePullSecrets\[1\]: "not ok" .*Kubernetes object name/],
    ["an invalid priority class", () => pod({ priorityClassName: "High" }), /^pod\.priorityClassName: "High" /],
    ["a toleration with Exists and a value", () => pod({ tolerations: [{ key: "gpu", operator: "Exists" as Components.TolerationOperator, value: "true" }] }), /^pod\.tolerations\[0\]\.value: "true" .*no value with operator "Exists"/],
    ["a toleration without a key and Equal", () => pod({ tolerations: [{ effect: "NoSchedule" as Components.TaintEffect }] }), /^pod\.tolerations\[0\]\.operator: "Equal \(the default\)" .*"Exists" without a key/],
    ["tolerationSeconds without NoExecute", () => pod({ tolerations: [{ key: "k", value: "v", effect: "NoSchedule" as Components.TaintEffect, tolerationSeconds: 30 }] }), /^pod\.tolerations\[0\]\.tolerationSeconds: 30 .*unless effect is "NoExecute"/],
    ["an unknown taint effect", () => pod({ tolerations: [{ key: "k", effect: "Evict" as Components.TaintEffect }] }), /^pod\.tolerations\[0\]\.effect: "Evict" .*"NoSchedule", "PreferNoSchedule", "NoExecute"$/],
    [
        "a node affinity with no terms",
        () => pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } }),
        /^pod\.affinity\.nodeAffinity\.requiredDuringSchedulingIgnoredDuringExecution\.nodeSelectorTerms: \[\] .*at least one term/,
    ],
    [
        "In without values",
        () => pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In" as Components.NodeSelectorOperator }] }] } } } }),
        /^pod\.affinity\.nodeAffinity\.requiredDuringSchedulingIgnoredDuringExecution\.nodeSelectorTerms\[0\]\.matchExpressions\[0\]\.values: a missing value .*at least one value with operator "In"$/,
    ],
    [
        "Gt with a word",
        () => pod({ affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: "cores", operator: "Gt" as Components.NodeSelectorOperator, values: ["many"] }] } }] } } }),
        /\.matchExpressions\[0\]\.values: \["many"\] .*exactly one integer/,
    ],
    [
        "a weight above 100",
        () => pod({ affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 101, podAffinityTerm: { topologyKey: "kubernetes.io/hostname" } }] } } }),
        /^pod\.affinity\.podAntiAffinity\.preferredDuringSchedulingIgnoredDuringExecution\[0\]\.weight: 101 .*1 to 100$/,
    ],
    ["a pod affinity term without a topology key", () => pod({ affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "" }] } } }), /^pod\.affinity\.podAffinity\.requiredDuringSchedulingIgnoredDuringExecution\[0\]\.topologyKey: "" /],
    ["a zero max skew", () => pod({ topologySpreadConstraints: [{ maxSkew: 0, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule" as Components.UnsatisfiableConstraintAction }] }), /^pod\.topologySpreadConstraints\[0\]\.maxSkew: 0 /],
    [
        "minDomains with ScheduleAnyway",
        () => pod({ topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "ScheduleAnyway" as Components.UnsatisfiableConstraintAction, minDomains: 2 }] }),
        /^pod\.topologySpreadConstraints\[0\]\.minDomains: 2 .*unless whenUnsatisfiable is "DoNotSchedule"$/,
    ],
];

describe("the pod", () => {
    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    it("runs as the service account, pulls with the secrets, carries the priority class", async () => {
        await deploy(pod({ serviceAccountName: "shop", imagePullSecrets: ["ghcr-pull", "quay-pull"], priorityClassName: "business-critical" }));
        const spec = mocks.one(DEPLOYMENT).inputs.spec.template.spec;
        assert.strictEqual(spec.serviceAccountName, "shop");
        assert.deepStrictEqual(spec.imagePullSecrets, [{ name: "ghcr-pull" }, { name: "quay-pull" }]);
        assert.strictEqual(spec.priorityClassName, "business-critical");
    });

    it("labels and annotates the pods and the Deployment apart, keeping the selector labels", async () => {
        await deploy({
            pod: { labels: { team: "shop", "app.kubernetes.io/managed-by": "platform" }, annotations: { "prometheus.io/scrape": "true" } },
            workload: { labels: { tier: "web" }, annotations: { "example.com/owner": "shop-team" } },
        });
        const deployment = mocks.one(DEPLOYMENT).inputs;
        assert.deepStrictEqual(deployment.spec.template.metadata, { labels: { ...SELECTOR, team: "shop", "app.kubernetes.io/managed-by": "platform" }, annotations: { "prometheus.io/scrape": "true" } });
        assert.deepStrictEqual(deployment.metadata.labels, { ...SELECTOR, tier: "web", "app.kubernetes.io/managed-by": "tls-sidecar" });
        assert.deepStrictEqual(deployment.metadata.annotations, { "example.com/owner": "shop-team" });
        assert.deepStrictEqual(deployment.spec.selector.matchLabels, SELECTOR);
        assert.deepStrictEqual(mocks.one("kubernetes:core/v1:Service").inputs.spec.selector, SELECTOR, "the Service still selects the pods");
    });

    it("a bare Pod carries the workload's and the pod's metadata, the pod's winning", async () => {
        await deploy({ workloadKind: c.WorkloadKind.Pod, pod: { labels: { team: "shop" }, annotations: { a: "pod" } }, workload: { labels: { team: "web", tier: "web" }, annotations: { a: "workload", b: "workload" } } });
        const metadata = mocks.one("kubernetes:core/v1:Pod").inputs.metadata;
        assert.deepStrictEqual(metadata.labels, { ...SELECTOR, team: "shop", tier: "web", "app.kubernetes.io/managed-by": "tls-sidecar" });
        assert.deepStrictEqual(metadata.annotations, { a: "pod", b: "workload" });
    });

    it("schedules by node selector, tolerations and node affinity as written", async () => {
        const nodeAffinity = {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "topology.kubernetes.io/zone", operator: c.NodeSelectorOperator.In, values: ["a", "b"] }] }] },
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, preference: { matchExpressions: [{ key: "cores", operator: c.NodeSelectorOperator.Gt, values: ["4"] }] } }],
        };
        const tolerations = [
            { key: "dedicated", operator: c.TolerationOperator.Equal, value: "shop", effect: c.TaintEffect.NoSchedule },
            { key: "node.kubernetes.io/unreachable", operator: c.TolerationOperator.Exists, effect: c.TaintEffect.NoExecute, tolerationSeconds: 60 },
        ];
        await deploy(pod({ nodeSelector: { "kubernetes.io/os": "linux" }, tolerations, affinity: { nodeAffinity } }));
        const spec = mocks.one(DEPLOYMENT).inputs.spec.template.spec;
        assert.deepStrictEqual(spec.nodeSelector, { "kubernetes.io/os": "linux" });
        assert.deepStrictEqual(spec.tolerations, tolerations);
        assert.deepStrictEqual(spec.affinity, { nodeAffinity });
    });

    it("pod anti-affinity and topology spread select this workload's own pods unless told otherwise", async () => {
        const other = { matchLabels: { app: "cache" } };
        await deploy(
            pod({
                affinity: {
                    podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname" } }] },
                    podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "topology.kubernetes.io/zone", labelSelector: other }] },
                },
                topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: c.UnsatisfiableConstraintAction.ScheduleAnyway, matchLabelKeys: ["pod-template-hash"] }],
            }),
        );
        const spec = mocks.one(DEPLOYMENT).inputs.spec.template.spec;
        assert.deepStrictEqual(spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm, { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: SELECTOR } });
        assert.deepStrictEqual(spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector, other);
        assert.deepStrictEqual(spec.topologySpreadConstraints, [
            { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", matchLabelKeys: ["pod-template-hash"], labelSelector: { matchLabels: SELECTOR } },
        ]);
    });

    it("with none of it the pod spec has none of these fields", async () => {
        await deploy(pod({ imagePullSecrets: [], labels: {}, tolerations: [] }));
        const deployment = mocks.one(DEPLOYMENT).inputs;
        const spec = deployment.spec.template.spec;
        for (const key of ["serviceAccountName", "imagePullSecrets", "nodeSelector", "tolerations", "affinity", "topologySpreadConstraints", "priorityClassName"]) {
            assert.strictEqual(spec[key], undefined, key);
        }
        assert.deepStrictEqual(deployment.spec.template.metadata, { labels: { ...SELECTOR, "app.kubernetes.io/managed-by": "tls-sidecar" } });
    });

    it("SidecarWorkload on its own refuses a selector label too, before creating anything", () => {
        assert.throws(
            () =>
                new c.SidecarWorkload("web", {
                    namespace: "default",
                    serviceName: "web",
                    app: { image: "nginx", port: 80 },
                    proxyImage: "p",
                    initImage: "i",
                    secretName: "web-tls",
                    pod: { labels: { "app.kubernetes.io/instance": "other" } },
                }),
            (e: unknown) => e instanceof c.ConfigError && /^pod\.labels\["app\.kubernetes\.io\/instance"\]: "other" .*selector label/.test(e.message),
        );
        assert.deepStrictEqual(mocks.resources, []);
    });

    itRejectsEach(CASES, () => ({ c, mocks }));
});
