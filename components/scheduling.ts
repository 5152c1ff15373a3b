// Where the pods may run: tolerations, node and pod (anti-)affinity and topology spread constraints, as in core/v1
// (the same field names, choices as enums, so a manifest's values carry over). A pod affinity term or spread
// constraint without a `labelSelector` selects this workload's own pods. The checks are in schedulingValidation.ts.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LabelSelectorOperator, NodeInclusionPolicy, NodeSelectorOperator, TaintEffect, TolerationOperator, UnsatisfiableConstraintAction } from "./enums";
import type { StringMap } from "./labels";

export interface TolerationArgs {
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

export interface LabelSelectorRequirementArgs {
    key: string;
    operator: LabelSelectorOperator;
    /** Non-empty with In and NotIn, empty with Exists and DoesNotExist. */
    values?: string[];
}

export interface LabelSelectorArgs {
    matchLabels?: { [key: string]: string };
    matchExpressions?: LabelSelectorRequirementArgs[];
}

export interface NodeSelectorRequirementArgs {
    key: string;
    operator: NodeSelectorOperator;
    /** Non-empty with In and NotIn, one integer with Gt and Lt, empty with Exists and DoesNotExist. */
    values?: string[];
}

/** Requirements that must all hold: on node labels (`matchExpressions`) or node fields (`matchFields`). */
export interface NodeSelectorTermArgs {
    matchExpressions?: NodeSelectorRequirementArgs[];
    matchFields?: NodeSelectorRequirementArgs[];
}

/** At least one term must hold. */
export interface NodeSelectorArgs {
    nodeSelectorTerms: NodeSelectorTermArgs[];
}

export interface PreferredSchedulingTermArgs {
    /** 1 to 100. */
    weight: number;
    preference: NodeSelectorTermArgs;
}

export interface NodeAffinityArgs {
    requiredDuringSchedulingIgnoredDuringExecution?: NodeSelectorArgs;
    preferredDuringSchedulingIgnoredDuringExecution?: PreferredSchedulingTermArgs[];
}

export interface PodAffinityTermArgs {
    /** The pods to be near (or away from). Default: this workload's own pods. */
    labelSelector?: LabelSelectorArgs;
    /** A node label, e.g. "kubernetes.io/hostname" or "topology.kubernetes.io/zone". */
    topologyKey: string;
    /** Default: the pod's namespace. */
    namespaces?: string[];
    namespaceSelector?: LabelSelectorArgs;
}

export interface WeightedPodAffinityTermArgs {
    /** 1 to 100. */
    weight: number;
    podAffinityTerm: PodAffinityTermArgs;
}

export interface PodAffinityArgs {
    requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTermArgs[];
    preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTermArgs[];
}

export interface AffinityArgs {
    nodeAffinity?: NodeAffinityArgs;
    podAffinity?: PodAffinityArgs;
    podAntiAffinity?: PodAffinityArgs;
}

export interface TopologySpreadConstraintArgs {
    /** At least 1: how unevenly the pods may spread over the topology's domains. */
    maxSkew: number;
    /** A node label, e.g. "topology.kubernetes.io/zone". */
    topologyKey: string;
    whenUnsatisfiable: UnsatisfiableConstraintAction;
    /** The pods counted. Default: this workload's own pods. */
    labelSelector?: LabelSelectorArgs;
    /** With DoNotSchedule only: the domains there must be at least. */
    minDomains?: number;
    nodeAffinityPolicy?: NodeInclusionPolicy;
    nodeTaintsPolicy?: NodeInclusionPolicy;
    /** Pod label keys whose values also select the counted pods, e.g. ["pod-template-hash"]. */
    matchLabelKeys?: string[];
}

type PodSpecInput = k8s.types.input.core.v1.PodSpec;

/** The pod spec's scheduling fields; the label selectors left out select `selector`, this workload's pods. */
export function schedulingFields(
    s: { tolerations?: TolerationArgs[]; affinity?: AffinityArgs; topologySpreadConstraints?: TopologySpreadConstraintArgs[] },
    selector: StringMap,
): Pick<PodSpecInput, "tolerations" | "affinity" | "topologySpreadConstraints"> {
    const own = (ls: LabelSelectorArgs | undefined) => ls ?? { matchLabels: selector };
    const term = (t: PodAffinityTermArgs) => ({ ...t, labelSelector: own(t.labelSelector) });
    const pods = (a: PodAffinityArgs | undefined) =>
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
