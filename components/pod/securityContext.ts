// Security contexts for the app container and the pod: the arguments, and what each Pod Security profile makes of
// them. The refusals (values a profile forbids) are in podSecurityValidation.ts.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PodSecurityProfile, SeccompProfileType } from "../enums";

export interface SeccompProfile {
    type: SeccompProfileType;
    /** With `Localhost` (and only then): the profile's path, relative to the kubelet's seccomp directory. */
    localhostProfile?: pulumi.Input<string>;
}

/** @deprecated Renamed `SeccompProfile`: every SDK adds its own `Args` (Python `SeccompProfileArgs`). Kept for existing TypeScript programs. */
export type SeccompProfileArgs = SeccompProfile;

/** Linux capabilities by name without the `CAP_` prefix, e.g. "NET_BIND_SERVICE". Plain lists: profiles check them. */
export interface Capabilities {
    add?: string[];
    drop?: string[];
}

/** @deprecated Renamed `Capabilities`: every SDK adds its own `Args` (Python `CapabilitiesArgs`). Kept for existing TypeScript programs. */
export type CapabilitiesArgs = Capabilities;

/**
 * The app container's security context. Booleans and capabilities are plain values because a Pod Security profile
 * checks them before anything is created.
 */
export interface ContainerSecurityContext {
    /** UID to run the app as. Set it with `PodSecurityProfile.Restricted` when the image has no non-root `USER`. */
    runAsUser?: pulumi.Input<number>;
    runAsGroup?: pulumi.Input<number>;
    /** The kubelet refuses to start the container if it would run as UID 0. Default: true with `Restricted`. */
    runAsNonRoot?: boolean;
    /** Default: false with `Restricted`. */
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    /** Forbidden (true) by `Baseline` and `Restricted`. */
    privileged?: boolean;
    /** Default with `Restricted`: drop ALL. */
    capabilities?: Capabilities;
    /** Default with `Restricted`: RuntimeDefault. */
    seccompProfile?: SeccompProfile;
}

/** @deprecated Renamed `ContainerSecurityContext`: every SDK adds its own `Args` (Python `ContainerSecurityContextArgs`). Kept for existing TypeScript programs. */
export type ContainerSecurityContextArgs = ContainerSecurityContext;

/** Pod-level security settings: they apply to every container that does not set its own. */
export interface PodSecurityContext {
    runAsUser?: pulumi.Input<number>;
    runAsGroup?: pulumi.Input<number>;
    /** Default: true with `Restricted`. */
    runAsNonRoot?: boolean;
    /** Group that owns the pod's volumes (and files the app writes to them). */
    fsGroup?: pulumi.Input<number>;
    supplementalGroups?: pulumi.Input<number>[];
    /** Default with `Restricted`: RuntimeDefault. */
    seccompProfile?: SeccompProfile;
}

/** @deprecated Renamed `PodSecurityContext`: every SDK adds its own `Args` (Python `PodSecurityContextArgs`). Kept for existing TypeScript programs. */
export type PodSecurityContextArgs = PodSecurityContext;

const RUNTIME_DEFAULT = { type: SeccompProfileType.RuntimeDefault };

/** Leaves out unset fields, so a profile's defaults are only overridden by values actually given. */
function given<T extends object>(value: T | undefined): Partial<T> {
    return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The app container's security context: as given, plus what `restricted` requires. Undefined when there is none. */
export function appSecurityContext(profile: PodSecurityProfile, args: ContainerSecurityContext | undefined): k8s.types.input.core.v1.SecurityContext | undefined {
    if (profile !== PodSecurityProfile.Restricted) {
        return args;
    }
    const own = given(args);
    return {
        allowPrivilegeEscalation: false,
        runAsNonRoot: true,
        seccompProfile: RUNTIME_DEFAULT,
        ...own,
        capabilities: { ...given(own.capabilities), drop: own.capabilities?.drop ?? ["ALL"] },
    };
}

/** The pod's security context: as given, plus what `restricted` requires at pod level. Undefined when there is none. */
export function podSecurityContext(profile: PodSecurityProfile, args: PodSecurityContext | undefined): k8s.types.input.core.v1.PodSecurityContext | undefined {
    if (profile !== PodSecurityProfile.Restricted) {
        return args;
    }
    return { runAsNonRoot: true, seccompProfile: RUNTIME_DEFAULT, ...given(args) };
}
