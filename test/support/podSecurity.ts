// The Pod Security Standards (kubernetes.io/docs/concepts/security/pod-security-standards), as the admission
// controller checks a pod spec: what a namespace labelled `pod-security.kubernetes.io/enforce: <level>` would refuse.
// Written from the standard, independently of the component, so the tests do not grade the code by its own rules.

export type Level = "baseline" | "restricted";

const BASELINE_CAPS = ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"];
const RESTRICTED_VOLUMES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];
const SAFE_SYSCTLS = ["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range"];
const CONFINED = ["RuntimeDefault", "Localhost"];

function containers(spec: any): any[] {
    return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
}

function baseline(spec: any): string[] {
    const out: string[] = [];
    for (const flag of ["hostNetwork", "hostPID", "hostIPC"]) {
        if (spec[flag] === true) out.push(`pod: ${flag}`);
    }
    if (spec.securityContext?.seccompProfile?.type === "Unconfined") out.push("pod: seccompProfile Unconfined");
    for (const s of spec.securityContext?.sysctls ?? []) {
        if (!SAFE_SYSCTLS.includes(s.name)) out.push(`pod: sysctl ${s.name}`);
    }
    for (const v of spec.volumes ?? []) {
        if (v.hostPath !== undefined) out.push(`volume ${v.name}: hostPath`);
    }
    for (const c of containers(spec)) {
        const sc = c.securityContext ?? {};
        if (sc.privileged === true) out.push(`${c.name}: privileged`);
        for (const cap of sc.capabilities?.add ?? []) {
            if (!BASELINE_CAPS.includes(cap)) out.push(`${c.name}: adds ${cap}`);
        }
        if (sc.seccompProfile?.type === "Unconfined") out.push(`${c.name}: seccompProfile Unconfined`);
        if (sc.procMount !== undefined && sc.procMount !== "Default") out.push(`${c.name}: procMount ${sc.procMount}`);
        for (const p of c.ports ?? []) {
            if (p.hostPort !== undefined && p.hostPort !== 0) out.push(`${c.name}: hostPort ${p.hostPort}`);
        }
    }
    return out;
}

function restricted(spec: any): string[] {
    const out: string[] = [];
    const pod = spec.securityContext ?? {};
    for (const v of spec.volumes ?? []) {
        const type = Object.keys(v).find((k) => k !== "name");
        if (type === undefined || !RESTRICTED_VOLUMES.includes(type)) out.push(`volume ${v.name}: type ${type}`);
    }
    if (pod.runAsNonRoot === false) out.push("pod: runAsNonRoot false");
    if (pod.runAsUser === 0) out.push("pod: runAsUser 0");
    for (const c of containers(spec)) {
        const sc = c.securityContext ?? {};
        if (sc.allowPrivilegeEscalation !== false) out.push(`${c.name}: allowPrivilegeEscalation not false`);
        const nonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
        if (nonRoot !== true) out.push(`${c.name}: runAsNonRoot not true`);
        if (sc.runAsUser === 0) out.push(`${c.name}: runAsUser 0`);
        const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
        if (!CONFINED.includes(seccomp)) out.push(`${c.name}: seccompProfile ${seccomp ?? "unset"}`);
        if (!(sc.capabilities?.drop ?? []).includes("ALL")) out.push(`${c.name}: does not drop ALL`);
        for (const cap of sc.capabilities?.add ?? []) {
            if (cap !== "NET_BIND_SERVICE") out.push(`${c.name}: adds ${cap}`);
        }
    }
    return out;
}

/** What the level forbids in this pod spec, one line each; empty when a namespace enforcing it admits the pod. */
export function violations(spec: any, level: Level): string[] {
    return level === "baseline" ? baseline(spec) : [...baseline(spec), ...restricted(spec)];
}
