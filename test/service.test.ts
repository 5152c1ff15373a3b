// The Service: NodePort (the default), LoadBalancer or ClusterIP, annotated for every type; a load balancer's source
// ranges and traffic policy; and the url, from the load balancer's address once it has one.
import * as assert from "assert";
import { EngineMocks, installMocks, promiseOf } from "./support/mocks";
import { deployed, itRejectsEach, RejectionCase, TUNNEL_TOKEN } from "./support/fixtures";
import { refusal, runProgram } from "./support/program";
import type * as Components from "../components";

let c: typeof Components;
let mocks: EngineMocks;

type Args = Partial<Components.TlsSidecarAppArgs>;
const SERVICE = "kubernetes:core/v1:Service";
const service = (s: Components.Service): Args => ({ service: s });
const LB = "LoadBalancer" as Components.ServiceType;

const CASES: RejectionCase[] = [
    ["a source range that is no CIDR", () => service({ type: LB, loadBalancerSourceRanges: ["203.0.113.0/24", "203.0.113.7"] }), /^service\.loadBalancerSourceRanges\[1\]: "203\.0\.113\.7" is not allowed; expected a CIDR such as "203\.0\.113\.0\/24"/],
    ["a source range with a prefix too long", () => service({ type: LB, loadBalancerSourceRanges: ["10.0.0.0/33"] }), /^service\.loadBalancerSourceRanges\[0\]: "10\.0\.0\.0\/33" .*at most 32 for IPv4/],
    ["source ranges on a NodePort Service", () => service({ loadBalancerSourceRanges: ["10.0.0.0/8"] }), /^service\.loadBalancerSourceRanges: \["10\.0\.0\.0\/8"\] .*no source ranges with service\.type "NodePort", the default: only a "LoadBalancer" Service has them$/],
    ["a traffic policy on a ClusterIP Service", () => service({ type: "ClusterIP" as Components.ServiceType, externalTrafficPolicy: "Local" as Components.ExternalTrafficPolicy }), /^service\.externalTrafficPolicy: "Local" .*no policy with service\.type "ClusterIP": it applies to traffic from outside the cluster/],
    ["an unknown traffic policy", () => service({ type: LB, externalTrafficPolicy: "Nearest" as Components.ExternalTrafficPolicy }), /^service\.externalTrafficPolicy: "Nearest" .*one of "Cluster", "Local"$/],
    ["annotations without a Service", () => ({ service: { type: "None" as Components.ServiceType, annotations: { a: "b" } }, tunnel: { token: TUNNEL_TOKEN } }), /^service\.annotations: \["a"\] .*no annotations with service\.type "None"/],
    ["an annotation key with a space", () => service({ annotations: { "my key": "v" } }), /^service\.annotations\["my key"\]: "my key" .*a key such as/],
];

describe("the Service", () => {
    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    describe("LoadBalancer", () => {
        const args = () => service({ type: c.ServiceType.LoadBalancer, annotations: { "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing" }, loadBalancerSourceRanges: ["203.0.113.0/24", "2001:db8::/32"], externalTrafficPolicy: c.ExternalTrafficPolicy.Local });

        it("is a LoadBalancer Service with the annotations, source ranges and traffic policy given", async () => {
            await deployed(c, args());
            const svc = mocks.one(SERVICE).inputs;
            assert.strictEqual(svc.spec.type, "LoadBalancer");
            assert.deepStrictEqual(svc.metadata.annotations, { "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing" });
            assert.deepStrictEqual(svc.spec.loadBalancerSourceRanges, ["203.0.113.0/24", "2001:db8::/32"]);
            assert.strictEqual(svc.spec.externalTrafficPolicy, "Local");
        });

        it("url is the load balancer's ingress address on the Service port; the node port is an output too", async () => {
            const app = await deployed(c, { ...args(), service: { ...args().service, port: 8443 } });
            const [ingress] = mocks.loadBalancerIngress;
            assert.strictEqual(await promiseOf(app.url), `https://${ingress.ip}:8443`);
            assert.strictEqual(await promiseOf(app.nodePort), mocks.one(SERVICE).state.spec.ports[0].nodePort);
        });

        it("prefers the ingress hostname to its IP, and brackets an IPv6 address", async () => {
            mocks.loadBalancerIngress = [{ hostname: "a1b2.elb.example.com", ip: "198.51.100.9" }];
            assert.strictEqual(await promiseOf((await deployed(c, args())).url), "https://a1b2.elb.example.com:443");
            mocks.loadBalancerIngress = [{ ip: "2001:db8::7" }];
            assert.strictEqual(await promiseOf((await deployed(c, args())).url), "https://[2001:db8::7]:443");
        });

        it("before the load balancer has an address, url is the node-port form", async () => {
            mocks.loadBalancerIngress = [];
            const app = await deployed(c, { ...args(), publicHost: "node1.example.com", service: { type: c.ServiceType.LoadBalancer, nodePort: 31443 } });
            assert.strictEqual(await promiseOf(app.url), "https://node1.example.com:31443");
        });
    });

    it("annotates a NodePort or a ClusterIP Service too, and a NodePort one takes a traffic policy", async () => {
        await deployed(c, service({ annotations: { "example.com/team": "shop" }, externalTrafficPolicy: c.ExternalTrafficPolicy.Local }));
        let svc = mocks.one(SERVICE).inputs;
        assert.deepStrictEqual([svc.spec.type, svc.metadata.annotations, svc.spec.externalTrafficPolicy], ["NodePort", { "example.com/team": "shop" }, "Local"]);
        mocks = await installMocks();
        await deployed(c, service({ type: c.ServiceType.ClusterIP, annotations: { "example.com/team": "shop" } }));
        svc = mocks.one(SERVICE).inputs;
        assert.deepStrictEqual([svc.spec.type, svc.metadata.annotations, svc.spec.externalTrafficPolicy], ["ClusterIP", { "example.com/team": "shop" }, undefined]);
    });

    it("with none of it the Service has no annotations, source ranges or policy", async () => {
        await deployed(c, service({ annotations: {}, loadBalancerSourceRanges: [] }));
        const svc = mocks.one(SERVICE).inputs;
        assert.deepStrictEqual([svc.metadata.annotations, svc.spec.loadBalancerSourceRanges, svc.spec.externalTrafficPolicy], [undefined, undefined, undefined]);
    });

    itRejectsEach(CASES, () => ({ c, mocks }));
});

describe("the program's Service keys", () => {
    it("make a LoadBalancer with annotations, source ranges and the Local policy, and export its url and node port", async () => {
        const run = await runProgram("dev", {
            serviceType: "LoadBalancer",
            serviceAnnotations: ["pulumi.com/skipAwait=true"],
            loadBalancerSourceRanges: ["192.0.2.0/24"],
            externalTrafficPolicy: "Local",
        });
        const svc = run.mocks.one(SERVICE);
        assert.deepStrictEqual(svc.inputs.metadata.annotations, { "pulumi.com/skipAwait": "true" });
        assert.deepStrictEqual([svc.inputs.spec.type, svc.inputs.spec.loadBalancerSourceRanges, svc.inputs.spec.externalTrafficPolicy], ["LoadBalancer", ["192.0.2.0/24"], "Local"]);
        assert.strictEqual(run.outputs.url, `https://${run.mocks.loadBalancerIngress[0].ip}:443`);
        assert.strictEqual(run.outputs.nodePort, svc.state.spec.ports[0].nodePort);
    });

    for (const [overrides, message] of [
        [{ serviceType: "LoadBalancer", loadBalancerSourceRanges: ["192.0.2.0/240"] }, /^invalid configuration: tls-sidecar:loadBalancerSourceRanges\[0\]: "192\.0\.2\.0\/240" is not allowed; expected a CIDR/],
        [{ loadBalancerSourceRanges: ["192.0.2.0/24"] }, /tls-sidecar:loadBalancerSourceRanges: \["192\.0\.2\.0\/24"\] .*only a "LoadBalancer" Service has them/],
        [{ externalTrafficPolicy: "local" }, /tls-sidecar:externalTrafficPolicy: "local" .*one of "Cluster", "Local"/],
        [{ serviceAnnotations: ["no-equals"] }, /tls-sidecar:serviceAnnotations\[0\]: "no-equals" .*"key=value"/],
    ] as [Record<string, unknown>, RegExp][]) {
        it(`refuses ${JSON.stringify(overrides)}, naming the key, before creating anything`, async () => {
            assert.match(await refusal("dev", overrides), message);
        });
    }
});
