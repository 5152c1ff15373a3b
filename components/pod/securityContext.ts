// Security contexts for the app container and the pod: the arguments, what each Pod Security profile makes of them,
// and, at the foot, what a profile forbids: a pod the API server would reject in a namespace enforcing that level is
// better refused here, before anything is created, with what to use instead.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { InterceptionMode, PodSecurityProfile, SeccompProfileType } from "../enums";
import { checkBoolean, checked, checkEnum, checkIntegerRange, checkNonEmptyString, ConfigError, isKnown, Problems } from "../validation";

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

/** Capabilities Pod Security `baseline` lets a container add (the container runtimes' defaults). */
export const BASELINE_CAPABILITIES = ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"];
/** The one capability `restricted` lets a container add. */
export const RESTRICTED_CAPABILITIES = ["NET_BIND_SERVICE"];

const MAX_ID = 2147483647;

export interface PodSecurityArgs {
    podSecurity?: PodSecurityProfile;
    interception?: InterceptionMode;
    app: { securityContext?: ContainerSecurityContext };
    podSecurityContext?: PodSecurityContext;
}

/** Throws one ConfigError naming every value that is malformed, or that the chosen profile forbids. */
export function validatePodSecurity(args: PodSecurityArgs): void {
    const problems = new Problems();
    if (args.podSecurity !== undefined && !problems.check(() => checkEnum("podSecurity", args.podSecurity, PodSecurityProfile))) {
        problems.throwIfAny();
    }
    const profile = args.podSecurity ?? PodSecurityProfile.None;
    const rule = new ProfileRules(profile, problems);
    const interception = args.interception ?? InterceptionMode.Iptables;
    if (profile !== PodSecurityProfile.None && interception === InterceptionMode.Iptables) {
        problems.add({
            path: "interception",
            value: interception,
            allowed: `"service" with podSecurity "${profile}" (iptables is the default): the iptables init container adds NET_ADMIN (and NET_RAW), which Pod Security baseline and restricted forbid; use interception: service`,
        });
    }
    const app = args.app.securityContext;
    if (app !== undefined) {
        const at = "app.securityContext";
        rule.ids(at, { runAsUser: app.runAsUser, runAsGroup: app.runAsGroup });
        rule.booleans(at, { runAsNonRoot: app.runAsNonRoot, allowPrivilegeEscalation: app.allowPrivilegeEscalation, readOnlyRootFilesystem: app.readOnlyRootFilesystem, privileged: app.privileged });
        rule.nonRoot(at, app.runAsUser, app.runAsNonRoot);
        rule.forbid(`${at}.allowPrivilegeEscalation`, app.allowPrivilegeEscalation === true, PodSecurityProfile.Restricted, "false or unset");
        rule.forbid(`${at}.privileged`, app.privileged === true, PodSecurityProfile.Baseline, "false or unset");
        rule.capabilities(`${at}.capabilities`, app.capabilities);
        rule.seccomp(`${at}.seccompProfile`, app.seccompProfile);
    }
    const pod = args.podSecurityContext;
    if (pod !== undefined) {
        const at = "podSecurityContext";
        rule.ids(at, { runAsUser: pod.runAsUser, runAsGroup: pod.runAsGroup, fsGroup: pod.fsGroup });
        (pod.supplementalGroups ?? []).forEach((g, i) => rule.ids(at, { [`supplementalGroups[${i}]`]: g }));
        rule.booleans(at, { runAsNonRoot: pod.runAsNonRoot });
        rule.nonRoot(at, pod.runAsUser, pod.runAsNonRoot);
        rule.seccomp(`${at}.seccompProfile`, pod.seccompProfile);
    }
    problems.throwIfAny();
}

/** The checks of one profile, each keeping its problems. */
class ProfileRules {
    constructor(
        private readonly profile: PodSecurityProfile,
        private readonly problems: Problems,
    ) {}

    /** True when the profile is `level` or stricter. */
    private atLeast(level: PodSecurityProfile): boolean {
        const order = [PodSecurityProfile.None, PodSecurityProfile.Baseline, PodSecurityProfile.Restricted];
        return order.indexOf(this.profile) >= order.indexOf(level);
    }

    /** `value` (a bad one when `bad`) is forbidden from profile `level` on. */
    forbid(path: string, bad: boolean, level: PodSecurityProfile, allowed: string, value: unknown = true): void {
        if (bad && this.atLeast(level)) {
            this.problems.add({ path, value, allowed: `${allowed} with podSecurity "${this.profile}"` });
        }
    }

    ids(at: string, ids: Record<string, unknown>): void {
        for (const [key, id] of Object.entries(ids)) {
            if (id !== undefined) this.problems.check(() => checked(id, (v) => checkIntegerRange(`${at}.${key}`, v, 0, MAX_ID, " (a Linux user or group ID)")));
        }
    }

    booleans(at: string, flags: Record<string, unknown>): void {
        for (const [key, flag] of Object.entries(flags)) {
            checkBoolean(`${at}.${key}`, flag, this.problems);
        }
    }

    /** `restricted` runs no container as root: runAsNonRoot must stay true and runAsUser must not be 0. */
    nonRoot(at: string, runAsUser: unknown, runAsNonRoot: boolean | undefined): void {
        this.forbid(`${at}.runAsNonRoot`, runAsNonRoot === false, PodSecurityProfile.Restricted, "true or unset", false);
        if (runAsUser === undefined || !this.atLeast(PodSecurityProfile.Restricted)) {
            return;
        }
        const allowed = `a UID other than 0 with podSecurity "${this.profile}" (it runs no container as root): the UID of your image's non-root user`;
        this.problems.check(() =>
            checked(runAsUser, (v) => {
                if (v === 0) throw new ConfigError(`${at}.runAsUser`, v, allowed);
            }),
        );
    }

    capabilities(at: string, caps: Capabilities | undefined): void {
        const name = /^[A-Z][A-Z0-9_]*$/;
        for (const list of ["add", "drop"] as const) {
            (caps?.[list] ?? []).forEach((cap, i) => {
                if (typeof cap !== "string" || !name.test(cap)) this.problems.add({ path: `${at}.${list}[${i}]`, value: cap, allowed: 'a capability name without "CAP_", e.g. "NET_BIND_SERVICE"' });
            });
        }
        const allowedAdd = this.atLeast(PodSecurityProfile.Restricted) ? RESTRICTED_CAPABILITIES : BASELINE_CAPABILITIES;
        (caps?.add ?? []).forEach((cap, i) => {
            this.forbid(`${at}.add[${i}]`, !allowedAdd.includes(cap), PodSecurityProfile.Baseline, `one of ${allowedAdd.join(", ")}`, cap);
        });
        const drop = caps?.drop;
        this.forbid(`${at}.drop`, drop !== undefined && !drop.includes("ALL"), PodSecurityProfile.Restricted, 'a list that includes "ALL" (or unset: ALL is dropped)', drop);
    }

    seccomp(at: string, profile: SeccompProfile | undefined): void {
        if (profile === undefined) {
            return;
        }
        if (!this.problems.check(() => checkEnum(`${at}.type`, profile.type, SeccompProfileType))) {
            return;
        }
        this.forbid(`${at}.type`, profile.type === SeccompProfileType.Unconfined, PodSecurityProfile.Baseline, '"RuntimeDefault" or "Localhost"', profile.type);
        if (profile.type === SeccompProfileType.Localhost) {
            if (profile.localhostProfile === undefined) {
                this.problems.add({ path: `${at}.localhostProfile`, value: undefined, allowed: 'the profile\'s path, relative to the kubelet\'s seccomp directory: type "Localhost" needs one' });
            } else {
                this.problems.check(() => checked(profile.localhostProfile!, (v) => checkNonEmptyString(`${at}.localhostProfile`, v)));
            }
        } else if (profile.localhostProfile !== undefined) {
            this.problems.add({ path: `${at}.localhostProfile`, value: isKnown(profile.localhostProfile) ? profile.localhostProfile : "(an Output)", allowed: 'unset unless type is "Localhost"' });
        }
    }
}
