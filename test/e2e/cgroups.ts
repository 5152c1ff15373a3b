// A pod's processes as the node sees them (this machine is the node): found by their cgroup path, which holds the
// pod's UID (cgroup v1, the kubelet's cgroupfs driver), and their name; their open-file limit, and the
// figures of a container's memory cgroup (the limit the kubelet set, the peak usage, how often the limit was hit).
// Every read is asynchronous: a read of /proc or /sys/fs/cgroup can wait on a kernel lock (a container torn down
// after an OOM kill, a process in reclaim), and must not stall the clients sharing this event loop.
import { readdir, readFile } from "node:fs/promises";

/** PIDs of the processes whose /proc/<pid>/cgroup satisfies `match` (given the file and the PID). */
export async function pidsWhere(match: (cgroup: string, pid: number) => boolean | Promise<boolean>): Promise<number[]> {
    const pids = (await readdir("/proc")).filter((e) => /^\d+$/.test(e)).map(Number);
    const matches = await Promise.all(pids.map(async (pid) => {
        try {
            return await match(await readFile(`/proc/${pid}/cgroup`, "utf8"), pid);
        } catch {
            return false; // the process exited while we looked
        }
    }));
    return pids.filter((_, i) => matches[i]);
}

/**
 * The PIDs of a pod's processes named `comm` (e.g. "pause", its sandbox), whichever container runs them now. By
 * /proc/<pid>/comm, not cmdline: reading cmdline takes the process' memory map lock, which a process in
 * reclaim at its memory limit can hold, and these reads are synchronous.
 */
export function pidsOfPod(podUid: string, comm: string): Promise<number[]> {
    const uid = podUid.replace(/-/g, "_"); // cgroupfs keeps the dashes, systemd turns them into underscores
    const named = async (pid: number) => (await readFile(`/proc/${pid}/comm`, "utf8")).trim() === comm;
    return pidsWhere(async (cgroup, pid) => (cgroup.includes(`pod${podUid}`) || cgroup.includes(`pod${uid}`)) && named(pid));
}

/** RLIMIT_NOFILE of a process (/proc/<pid>/limits). */
export async function openFileLimit(pid: number): Promise<{ soft: number; hard: number }> {
    const line = (await readFile(`/proc/${pid}/limits`, "utf8")).split("\n").find((l) => l.startsWith("Max open files"));
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
export async function memoryOf(pid: number): Promise<CgroupMemory | undefined> {
    const path = (await readFile(`/proc/${pid}/cgroup`, "utf8")).split("\n").map((l) => l.split(":")).find((f) => f[1] === "memory")?.[2];
    if (path === undefined) return undefined;
    const num = async (file: string) => Number((await readFile(`/sys/fs/cgroup/memory${path}/${file}`, "utf8")).trim());
    try {
        const [limitBytes, usageBytes, peakBytes, failcnt] = await Promise.all(
            ["memory.limit_in_bytes", "memory.usage_in_bytes", "memory.max_usage_in_bytes", "memory.failcnt"].map(num));
        return { limitBytes, usageBytes, peakBytes, failcnt };
    } catch {
        return undefined; // no such hierarchy on this node, or the container is gone
    }
}
