// The labels the component puts on what it creates, and the checks of labels and annotations users add: keys are
// Kubernetes qualified names, label values at most 63 characters, and our selector labels stay ours.
import * as pulumi from "@pulumi/pulumi";
import { checked, ConfigError, Problems } from "../validation";

export const NAME_LABEL = "app.kubernetes.io/name";
export const INSTANCE_LABEL = "app.kubernetes.io/instance";
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
/** The labels the Service, the Deployment and the PodDisruptionBudget select the pods by: never set by users. */
export const SELECTOR_LABELS = [NAME_LABEL, INSTANCE_LABEL];

export type StringMap = { [key: string]: pulumi.Input<string> };

/** `app.kubernetes.io/name` is the Service's name, `app.kubernetes.io/instance` the component's. */
export function selectorLabels(serviceName: pulumi.Input<string>, instance: string): StringMap {
    return { [NAME_LABEL]: serviceName, [INSTANCE_LABEL]: instance };
}

/** Ours, with the user's: the selector labels always win (users cannot set them), `managed-by` is theirs to change. */
export function withUserLabels(selector: StringMap, ...user: (StringMap | undefined)[]): StringMap {
    return Object.assign({ [MANAGED_BY_LABEL]: "tls-sidecar" }, ...user, selector);
}

/** Annotations from several maps, later ones winning; undefined when there are none. */
export function mergedAnnotations(...maps: (StringMap | undefined)[]): StringMap | undefined {
    const merged = Object.assign({}, ...maps.filter((m) => m !== undefined));
    return Object.keys(merged).length > 0 ? merged : undefined;
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A label or annotation key: `[prefix/]name`, the prefix a DNS subdomain, the name at most 63 characters. */
export function checkQualifiedName(path: string, key: unknown): void {
    if (typeof key !== "string") {
        throw new ConfigError(path, key, 'a key such as "team" or "example.com/team"');
    }
    const slash = key.lastIndexOf("/");
    const prefix = slash < 0 ? undefined : key.slice(0, slash);
    const name = slash < 0 ? key : key.slice(slash + 1);
    const ok = name.length <= 63 && NAME.test(name) && (prefix === undefined || (prefix.length <= 253 && PREFIX.test(prefix)));
    if (!ok) {
        throw new ConfigError(path, key, 'a key such as "team" or "example.com/team": an optional DNS-subdomain prefix and "/", then at most 63 letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit');
    }
}

export function checkLabelValue(path: string, value: unknown): void {
    if (typeof value !== "string" || value.length > 63 || (value !== "" && !NAME.test(value))) {
        throw new ConfigError(path, value, "a label value: at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit (or empty)");
    }
}

/** `pod.labels["team"]`. */
export function entryPath(path: string, key: string): string {
    return `${path}[${JSON.stringify(key)}]`;
}

/**
 * A map of `labels` to put on an object (the selector labels refused: the Service, the Deployment and the
 * PodDisruptionBudget select our pods by them), of label values to `select` by, or of `annotations` (free text).
 */
export function checkLabelMap(path: string, map: StringMap | undefined, problems: Problems, kind: "labels" | "select" | "annotations" = "labels"): void {
    if (map === undefined) {
        return;
    }
    if (typeof map !== "object" || map === null || Array.isArray(map)) {
        problems.add({ path, value: map, allowed: 'a map of keys to strings, e.g. { team: "shop" }' });
        return;
    }
    for (const [key, value] of Object.entries(map)) {
        const at = entryPath(path, key);
        problems.check(() => checkQualifiedName(at, key));
        if (kind === "labels" && SELECTOR_LABELS.includes(key)) {
            problems.add({
                path: at,
                value,
                allowed: `no value: ${key} is a selector label the component sets (the Service, the Deployment and the PodDisruptionBudget select the pods by ${SELECTOR_LABELS.join(" and ")}); use a label of your own`,
            });
        }
        if (kind === "annotations") {
            problems.check(() => checked(value, (v) => typeof v === "string" || failString(at, v)));
        } else {
            problems.check(() => checked(value, (v) => checkLabelValue(at, v)));
        }
    }
}

function failString(path: string, value: unknown): never {
    throw new ConfigError(path, value, "a string");
}
