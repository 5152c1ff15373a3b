// The NetworkPolicy (opt-in): exactly the component's pods, ingress only to the TLS port (and the redirected app port
// with iptables interception) and the admin port, from the sources given; with service interception the app's
// plaintext port is in no rule.
import * as assert from "assert";
import { EngineMocks, installMocks, promiseOf } from "./support/mocks";
import { deployed, itRejectsEach, RejectionCase, TUNNEL_TOKEN } from "./support/fixtures";
import { refusal, runProgram } from "./support/program";
import type * as Components from "../components";

let c: typeof Components;
let mocks: EngineMocks;

type Args = Partial<Components.TlsSidecarAppArgs>;
const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const policy = (np: Components.NetworkPolicy, more: Args = {}): Args => ({ networkPolicy: np, ...more });
const SERVICE_MODE = "service" as Components.InterceptionMode;
const ns = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });

/** Every port any rule lets in. */
const openPorts = (spec: any): number[] => spec.ingress.flatMap((r: any) => r.ports.map((p: any) => p.port));

const CASES: RejectionCase[] = [
    ["an empty list of sources", () => policy({ from: [] }), /^networkPolicy\.from: \[\] is not allowed; expected at least one source, or leave networkPolicy\.from unset for every source/],
    ["a source with both an ipBlock and a selector", () => policy({ from: [{ ipBlock: { cidr: "10.0.0.0/8" }, podSelector: {} }] }), /^networkPolicy\.from\[0\]: \["ipBlock","podSelector"\] .*ipBlock alone, or namespaceSelector and\/or podSelector/],
    ["a source with nothing in it", () => policy({ adminFrom: [{}] }), /^networkPolicy\.adminFrom\[0\]: \[\] .*one of ipBlock, namespaceSelector, podSelector/],
    ["an ipBlock that is no CIDR", () => policy({ from: [{ ipBlock: { cidr: "10.0.0.0" } }] }), /^networkPolicy\.from\[0\]\.ipBlock\.cidr: "10\.0\.0\.0" .*a CIDR such as/],
    ["an exception outside the block", () => policy({ from: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16", "192.168.0.0/16"] } }] }), /^networkPolicy\.from\[0\]\.ipBlock\.except\[1\]: "192\.168\.0\.0\/16" .*strictly inside networkPolicy\.from\[0\]\.ipBlock\.cidr \(10\.0\.0\.0\/8\)/],
    ["an exception of the other address family", () => policy({ from: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["2001:db8::/32"] } }] }), /\.except\[0\]: "2001:db8::\/32" .*same address family/],
    ["a selector with a bad operator", () => policy({ from: [{ podSelector: { matchExpressions: [{ key: "app", operator: "Is" as Components.LabelSelectorOperator, values: ["x"] }] } }] }), /^networkPolicy\.from\[0\]\.podSelector\.matchExpressions\[0\]\.operator: "Is" /],
    ["opening the app's plaintext port with service interception", () => policy({ ports: [{ port: 80 }] }, { interception: SERVICE_MODE }), /^networkPolicy\.ports\[0\]\.port: 80 .*a port other than app\.port \(80\) with service interception: it is the app's plaintext port/],
    ["opening a port the pod does not declare", () => policy({ ports: [{ port: 9100 }] }, { app: { image: "nginx", port: 80, ports: [{ name: "metrics", containerPort: 9090 }] } }), /^networkPolicy\.ports\[0\]\.port: 9100 .*one of app\.ports' containerPort \(9090\)$/],
    ["opening the admin port as an extra port", () => policy({ ports: [{ port: 9901 }] }), /^networkPolicy\.ports\[0\]\.port: 9901 .*use networkPolicy\.from and networkPolicy\.adminFrom/],
    // It serves /config, /diag/* and /debug/pprof/ besides /metrics; the kubelet's probes come from the node, always let in.
    ["opening the tunnel's metrics port", () => policy({ ports: [{ port: 2100, from: [ns("monitoring")] }] }, { tunnel: { token: TUNNEL_TOKEN, metricsPort: 2100 } }), /^networkPolicy\.ports\[0\]\.port: 2100 is not allowed; expected a port other than tunnel\.metricsPort \(2100\): cloudflared serves \/config .*\/diag\/\* and \/debug\/pprof\/ there/],
];

describe("the NetworkPolicy", () => {
    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    it("selects exactly the pods the Deployment and the Service select, and restricts ingress only", async () => {
        const app = await deployed(c, policy({}));
        const np = mocks.one(POLICY);
        const deployment = mocks.one("kubernetes:apps/v1:Deployment").inputs;
        assert.deepStrictEqual(np.inputs.spec.podSelector, deployment.spec.selector);
        assert.deepStrictEqual(np.inputs.spec.podSelector.matchLabels, mocks.one("kubernetes:core/v1:Service").inputs.spec.selector);
        assert.deepStrictEqual(np.inputs.spec.policyTypes, ["Ingress"]);
        assert.strictEqual(np.inputs.metadata.namespace, "default");
        assert.strictEqual(await promiseOf(app.networkPolicyName), np.state.metadata.name);
    });

    it("iptables: lets the redirected app port, the proxy port and the admin port in, from anywhere by default", async () => {
        await deployed(c, policy({}, { proxy: { port: 9443, adminPort: 9902 } }));
        const spec = mocks.one(POLICY).inputs.spec;
        assert.deepStrictEqual(spec.ingress, [
            { ports: [{ protocol: "TCP", port: 80 }, { protocol: "TCP", port: 9443 }] },
            { ports: [{ protocol: "TCP", port: 9902 }] },
        ]);
    });

    it("service interception: the app's plaintext port is in no rule, only the proxy's and the admin port", async () => {
        await deployed(c, policy({}, { interception: SERVICE_MODE }));
        const spec = mocks.one(POLICY).inputs.spec;
        const service = mocks.one("kubernetes:core/v1:Service").inputs.spec;
        assert.ok(!openPorts(spec).includes(80), `app.port 80 stays closed: ${openPorts(spec)}`);
        assert.deepStrictEqual(openPorts(spec), [service.ports[0].targetPort, 9901], "what the Service sends to, and the admin port");
    });

    it("lets in only the sources given, the admin port from its own, and other ports on request", async () => {
        const from = [ns("ingress-nginx"), { ipBlock: { cidr: "203.0.113.0/24", except: ["203.0.113.128/25"] } }];
        const adminFrom = [{ namespaceSelector: ns("monitoring").namespaceSelector, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }];
        await deployed(c, policy({ from, adminFrom, ports: [{ port: 9090, from: [ns("monitoring")] }] }, { app: { image: "nginx", port: 80, ports: [{ name: "metrics", containerPort: 9090 }] } }));
        const spec = mocks.one(POLICY).inputs.spec;
        assert.deepStrictEqual(spec.ingress[0].from, from);
        assert.deepStrictEqual(spec.ingress[1], { ports: [{ protocol: "TCP", port: 9901 }], from: adminFrom });
        assert.deepStrictEqual(spec.ingress[2], { ports: [{ protocol: "TCP", port: 9090 }], from: [ns("monitoring")] });
    });

    it("the admin port takes the TLS port's sources by default, and no rule at all (the node only) with adminFrom []", async () => {
        await deployed(c, policy({ from: [ns("shop")] }));
        assert.deepStrictEqual(mocks.one(POLICY).inputs.spec.ingress[1].from, [ns("shop")]);
        mocks = await installMocks();
        await deployed(c, policy({ from: [ns("shop")], adminFrom: [] }));
        const spec = mocks.one(POLICY).inputs.spec;
        assert.strictEqual(spec.ingress.length, 1);
        assert.ok(!openPorts(spec).includes(9901));
    });

    it("with a tunnel: cloudflared's metrics port is in no rule", async () => {
        await deployed(c, policy({}, { tunnel: { token: TUNNEL_TOKEN } }));
        const spec = mocks.one(POLICY).inputs.spec;
        assert.deepStrictEqual(openPorts(spec), [80, 8443, 9901]);
        assert.ok(!openPorts(spec).includes(c.TUNNEL_DEFAULTS.metricsPort));
    });

    it("is not made unless asked for", async () => {
        const app = await deployed(c);
        assert.deepStrictEqual(mocks.ofType(POLICY), []);
        assert.strictEqual(await promiseOf(app.networkPolicyName), undefined);
    });

    itRejectsEach(CASES, () => ({ c, mocks }));
});

describe("the program's networkPolicy keys", () => {
    it("make the policy from namespaces and CIDRs, the admin port from its own namespaces, and export its name", async () => {
        const run = await runProgram("dev", {
            networkPolicy: true,
            networkPolicyFromNamespaces: ["ingress-nginx", "shop"],
            networkPolicyFromCidrs: ["192.0.2.0/24"],
            networkPolicyAdminFromNamespaces: ["monitoring"],
        });
        const np = run.mocks.one(POLICY);
        const byName = (names: string[]) => ({ namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: names }] } });
        assert.deepStrictEqual(np.inputs.spec.ingress[0].from, [byName(["ingress-nginx", "shop"]), { ipBlock: { cidr: "192.0.2.0/24" } }]);
        assert.deepStrictEqual(np.inputs.spec.ingress[1].from, [byName(["monitoring"])]);
        assert.strictEqual(run.outputs.networkPolicyName, np.state.metadata.name);
        assert.deepStrictEqual((await runProgram("dev")).mocks.ofType(POLICY), [], "none by default");
    });

    for (const [overrides, message] of [
        [{ networkPolicyFromNamespaces: ["shop"] }, /^invalid configuration: tls-sidecar:networkPolicy: false is not allowed; expected true when networkPolicyFromNamespaces/],
        [{ networkPolicy: true, networkPolicyFromCidrs: ["192.0.2.0"] }, /tls-sidecar:networkPolicyFromCidrs\[0\]: "192\.0\.2\.0" is not allowed; expected a CIDR/],
        [{ networkPolicy: true, networkPolicyAdminFromNamespaces: ["Monitoring"] }, /tls-sidecar:networkPolicyAdminFromNamespaces\[0\]: "Monitoring" .*DNS-1123 label/],
        [{ networkPolicy: "yes" }, /tls-sidecar:networkPolicy: "yes" .*true or false/],
    ] as [Record<string, unknown>, RegExp][]) {
        it(`refuses ${JSON.stringify(overrides)}, naming the key, before creating anything`, async () => {
            assert.match(await refusal("dev", overrides), message);
        });
    }
});
