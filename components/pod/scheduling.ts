// Where the pods may run: tolerations, node and pod (anti-)affinity and topology spread constraints, as in core/v1
// (the same field names, choices as enums, so a manifest's values carry over). A pod affinity term or spread
// constraint without a `labelSelector` selects this workload's own pods. The checks, at the foot, refuse what the API
// server would, with the argument's path, before anything is created.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LabelSelectorOperator, NodeInclusionPolicy, NodeSelectorOperator, TaintEffect, TolerationOperator, UnsatisfiableConstraintAction } from "../enums";
import { checked, checkDnsLabel, checkEnum, checkIntegerRange, checkPositiveInteger, isKnown, Problems } from "../validation";
import { checkLabelMap, checkQualifiedName, StringMap } from "./labels";

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

export interface SchedulingArgs {
    tolerations?: Toleration[];
    affinity?: Affinity;
    topologySpreadConstraints?: TopologySpreadConstraint[];
}

/** Keeps a problem for every malformed toleration, affinity term or spread constraint of `pod.*`. */
export function checkScheduling(scheduling: SchedulingArgs, problems: Problems): void {
    (scheduling.tolerations ?? []).forEach((t, i) => checkToleration(`pod.tolerations[${i}]`, t, problems));
    const affinity = scheduling.affinity;
    if (affinity?.nodeAffinity !== undefined) {
        const at = "pod.affinity.nodeAffinity";
        const required = affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
        if (required !== undefined) {
            if (!Array.isArray(required.nodeSelectorTerms) || required.nodeSelectorTerms.length === 0) {
                problems.add({ path: `${at}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`, value: required.nodeSelectorTerms, allowed: "at least one term (a node must match one of them)" });
            }
            (required.nodeSelectorTerms ?? []).forEach((term, i) => checkNodeTerm(`${at}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[${i}]`, term, problems));
        }
        (affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((p, i) => {
            const pat = `${at}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
            checkWeight(`${pat}.weight`, p.weight, problems);
            checkNodeTerm(`${pat}.preference`, p.preference ?? {}, problems);
        });
    }
    checkPodAffinity("pod.affinity.podAffinity", affinity?.podAffinity, problems);
    checkPodAffinity("pod.affinity.podAntiAffinity", affinity?.podAntiAffinity, problems);
    (scheduling.topologySpreadConstraints ?? []).forEach((c, i) => checkSpread(`pod.topologySpreadConstraints[${i}]`, c, problems));
}

function checkToleration(at: string, t: Toleration, problems: Problems): void {
    if (t.operator !== undefined) problems.check(() => checkEnum(`${at}.operator`, t.operator, TolerationOperator));
    if (t.effect !== undefined) problems.check(() => checkEnum(`${at}.effect`, t.effect, TaintEffect));
    const exists = t.operator === TolerationOperator.Exists;
    if (t.key === undefined || t.key === "") {
        if (!exists) problems.add({ path: `${at}.operator`, value: t.operator ?? "Equal (the default)", allowed: '"Exists" without a key (a toleration of every taint), or a key' });
    } else {
        problems.check(() => checked(t.key!, (k) => checkQualifiedName(`${at}.key`, k)));
    }
    if (exists && t.value !== undefined && t.value !== "") {
        problems.add({ path: `${at}.value`, value: isKnown(t.value) ? t.value : "(an Output)", allowed: 'no value with operator "Exists" (it matches any value of the key)' });
    }
    if (t.tolerationSeconds !== undefined) {
        problems.check(() => checkIntegerRange(`${at}.tolerationSeconds`, t.tolerationSeconds, 0, 2147483647));
        if (t.effect !== TaintEffect.NoExecute) {
            problems.add({ path: `${at}.tolerationSeconds`, value: t.tolerationSeconds, allowed: 'no tolerationSeconds unless effect is "NoExecute" (only NoExecute taints evict running pods)' });
        }
    }
}

function checkWeight(path: string, weight: unknown, problems: Problems): void {
    problems.check(() => checkIntegerRange(path, weight, 1, 100));
}

/** `values` as the operator needs them. */
function checkValues(at: string, operator: string, values: string[] | undefined, problems: Problems): void {
    const count = values?.length ?? 0;
    if (["In", "NotIn"].includes(operator) && count === 0) {
        problems.add({ path: `${at}.values`, value: values, allowed: `at least one value with operator "${operator}"` });
    } else if (["Exists", "DoesNotExist"].includes(operator) && count > 0) {
        problems.add({ path: `${at}.values`, value: values, allowed: `no values with operator "${operator}"` });
    } else if (["Gt", "Lt"].includes(operator) && (count !== 1 || !/^-?\d+$/.test(values![0]))) {
        problems.add({ path: `${at}.values`, value: values, allowed: `exactly one integer, e.g. ["3"], with operator "${operator}"` });
    }
}

function checkNodeTerm(at: string, term: NodeSelectorTerm, problems: Problems): void {
    (term.matchExpressions ?? []).forEach((r, i) => {
        const rat = `${at}.matchExpressions[${i}]`;
        problems.check(() => checkQualifiedName(`${rat}.key`, r.key));
        if (problems.check(() => checkEnum(`${rat}.operator`, r.operator, NodeSelectorOperator))) checkValues(rat, r.operator, r.values, problems);
    });
    (term.matchFields ?? []).forEach((r, i) => {
        const rat = `${at}.matchFields[${i}]`;
        if (r.key !== "metadata.name") problems.add({ path: `${rat}.key`, value: r.key, allowed: '"metadata.name", the one node field Kubernetes selects on' });
        if (!["In", "NotIn"].includes(r.operator)) problems.add({ path: `${rat}.operator`, value: r.operator, allowed: '"In" or "NotIn" for a node field' });
        else checkValues(rat, r.operator, r.values, problems);
    });
}

export function checkLabelSelector(at: string, ls: LabelSelector | undefined, problems: Problems): void {
    if (ls === undefined) {
        return;
    }
    // A selector may name our selector labels: selecting pods by them is what they are for.
    checkLabelMap(`${at}.matchLabels`, ls.matchLabels, problems, "select");
    (ls.matchExpressions ?? []).forEach((r, i) => {
        const rat = `${at}.matchExpressions[${i}]`;
        problems.check(() => checkQualifiedName(`${rat}.key`, r.key));
        if (problems.check(() => checkEnum(`${rat}.operator`, r.operator, LabelSelectorOperator))) checkValues(rat, r.operator, r.values, problems);
    });
}

function checkPodTerm(at: string, t: PodAffinityTerm, problems: Problems): void {
    if (typeof t.topologyKey !== "string" || t.topologyKey === "") {
        problems.add({ path: `${at}.topologyKey`, value: t.topologyKey, allowed: 'a node label such as "kubernetes.io/hostname" or "topology.kubernetes.io/zone"' });
    } else {
        problems.check(() => checkQualifiedName(`${at}.topologyKey`, t.topologyKey));
    }
    checkLabelSelector(`${at}.labelSelector`, t.labelSelector, problems);
    checkLabelSelector(`${at}.namespaceSelector`, t.namespaceSelector, problems);
    (t.namespaces ?? []).forEach((n, i) => problems.check(() => checkDnsLabel(`${at}.namespaces[${i}]`, n)));
}

function checkPodAffinity(at: string, a: PodAffinity | undefined, problems: Problems): void {
    (a?.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => checkPodTerm(`${at}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`, t, problems));
    (a?.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((w, i) => {
        const wat = `${at}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
        checkWeight(`${wat}.weight`, w.weight, problems);
        checkPodTerm(`${wat}.podAffinityTerm`, w.podAffinityTerm ?? {}, problems);
    });
}

function checkSpread(at: string, c: TopologySpreadConstraint, problems: Problems): void {
    problems.check(() => checkPositiveInteger(`${at}.maxSkew`, c.maxSkew));
    checkPodTerm(at, { topologyKey: c.topologyKey, labelSelector: c.labelSelector }, problems);
    problems.check(() => checkEnum(`${at}.whenUnsatisfiable`, c.whenUnsatisfiable, UnsatisfiableConstraintAction));
    if (c.minDomains !== undefined) {
        problems.check(() => checkPositiveInteger(`${at}.minDomains`, c.minDomains));
        if (c.whenUnsatisfiable !== UnsatisfiableConstraintAction.DoNotSchedule) {
            problems.add({ path: `${at}.minDomains`, value: c.minDomains, allowed: 'no minDomains unless whenUnsatisfiable is "DoNotSchedule"' });
        }
    }
    for (const key of ["nodeAffinityPolicy", "nodeTaintsPolicy"] as const) {
        if (c[key] !== undefined) problems.check(() => checkEnum(`${at}.${key}`, c[key], NodeInclusionPolicy));
    }
    (c.matchLabelKeys ?? []).forEach((k, i) => problems.check(() => checkQualifiedName(`${at}.matchLabelKeys[${i}]`, k)));
}
