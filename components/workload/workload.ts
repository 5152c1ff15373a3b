// The workload object around the pods, a Deployment or a bare Pod: its own labels and annotations, how a Deployment
// rolls (by default surge one, never below the wanted count) and the PodDisruptionBudget that keeps node drains from
// taking several pods at once.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { WorkloadKind } from "../enums";
import { checkLabelMap, mergedAnnotations, StringMap, withUserLabels } from "../pod/labels";
import { checkBoolean, checked, ConfigError, isKnown, Problems } from "../validation";

/** The Deployment (or bare Pod) object. */
export interface Workload {
    /** Labels of the Deployment (or bare Pod) itself, besides ours; the selector labels are refused. */
    labels?: StringMap;
    annotations?: StringMap;
    /**
     * Pods a rollout may add above `replicas`: a count such as "1" or a percentage such as "25%" (a string, as the
     * cross-language schema cannot carry Kubernetes' int-or-string). Default "1". Deployment only.
     */
    maxSurge?: pulumi.Input<string>;
    /**
     * Pods a rollout may take below `replicas`, as `maxSurge`. Default "0": an image or certificate change never
     * leaves fewer ready pods than wanted. Deployment only; not 0 when `maxSurge` is 0.
     */
    maxUnavailable?: pulumi.Input<string>;
    /**
     * A `policy/v1` PodDisruptionBudget allowing one pod at a time to be evicted (`maxUnavailable: 1`), made when the
     * Deployment has more than one replica (or a replica count known only later). Default true.
     */
    podDisruptionBudget?: boolean;
}

/** @deprecated Renamed `Workload`: every SDK adds its own `Args` (Python `WorkloadArgs`). Kept for existing TypeScript programs. */
export type WorkloadArgs = Workload;

export const ROLLOUT_DEFAULTS = { maxSurge: "1", maxUnavailable: "0" } as const;

export const WORKLOAD_DEFAULTS = { kind: WorkloadKind.Deployment, replicas: 1 } as const;

/** The pods of a SidecarWorkload and what they are selected by. */
export interface Pods {
    namespace: pulumi.Input<string>;
    kind: WorkloadKind;
    replicas: pulumi.Input<number>;
    /** The labels the Deployment, the PodDisruptionBudget (and the Service) select the pods by. */
    selector: StringMap;
    spec: k8s.types.input.core.v1.PodSpec;
    /** The pods' own labels and annotations (`pod.labels`, `pod.annotations`). */
    podLabels?: StringMap;
    podAnnotations?: StringMap;
}

/**
 * The Deployment (or bare Pod) running `pods`, and its PodDisruptionBudget when it has more than one replica.
 * Answers with the workload object's name.
 */
export function sidecarPods(name: string, pods: Pods, workload: Workload | undefined, parent: pulumi.Resource): pulumi.Output<string> {
    const { namespace, selector, spec } = pods;
    const workloadName = pods.kind === WorkloadKind.Pod ? barePod(name, pods, workload, parent) : deployment(name, pods, workload, parent);
    if (wantsDisruptionBudget(pods.kind, pods.replicas, workload)) {
        new k8s.policy.v1.PodDisruptionBudget(name, { metadata: { namespace, labels: withUserLabels(selector) }, spec: disruptionBudgetSpec(selector) }, { parent });
    }
    return workloadName;
}

function deployment(name: string, pods: Pods, workload: Workload | undefined, parent: pulumi.Resource): pulumi.Output<string> {
    const { namespace, selector, spec } = pods;
    return new k8s.apps.v1.Deployment(
        name,
        {
            metadata: { namespace, labels: withUserLabels(selector, workload?.labels), annotations: mergedAnnotations(workload?.annotations) },
            spec: {
                replicas: pods.replicas,
                selector: { matchLabels: selector },
                // By default surge, never go below the wanted count: an image or certificate change rolls with no downtime.
                strategy: { type: "RollingUpdate", rollingUpdate: rollingUpdate(workload) },
                template: { metadata: { labels: withUserLabels(selector, pods.podLabels), annotations: mergedAnnotations(pods.podAnnotations) }, spec },
            },
        },
        { parent },
    ).metadata.name;
}

/** A bare Pod is its own template: the workload's metadata and the pod's, the pod's winning. */
function barePod(name: string, pods: Pods, workload: Workload | undefined, parent: pulumi.Resource): pulumi.Output<string> {
    const metadata = {
        namespace: pods.namespace,
        labels: withUserLabels(pods.selector, workload?.labels, pods.podLabels),
        annotations: mergedAnnotations(workload?.annotations, pods.podAnnotations),
    };
    return new k8s.core.v1.Pod(name, { metadata, spec: pods.spec }, { parent }).metadata.name;
}

/** "1" → 1 and "25%" stays "25%", as Kubernetes' int-or-string wants them. */
function intOrPercent(value: pulumi.Input<string | number>): pulumi.Input<number | string> {
    const convert = (v: string | number) => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v);
    return isKnown(value) ? convert(value) : pulumi.output(value).apply(convert);
}

export function rollingUpdate(workload: Workload | undefined): k8s.types.input.apps.v1.RollingUpdateDeployment {
    return { maxUnavailable: intOrPercent(workload?.maxUnavailable ?? ROLLOUT_DEFAULTS.maxUnavailable), maxSurge: intOrPercent(workload?.maxSurge ?? ROLLOUT_DEFAULTS.maxSurge) };
}

/** A Deployment of more than one replica (or of a count not known yet) gets a budget unless it is turned off. */
export function wantsDisruptionBudget(kind: WorkloadKind, replicas: pulumi.Input<number>, workload: Workload | undefined): boolean {
    return kind === WorkloadKind.Deployment && workload?.podDisruptionBudget !== false && (!isKnown(replicas) || replicas > 1);
}

/**
 * At most one of the selected pods unavailable through evictions (a node drain, the cluster autoscaler): with any
 * replica count a drain proceeds one pod at a time. Unhealthy pods may always be evicted, so a crash-looping pod
 * never blocks a drain.
 */
export function disruptionBudgetSpec(selector: StringMap): k8s.types.input.policy.v1.PodDisruptionBudgetSpec {
    return { maxUnavailable: 1, selector: { matchLabels: selector }, unhealthyPodEvictionPolicy: "AlwaysAllow" };
}

/** True for 0, "0" and "0%"; false for anything else, an Output too. */
function isZero(value: unknown): boolean {
    return value === 0 || value === "0" || value === "0%";
}

function checkIntOrPercent(path: string, value: unknown): void {
    const ok = (Number.isInteger(value) && (value as number) >= 0) || (typeof value === "string" && /^\d+%?$/.test(value) && (!value.endsWith("%") || Number.parseInt(value, 10) <= 100));
    if (!ok) {
        throw new ConfigError(path, value, 'a count of pods such as "1" or a percentage of replicas such as "25%" (0% to 100%)');
    }
}

/** Keeps a problem for every malformed field of `workload`, and for rollout settings a bare Pod cannot have. */
export function checkWorkloadArgs(workload: Workload | undefined, kind: WorkloadKind | undefined, problems: Problems): void {
    if (workload === undefined) {
        return;
    }
    checkLabelMap("workload.labels", workload.labels, problems, "labels");
    checkLabelMap("workload.annotations", workload.annotations, problems, "annotations");
    for (const key of ["maxSurge", "maxUnavailable"] as const) {
        const value = workload[key];
        if (value === undefined) continue;
        if (kind === WorkloadKind.Pod) {
            problems.add({ path: `workload.${key}`, value: isKnown(value) ? value : "(an Output)", allowed: 'unset with workloadKind "Pod": a bare Pod is replaced, not rolled' });
        }
        problems.check(() => checked(value, (v) => checkIntOrPercent(`workload.${key}`, v)));
    }
    const surge = workload.maxSurge ?? ROLLOUT_DEFAULTS.maxSurge;
    const unavailable = workload.maxUnavailable ?? ROLLOUT_DEFAULTS.maxUnavailable;
    if (kind !== WorkloadKind.Pod && isZero(surge) && isZero(unavailable)) {
        const key = workload.maxSurge !== undefined ? "maxSurge" : "maxUnavailable";
        const other = key === "maxSurge" ? `workload.maxUnavailable is ${unavailable}` : `workload.maxSurge is ${surge}`;
        problems.add({ path: `workload.${key}`, value: workload[key], allowed: `a value above 0 while ${other}: a rollout could neither add nor remove a pod` });
    }
    checkBoolean("workload.podDisruptionBudget", workload.podDisruptionBudget, problems);
}
