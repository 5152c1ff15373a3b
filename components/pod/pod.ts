// The pod around the containers: its identity (service account, image pull secrets), its metadata (labels and
// annotations, the selector labels kept ours), where it may run (see scheduling.ts) and the app's volumes.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkLabelMap, StringMap } from "./labels";
import { Affinity, checkScheduling, schedulingFields, Toleration, TopologySpreadConstraint } from "./scheduling";
import { checked, checkObjectName, Problems } from "../validation";
import { Volume } from "./volumes";

/** The pod template (or the bare Pod): who it runs as, what it carries, where it may run. */
export interface Pod {
    /** The ServiceAccount the pod runs as, in its namespace. Default: the namespace's `default`. */
    serviceAccountName?: pulumi.Input<string>;
    /** Secrets (type `kubernetes.io/dockerconfigjson`) the kubelet pulls every image of the pod with: the app's and the sidecars'. */
    imagePullSecrets?: pulumi.Input<string>[];
    /** Labels of the pods, besides ours; `app.kubernetes.io/name` and `app.kubernetes.io/instance` are refused (the selector). */
    labels?: StringMap;
    annotations?: StringMap;
    /** Node labels the pod's node must have, e.g. { "kubernetes.io/os": "linux" }. */
    nodeSelector?: StringMap;
    tolerations?: Toleration[];
    affinity?: Affinity;
    topologySpreadConstraints?: TopologySpreadConstraint[];
    /** A PriorityClass of the cluster. */
    priorityClassName?: pulumi.Input<string>;
    /** Volumes for the app (`app.volumeMounts`): emptyDir, configMap, secret, persistentVolumeClaim. */
    volumes?: Volume[];
}

/** @deprecated Renamed `Pod`: every SDK adds its own `Args` (Python `PodArgs`). Kept for existing TypeScript programs. */
export type PodArgs = Pod;

type PodSpecInput = k8s.types.input.core.v1.PodSpec;

/** Empty lists and maps are left out: a pod given none has no such fields, and a stack that sets none does not roll. */
function list<T>(values: T[] | undefined): T[] | undefined {
    return values === undefined || values.length === 0 ? undefined : values;
}

function map(values: StringMap | undefined): StringMap | undefined {
    return values === undefined || Object.keys(values).length === 0 ? undefined : values;
}

/** The pod spec's fields from `pod` (but the volumes, which podSpec puts beside its own); `selector`: our pods. */
export function podFields(pod: Pod | undefined, selector: StringMap): Partial<PodSpecInput> {
    const given = pod ?? {};
    const fields: Partial<PodSpecInput> = {
        serviceAccountName: given.serviceAccountName,
        imagePullSecrets: list(given.imagePullSecrets)?.map((name) => ({ name })),
        nodeSelector: map(given.nodeSelector),
        priorityClassName: given.priorityClassName,
        ...schedulingFields({ tolerations: list(given.tolerations), affinity: given.affinity, topologySpreadConstraints: list(given.topologySpreadConstraints) }, selector),
    };
    return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

/** Keeps a problem for every malformed field of `pod` but its volumes (checked with the mounts, see volumes.ts). */
export function checkPodArgs(pod: Pod | undefined, problems: Problems): void {
    if (pod === undefined) {
        return;
    }
    if (pod.serviceAccountName !== undefined) problems.check(() => checked(pod.serviceAccountName!, (v) => checkObjectName("pod.serviceAccountName", v)));
    if (pod.priorityClassName !== undefined) problems.check(() => checked(pod.priorityClassName!, (v) => checkObjectName("pod.priorityClassName", v)));
    (pod.imagePullSecrets ?? []).forEach((s, i) => problems.check(() => checked(s, (v) => checkObjectName(`pod.imagePullSecrets[${i}]`, v))));
    checkLabelMap("pod.labels", pod.labels, problems, "labels");
    checkLabelMap("pod.annotations", pod.annotations, problems, "annotations");
    checkLabelMap("pod.nodeSelector", pod.nodeSelector, problems, "select");
    checkScheduling(pod, problems);
}
