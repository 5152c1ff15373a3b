// The Deployment's rollout (surge 1, never below the wanted count, unless told otherwise) and its PodDisruptionBudget
// (policy/v1, maxUnavailable 1) with more than one replica, unless turned off.
import * as pulumi from "@pulumi/pulumi";
import * as assert from "assert";
import { EngineMocks, installMocks } from "./support/mocks";
import { deployed, itRejectsEach, RejectionCase } from "./support/fixtures";
import type * as Components from "../components";

let c: typeof Components;
let mocks: EngineMocks;

const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
const SELECTOR = { "app.kubernetes.io/name": "hello", "app.kubernetes.io/instance": "hello" };

const deploy = (args: Partial<Components.TlsSidecarAppArgs>) => deployed(c, args);

const strategy = () => mocks.one("kubernetes:apps/v1:Deployment").inputs.spec.strategy;

const CASES: RejectionCase[] = [
    ["a surge that is neither a count nor a percentage", () => ({ workload: { maxSurge: "one" } }), /^workload\.maxSurge: "one" is not allowed; expected a count of pods such as "1" or a percentage of replicas such as "25%" \(0% to 100%\)$/],
    ["a percentage above 100", () => ({ workload: { maxUnavailable: "150%" } }), /^workload\.maxUnavailable: "150%" .*0% to 100%/],
    ["a negative count", () => ({ workload: { maxSurge: -1 as unknown as string } }), /^workload\.maxSurge: -1 .*a count of pods/],
    ["no surge while none may be unavailable (the default)", () => ({ workload: { maxSurge: "0" } }), /^workload\.maxSurge: "0" .*a value above 0 while workload\.maxUnavailable is 0: a rollout could neither add nor remove a pod$/],
    ["both zero", () => ({ workload: { maxSurge: "0%", maxUnavailable: "0" } }), /^workload\.maxSurge: "0%" .*above 0/],
    ["a rollout setting for a bare Pod", () => ({ workloadKind: "Pod" as Components.WorkloadKind, workload: { maxSurge: "2" } }), /^workload\.maxSurge: "2" .*unset with workloadKind "Pod": a bare Pod is replaced, not rolled$/],
    ["a non-boolean podDisruptionBudget", () => ({ workload: { podDisruptionBudget: "yes" as unknown as boolean } }), /^workload\.podDisruptionBudget: "yes" .*true or false$/],
];

describe("the Deployment's rollout and disruption budget", () => {
    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    describe("rolling update", () => {
        it("by default surges one pod and never goes below the wanted count", async () => {
            await deploy({ replicas: 2 });
            assert.deepStrictEqual(strategy(), { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
        });

        it("takes counts as integers and percentages as strings, as Kubernetes' int-or-string wants them", async () => {
            await deploy({ replicas: 4, workload: { maxSurge: "25%", maxUnavailable: "1" } });
            assert.deepStrictEqual(strategy().rollingUpdate, { maxSurge: "25%", maxUnavailable: 1 });
        });

        it("converts a value known only later", async () => {
            await deploy({ workload: { maxSurge: pulumi.output("2") } });
            assert.deepStrictEqual(strategy().rollingUpdate, { maxSurge: 2, maxUnavailable: 0 });
        });
    });

    describe("PodDisruptionBudget", () => {
        it("with more than one replica: policy/v1, one pod evicted at a time, unhealthy pods always evictable, selecting the pods", async () => {
            await deploy({ replicas: 3 });
            const pdb = mocks.one(PDB);
            assert.deepStrictEqual(pdb.inputs.spec, { maxUnavailable: 1, selector: { matchLabels: SELECTOR }, unhealthyPodEvictionPolicy: "AlwaysAllow" });
            assert.strictEqual(pdb.inputs.metadata.namespace, "default");
            const podLabels = mocks.one("kubernetes:apps/v1:Deployment").inputs.spec.template.metadata.labels;
            for (const [k, v] of Object.entries(pdb.inputs.spec.selector.matchLabels)) assert.strictEqual(podLabels[k], v);
        });

        it("none with one replica (the default), or when turned off", async () => {
            await deploy({});
            assert.deepStrictEqual(mocks.ofType(PDB), []);
            mocks = await installMocks();
            await deploy({ replicas: 3, workload: { podDisruptionBudget: false } });
            assert.deepStrictEqual(mocks.ofType(PDB), []);
        });

        it("none for a bare Pod", async () => {
            await deploy({ workloadKind: c.WorkloadKind.Pod });
            assert.deepStrictEqual(mocks.ofType(PDB), []);
        });

        it("made when the replica count is known only later (harmless with one replica: one pod may still be evicted)", async () => {
            await deploy({ replicas: pulumi.output(1) });
            assert.strictEqual(mocks.ofType(PDB).length, 1);
        });
    });

    itRejectsEach(CASES, () => ({ c, mocks }));
});
