// Where the pods may run: tolerations, node and pod (anti-)affinity and topology spread constraints, as in core/v1
// (the same field names, choices as enums, so a manifest's values carry over). A pod affinity term or spread
// constraint without a `labelSelector` selects this workload's own pods. The checks are in schedulingValidation.ts.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LabelSelectorOperator, NodeInclusionPolicy, NodeSelectorOperator, TaintEffect, TolerationOperator, UnsatisfiableConstraintAction } from "../enums";
import type { StringMap } from "./labels";

export interface Toleration {
    /** The taint's key; empty with `operator: Exists` tolerates every taint. */
    key?: pulumi.Input<string>;
    /** Default Equal. */
    operator?: TolerationOperator;
    /** The taint's value, with `Equal`. */
    value?: pulumi.Input<string>;
    /** Default: every effect. */
    effect?: TaintEffect;
    /** With `NoExecute`: how long the pod stays on a node after the taint appears. Default: for ever. */
    tolerationSeconds?: number;
}

/** @deprecated Renamed `Toleration`: every SDK adds its own `Args` (Python `TolerationArgs`). Kept for existing TypeScript programs. */
export type TolerationArgs = Toleration;

export interface LabelSelectorRequirement {
    key: string;
    operator: LabelSelectorOperator;
    /** Non-empty with In and NotIn, empty with Exists and DoesNotExist. */
    values?: string[];
}

/** @deprecated Renamed `LabelSelectorRequirement`: every SDK adds its own `Args` (Python `LabelSelectorRequirementArgs`). Kept for existing TypeScript programs. */
export type LabelSelectorRequirementArgs = LabelSelectorRequirement;

export interface LabelSelector {
    matchLabels?: { [key: string]: string };
    matchExpressions?: LabelSelectorRequirement[];
}

/** @deprecated Renamed `LabelSelector`: every SDK adds its own `Args` (Python `LabelSelectorArgs`). Kept for existing TypeScript programs. */
export type LabelSelectorArgs = LabelSelector;

export interface NodeSelectorRequirement {
    key: string;
    operator: NodeSelectorOperator;
    /** Non-empty with In and NotIn, one integer with Gt and Lt, empty with Exists and DoesNotExist. */
    values?: string[];
}

/** @deprecated Renamed `NodeSelectorRequirement`: every SDK adds its own `Args` (Python `NodeSelectorRequirementArgs`). Kept for existing TypeScript programs. */
export type NodeSelectorRequirementArgs = NodeSelectorRequirement;

/** Requirements that must all hold: on node labels (`matchExpressions`) or node fields (`matchFields`). */
export interface NodeSelectorTerm {
    matchExpressions?: NodeSelectorRequirement[];
    matchFields?: NodeSelectorRequirement[];
}

/** @deprecated Renamed `NodeSelectorTerm`: every SDK adds its own `Args` (Python `NodeSelectorTermArgs`). Kept for existing TypeScript programs. */
export type NodeSelectorTermArgs = NodeSelectorTerm;

/** At least one term must hold. */
export interface NodeSelector {
    nodeSelectorTerms: NodeSelectorTerm[];
}

/** @deprecated Renamed `NodeSelector`: every SDK adds its own `Args` (Python `NodeSelectorArgs`). Kept for existing TypeScript programs. */
export type NodeSelectorArgs = NodeSelector;

export interface PreferredSchedulingTerm {
    /** 1 to 100. */
    weight: number;
    preference: NodeSelectorTerm;
}

/** @deprecated Renamed `PreferredSchedulingTerm`: every SDK adds its own `Args` (Python `PreferredSchedulingTermArgs`). Kept for existing TypeScript programs. */
export type PreferredSchedulingTermArgs = PreferredSchedulingTerm;

export interface NodeAffinity {
    requiredDuringSchedulingIgnoredDuringExecution?: NodeSelector;
    preferredDuringSchedulingIgnoredDuringExecution?: PreferredSchedulingTerm[];
}

/** @deprecated Renamed `NodeAffinity`: every SDK adds its own `Args` (Python `NodeAffinityArgs`). Kept for existing TypeScript programs. */
export type NodeAffinityArgs = NodeAffinity;

export interface PodAffinityTerm {
    /** The pods to be near (or away from). Default: this workload's own pods. */
    labelSelector?: LabelSelector;
    /** A node label, e.g. "kubernetes.io/hostname" or "topology.kubernetes.io/zone". */
    topologyKey: string;
    /** Default: the pod's namespace. */
    namespaces?: string[];
    namespaceSelector?: LabelSelector;
}

/** @deprecated Renamed `PodAffinityTerm`: every SDK adds its own `Args` (Python `PodAffinityTermArgs`). Kept for existing TypeScript programs. */
export type PodAffinityTermArgs = PodAffinityTerm;

export interface WeightedPodAffinityTerm {
    /** 1 to 100. */
    weight: number;
    podAffinityTerm: PodAffinityTerm;
}

/** @deprecated Renamed `WeightedPodAffinityTerm`: every SDK adds its own `Args` (Python `WeightedPodAffinityTermArgs`). Kept for existing TypeScript programs. */
export type WeightedPodAffinityTermArgs = WeightedPodAffinityTerm;

export interface PodAffinity {
    requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
    preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
}

/** @deprecated Renamed `PodAffinity`: every SDK adds its own `Args` (Python `PodAffinityArgs`). Kept for existing TypeScript programs. */
export type PodAffinityArgs = PodAffinity;

export interface Affinity {
    nodeAffinity?: NodeAffinity;
    podAffinity?: PodAffinity;
    podAntiAffinity?: PodAffinity;
}

/** @deprecated Renamed `Affinity`: every SDK adds its own `Args` (Python `AffinityArgs`). Kept for existing TypeScript programs. */
export type AffinityArgs = Affinity;

export interface TopologySpreadConstraint {
    /** At least 1: how unevenly the pods may spread over the topology's domains. */
    maxSkew: number;
    /** A node label, e.g. "topology.kubernetes.io/zone". */
    topologyKey: string;
    whenUnsatisfiable: UnsatisfiableConstraintAction;
    /** The pods counted. Default: this workload's own pods. */
    labelSelector?: LabelSelector;
    /** With DoNotSchedule only: the domains there must be at least. */
    minDomains?: number;
    nodeAffinityPolicy?: NodeInclusionPolicy;
    nodeTaintsPolicy?: NodeInclusionPolicy;
    /** Pod label keys whose values also select the counted pods, e.g. ["pod-template-hash"]. */
    matchLabelKeys?: string[];
}

/** @deprecated Renamed `TopologySpreadConstraint`: every SDK adds its own `Args` (Python `TopologySpreadConstraintArgs`). Kept for existing TypeScript programs. */
export type TopologySpreadConstraintArgs = TopologySpreadConstraint;

type PodSpecInput = k8s.types.input.core.v1.PodSpec;

/** The pod spec's scheduling fields; the label selectors left out select `selector`, this workload's pods. */
export function schedulingFields(
    s: { tolerations?: Toleration[]; affinity?: Affinity; topologySpreadConstraints?: TopologySpreadConstraint[] },
    selector: StringMap,
): Pick<PodSpecInput, "tolerations" | "affinity" | "topologySpreadConstraints"> {
    const own = (ls: LabelSelector | undefined) => ls ?? { matchLabels: selector };
    const term = (t: PodAffinityTerm) => ({ ...t, labelSelector: own(t.labelSelector) });
    const pods = (a: PodAffinity | undefined) =>
        a === undefined
            ? undefined
            : {
                  requiredDuringSchedulingIgnoredDuringExecution: a.requiredDuringSchedulingIgnoredDuringExecution?.map(term),
                  preferredDuringSchedulingIgnoredDuringExecution: a.preferredDuringSchedulingIgnoredDuringExecution?.map((w) => ({ ...w, podAffinityTerm: term(w.podAffinityTerm) })),
              };
    const affinity = s.affinity === undefined ? undefined : { nodeAffinity: s.affinity.nodeAffinity, podAffinity: pods(s.affinity.podAffinity), podAntiAffinity: pods(s.affinity.podAntiAffinity) };
    return {
        tolerations: s.tolerations,
        affinity,
        topologySpreadConstraints: s.topologySpreadConstraints?.map((c) => ({ ...c, labelSelector: own(c.labelSelector) })),
    };
}
