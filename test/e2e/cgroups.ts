// A pod's processes as the node sees them (this machine is the node): found by their cgroup path, which holds the
// pod's UID (cgroup v1, the kubelet's cgroupfs driver), and their name; their open-file limit, and the
// figures of a container's memory cgroup (the limit the kubelet set, the peak usage, how often the limit was hit).
import { existsSync, readdirSync, readFileSync } from "node:fs";

/** PIDs of the processes whose /proc/<pid>/cgroup satisfies `match` (given the file and the PID). */
export function pidsWhere(match: (cgroup: string, pid: number) => boolean): number[] {
    const found: number[] = [];
    for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            if (match(readFileSync(`/proc/${entry}/cgroup`, "utf8"), Number(entry))) found.push(Number(entry));
        } catch {
            // the process exited while we looked
        }
    }
    return found;
}

/**
 * The PIDs of a pod's processes named `comm` (e.g. "pause", its sandbox), whichever container runs them now. By
 * /proc/<pid>/comm, not cmdline: reading cmdline takes the process' memory map lock, which a process in
 * reclaim at its memory limit can hold, and these reads are synchronous.
 */
export function pidsOfPod(podUid: string, comm: string): number[] {
    const uid = podUid.replace(/-/g, "_"); // cgroupfs keeps the dashes, systemd turns them into underscores
    const named = (pid: number) => readFileSync(`/proc/${pid}/comm`, "utf8").trim() === comm;
    return pidsWhere((cgroup, pid) => (cgroup.includes(`pod${podUid}`) || cgroup.includes(`pod${uid}`)) && named(pid));
}

/** RLIMIT_NOFILE of a process (/proc/<pid>/limits). */
export function openFileLimit(pid: number): { soft: number; hard: number } {
    const line = readFileSync(`/proc/${pid}/limits`, "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const m = /^Max open files\s+(\S+)\s+(\S+)/.exec(line ?? "");
    if (m === null) throw new Error(`no "Max open files" in /proc/${pid}/limits`);
    const n = (v: string) => (v === "unlimited" ? Infinity : Number(v));
    return { soft: n(m[1]), hard: n(m[2]) };
}

export interface CgroupMemory {
    limitBytes: number;
    usageBytes: number;
    /** The highest usage since the cgroup was made (a restarted container gets a new one). */
    peakBytes: number;
    /** Times usage hit the limit. */
    failcnt: number;
}

/** The memory cgroup (v1) of process `pid`, or undefined when the node has no such hierarchy. */
export function memoryOf(pid: number): CgroupMemory | undefined {
    const path = readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n").map((l) => l.split(":")).find((f) => f[1] === "memory")?.[2];
    const dir = `/sys/fs/cgroup/memory${path}`;
    if (path === undefined || !existsSync(`${dir}/memory.limit_in_bytes`)) return undefined;
    const num = (file: string) => Number(readFileSync(`${dir}/${file}`, "utf8").trim());
    return {
        limitBytes: num("memory.limit_in_bytes"),
        usageBytes: num("memory.usage_in_bytes"),
        peakBytes: num("memory.max_usage_in_bytes"),
        failcnt: num("memory.failcnt"),
    };
}
