//! The memory the process may use: its cgroup's limit (a container's `resources.limits.memory`), read once
//! at start so that `--max-connections=auto` can size the connection cap to fit it.
//!
//! cgroup v2: `memory.max` of the process's cgroup and of every ancestor (the smallest wins); cgroup v1:
//! `hierarchical_memory_limit` in the memory controller's `memory.stat`, which already is that minimum.
//! Inside a container the cgroup's own directory is mounted at the controller's root, so a path from
//! `/proc/self/cgroup` that does not exist under the mount is looked up at the root instead.

use std::path::{Path, PathBuf};

/// Limits at or above this are "no limit" (cgroup v1 writes 2^63 rounded down to a page).
const UNLIMITED: u64 = 1 << 62;

/// The effective memory limit of this process in bytes, or None where there is none (or no cgroup fs).
pub fn cgroup_memory_limit() -> Option<u64> {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    limit_from(&cgroups, Path::new("/sys/fs/cgroup"), |p| std::fs::read_to_string(p).ok())
}

/// `cgroups`: the text of /proc/self/cgroup; `root`: where the cgroup filesystems are mounted.
pub fn limit_from(cgroups: &str, root: &Path, read: impl Fn(&Path) -> Option<String>) -> Option<u64> {
    let mut v2 = None;
    for line in cgroups.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        if controllers.split(',').any(|c| c == "memory") {
            return v1_limit(&root.join("memory"), path, &read);
        }
        if controllers.is_empty() {
            v2 = Some(path.to_string());
        }
    }
    v2_limit(root, &v2?, &read)
}

fn v1_limit(mount: &Path, path: &str, read: &impl Fn(&Path) -> Option<String>) -> Option<u64> {
    let stat = read(&under(mount, path).join("memory.stat")).or_else(|| read(&mount.join("memory.stat")))?;
    let limit = stat.lines().find_map(|l| l.strip_prefix("hierarchical_memory_limit "))?.trim().parse().ok()?;
    (limit < UNLIMITED).then_some(limit)
}

fn v2_limit(root: &Path, path: &str, read: &impl Fn(&Path) -> Option<String>) -> Option<u64> {
    let own = under(root, path);
    let start = if read(&own.join("memory.max")).is_some() { own } else { root.to_path_buf() };
    let limit = start
        .ancestors()
        .take_while(|dir| dir.starts_with(root))
        .filter_map(|dir| read(&dir.join("memory.max"))?.trim().parse::<u64>().ok())
        .min()?;
    (limit < UNLIMITED).then_some(limit)
}

fn under(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn files(entries: &[(&str, &str)]) -> impl Fn(&Path) -> Option<String> {
        let m: HashMap<PathBuf, String> = entries.iter().map(|(p, c)| (PathBuf::from(p), c.to_string())).collect();
        move |p| m.get(p).cloned()
    }

    #[test]
    fn cgroup_v1_reads_the_hierarchical_limit_of_its_own_cgroup() {
        let cg = "5:devices:/kubepods/pod1/c1\n4:memory:/kubepods/pod1/c1\n0::/\n";
        let fs = files(&[(
            "/sys/fs/cgroup/memory/kubepods/pod1/c1/memory.stat",
            "cache 0\nhierarchical_memory_limit 67108864\n",
        )]);
        assert_eq!(limit_from(cg, Path::new("/sys/fs/cgroup"), fs), Some(64 << 20));
    }

    #[test]
    fn cgroup_v1_inside_a_container_reads_the_mount_root() {
        let cg = "4:memory:/kubepods/pod1/c1\n";
        let fs = files(&[("/sys/fs/cgroup/memory/memory.stat", "hierarchical_memory_limit 33554432\n")]);
        assert_eq!(limit_from(cg, Path::new("/sys/fs/cgroup"), fs), Some(32 << 20));
    }

    #[test]
    fn cgroup_v1_without_a_limit_is_none() {
        let cg = "4:cpuacct,memory:/\n";
        let fs = files(&[("/sys/fs/cgroup/memory/memory.stat", "hierarchical_memory_limit 9223372036854771712\n")]);
        assert_eq!(limit_from(cg, Path::new("/sys/fs/cgroup"), fs), None);
    }

    #[test]
    fn cgroup_v2_takes_the_smallest_limit_of_the_cgroup_and_its_ancestors() {
        let cg = "0::/kubepods/pod1/c1\n";
        let fs = files(&[
            ("/sys/fs/cgroup/kubepods/pod1/c1/memory.max", "max\n"),
            ("/sys/fs/cgroup/kubepods/pod1/memory.max", "134217728\n"),
            ("/sys/fs/cgroup/kubepods/memory.max", "1073741824\n"),
        ]);
        assert_eq!(limit_from(cg, Path::new("/sys/fs/cgroup"), fs), Some(128 << 20));
    }

    #[test]
    fn cgroup_v2_inside_a_namespace_reads_the_root() {
        let cg = "0::/\n";
        let fs = files(&[("/sys/fs/cgroup/memory.max", "67108864\n")]);
        assert_eq!(limit_from(cg, Path::new("/sys/fs/cgroup"), fs), Some(64 << 20));
        let fs = files(&[("/sys/fs/cgroup/memory.max", "max\n")]);
        assert_eq!(limit_from(cg, Path::new("/sys/fs/cgroup"), fs), None);
    }

    #[test]
    fn no_cgroup_information_is_none() {
        assert_eq!(limit_from("", Path::new("/sys/fs/cgroup"), files(&[])), None);
        assert_eq!(limit_from("4:memory:/x\n", Path::new("/sys/fs/cgroup"), files(&[])), None);
    }
}
