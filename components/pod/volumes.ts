// The app's own volumes (pod-level `volumes`) and where the app mounts them. Volume names starting `tls-sidecar-` are
// the component's (the proxy's certificate Secret, the tunnel's CA), so the app can neither shadow nor mount them: the
// proxy's private key stays out of the app container. Mount paths stay clear of the sidecars' own.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StorageMedium } from "../enums";
import { checked, checkDnsLabel, checkEnum, checkIntegerRange, checkNonEmptyString, checkObjectName, ConfigError, Problems } from "../validation";
import { checkQuantity } from "./quantity";

/** Scratch space that lives as long as the pod. */
export interface EmptyDirVolume {
    /** Default: the node's disk. */
    medium?: StorageMedium;
    /** A quantity such as "1Gi". */
    sizeLimit?: pulumi.Input<string>;
}

/** @deprecated Renamed `EmptyDirVolume`: every SDK adds its own `Args` (Python `EmptyDirVolumeArgs`). Kept for existing TypeScript programs. */
export type EmptyDirVolumeArgs = EmptyDirVolume;

/** One key of a ConfigMap or Secret, as a file. */
export interface KeyToPath {
    key: pulumi.Input<string>;
    /** Relative path of the file in the volume. */
    path: pulumi.Input<string>;
    /** File mode, e.g. 0o440. */
    mode?: pulumi.Input<number>;
}

/** @deprecated Renamed `KeyToPath`: every SDK adds its own `Args` (Python `KeyToPathArgs`). Kept for existing TypeScript programs. */
export type KeyToPathArgs = KeyToPath;

export interface ConfigMapVolume {
    /** The ConfigMap, in the pod's namespace. */
    name: pulumi.Input<string>;
    /** Default: every key, each as a file named after it. */
    items?: KeyToPath[];
    /** Default 0o644. */
    defaultMode?: pulumi.Input<number>;
    optional?: boolean;
}

/** @deprecated Renamed `ConfigMapVolume`: every SDK adds its own `Args` (Python `ConfigMapVolumeArgs`). Kept for existing TypeScript programs. */
export type ConfigMapVolumeArgs = ConfigMapVolume;

export interface SecretVolume {
    /** The Secret, in the pod's namespace. */
    secretName: pulumi.Input<string>;
    items?: KeyToPath[];
    defaultMode?: pulumi.Input<number>;
    optional?: boolean;
}

/** @deprecated Renamed `SecretVolume`: every SDK adds its own `Args` (Python `SecretVolumeArgs`). Kept for existing TypeScript programs. */
export type SecretVolumeArgs = SecretVolume;

export interface PersistentVolumeClaimVolume {
    /** The claim, in the pod's namespace. */
    claimName: pulumi.Input<string>;
    readOnly?: boolean;
}

/** @deprecated Renamed `PersistentVolumeClaimVolume`: every SDK adds its own `Args` (Python `PersistentVolumeClaimVolumeArgs`). Kept for existing TypeScript programs. */
export type PersistentVolumeClaimVolumeArgs = PersistentVolumeClaimVolume;

/** A volume of the pod, for the app: `name` and exactly one source. */
export interface Volume {
    /** A DNS-1123 label, not starting with "tls-sidecar-" (the component's own volumes). A plain string: mounts refer to it. */
    name: string;
    emptyDir?: EmptyDirVolume;
    configMap?: ConfigMapVolume;
    secret?: SecretVolume;
    persistentVolumeClaim?: PersistentVolumeClaimVolume;
}

/** @deprecated Renamed `Volume`: every SDK adds its own `Args` (Python `VolumeArgs`). Kept for existing TypeScript programs. */
export type VolumeArgs = Volume;

/** Where the app container sees one of `pod.volumes`. */
export interface VolumeMount {
    /** The name of a volume in `pod.volumes`. */
    name: string;
    /** An absolute path, unique in the app container, outside the sidecars' own mount paths. */
    mountPath: string;
    readOnly?: boolean;
    /** A path inside the volume to mount instead of its root (such mounts never see updates of a ConfigMap or Secret). */
    subPath?: pulumi.Input<string>;
}

/** @deprecated Renamed `VolumeMount`: every SDK adds its own `Args` (Python `VolumeMountArgs`). Kept for existing TypeScript programs. */
export type VolumeMountArgs = VolumeMount;

export const RESERVED_VOLUME_PREFIX = "tls-sidecar-";
/** The sidecars' own volumes and where they mount them (the proxy's TLS directory, cloudflared's origin CA). */
export interface SidecarMounts {
    volumes: string[];
    paths: string[];
}

const SOURCES = ["emptyDir", "configMap", "secret", "persistentVolumeClaim"] as const;

export function renderVolumes(volumes: Volume[] | undefined): k8s.types.input.core.v1.Volume[] {
    return volumes ?? [];
}

export function renderVolumeMounts(mounts: VolumeMount[] | undefined): k8s.types.input.core.v1.VolumeMount[] | undefined {
    return mounts === undefined || mounts.length === 0 ? undefined : mounts;
}

/** `a/b` inside a volume: relative, no `..`. */
function checkRelativePath(path: string, value: unknown): void {
    if (typeof value !== "string" || value === "" || value.startsWith("/") || value.split("/").includes("..")) {
        throw new ConfigError(path, value, 'a relative path without "..", e.g. "config/app.yaml"');
    }
}

function checkMode(path: string, value: pulumi.Input<number> | undefined, problems: Problems): void {
    if (value !== undefined) problems.check(() => checked(value, (v) => checkIntegerRange(path, v, 0, 0o777, " (a file mode such as 0o644, i.e. 420)")));
}

function checkItems(path: string, items: KeyToPath[] | undefined, problems: Problems): void {
    (items ?? []).forEach((item, i) => {
        problems.check(() => checked(item.key, (v) => checkNonEmptyString(`${path}[${i}].key`, v)));
        problems.check(() => checked(item.path, (v) => checkRelativePath(`${path}[${i}].path`, v)));
        checkMode(`${path}[${i}].mode`, item.mode, problems);
    });
}

function checkSource(at: string, v: Volume, problems: Problems): void {
    const given = SOURCES.filter((s) => v[s] !== undefined);
    if (given.length !== 1) {
        problems.add({ path: at, value: given, allowed: `exactly one of ${SOURCES.join(", ")}` });
    }
    if (v.emptyDir?.medium !== undefined) problems.check(() => checkEnum(`${at}.emptyDir.medium`, v.emptyDir!.medium, StorageMedium));
    if (v.emptyDir?.sizeLimit !== undefined) problems.check(() => checked(v.emptyDir!.sizeLimit!, (s) => checkQuantity(`${at}.emptyDir.sizeLimit`, s)));
    if (v.configMap !== undefined) {
        problems.check(() => checked(v.configMap!.name, (s) => checkObjectName(`${at}.configMap.name`, s)));
        checkItems(`${at}.configMap.items`, v.configMap.items, problems);
        checkMode(`${at}.configMap.defaultMode`, v.configMap.defaultMode, problems);
    }
    if (v.secret !== undefined) {
        problems.check(() => checked(v.secret!.secretName, (s) => checkObjectName(`${at}.secret.secretName`, s)));
        checkItems(`${at}.secret.items`, v.secret.items, problems);
        checkMode(`${at}.secret.defaultMode`, v.secret.defaultMode, problems);
    }
    if (v.persistentVolumeClaim !== undefined) {
        problems.check(() => checked(v.persistentVolumeClaim!.claimName, (s) => checkObjectName(`${at}.persistentVolumeClaim.claimName`, s)));
    }
}

/** `pod.volumes` and `app.volumeMounts`: names and paths valid, unique, clear of the component's, mounts of declared volumes. */
export function checkVolumes(volumes: Volume[] | undefined, mounts: VolumeMount[] | undefined, sidecars: SidecarMounts, problems: Problems): void {
    const names: string[] = [];
    (volumes ?? []).forEach((v, i) => {
        const at = `pod.volumes[${i}]`;
        const named = problems.check(() => checkDnsLabel(`${at}.name`, v.name));
        if (named && v.name.startsWith(RESERVED_VOLUME_PREFIX)) {
            problems.add({ path: `${at}.name`, value: v.name, allowed: `a name not starting with "${RESERVED_VOLUME_PREFIX}": ${sidecars.volumes.join(" and ")} are the component's own` });
        } else if (named && names.includes(v.name)) {
            problems.add({ path: `${at}.name`, value: v.name, allowed: "a name no other volume of pod.volumes has" });
        }
        names.push(v.name);
        checkSource(at, v, problems);
    });
    const paths: string[] = [];
    (mounts ?? []).forEach((m, i) => {
        const at = `app.volumeMounts[${i}]`;
        if (!names.includes(m.name)) {
            const ours = typeof m.name === "string" && m.name.startsWith(RESERVED_VOLUME_PREFIX) ? " (the component's volumes stay out of the app: the proxy's key is in one)" : "";
            problems.add({ path: `${at}.name`, value: m.name, allowed: `the name of a volume in pod.volumes${names.length > 0 ? ` (${names.join(", ")})` : ", which has none"}${ours}` });
        }
        checkMountPath(`${at}.mountPath`, m.mountPath, paths, sidecars.paths, problems);
        if (m.subPath !== undefined) problems.check(() => checked(m.subPath!, (s) => checkRelativePath(`${at}.subPath`, s)));
    });
}

function checkMountPath(path: string, value: unknown, seen: string[], sidecarPaths: string[], problems: Problems): void {
    if (typeof value !== "string" || !value.startsWith("/")) {
        problems.add({ path, value, allowed: 'an absolute path such as "/var/cache/app"' });
        return;
    }
    const clean = value.replace(/\/+$/, "") || "/";
    const sidecar = sidecarPaths.find((p) => clean === p || clean.startsWith(`${p}/`));
    if (sidecar !== undefined) {
        problems.add({ path, value, allowed: `a path outside ${sidecar}, where a sidecar mounts its certificates (so that a path means one thing in every container of the pod)` });
    } else if (seen.includes(clean)) {
        problems.add({ path, value, allowed: "a path no other mount of app.volumeMounts has (Kubernetes refuses two at one path)" });
    }
    seen.push(clean);
}
