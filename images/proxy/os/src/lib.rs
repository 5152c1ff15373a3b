//! The C library calls the proxy makes that Rust's standard library does not offer, each behind a safe
//! function. This is the proxy's only unsafe code (the `proxy` crate forbids it), kept in a crate of its
//! own so that it is small enough to review at a glance: three calls, each of which only reads or sets a
//! value of the process and touches no memory of ours but a struct it fills.

/// The allocator (glibc malloc).
pub mod malloc {
    /// Caps the number of malloc arenas (`mallopt(M_ARENA_MAX, n)`). Returns whether glibc took it.
    pub fn set_arena_max(n: i32) -> bool {
        // SAFETY: mallopt sets one of the allocator's parameters under its own lock; it reads and writes
        // no memory of the caller and is safe at any time, before or after threads start.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, n) == 1 }
    }

    /// Returns the free pages of every arena to the kernel (`malloc_trim(0)`). Returns whether any were.
    pub fn trim() -> bool {
        // SAFETY: malloc_trim is thread-safe (it takes each arena's lock in turn) and only releases
        // memory that is free; no pointer of ours is involved.
        unsafe { libc::malloc_trim(0) == 1 }
    }
}

/// The soft limit on open file descriptors (`RLIMIT_NOFILE`), or None when unlimited or unknown.
pub fn open_file_limit() -> Option<u64> {
    let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit only writes the struct it is given, which lives on our stack for the call.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) } == 0;
    (ok && r.rlim_cur != libc::RLIM_INFINITY).then_some(r.rlim_cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The soft limit as the kernel reports it in /proc/self/limits ("Max open files  <soft>  <hard>  files").
    fn proc_limit() -> Option<u64> {
        let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
        let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
        line["Max open files".len()..].split_whitespace().next()?.parse().ok()
    }

    #[test]
    fn open_file_limit_is_the_kernels() {
        assert_eq!(open_file_limit(), proc_limit());
    }

    #[test]
    fn malloc_settings_are_taken() {
        assert!(malloc::set_arena_max(2));
        // Whether pages were returned depends on the heap; the call must simply be safe to make.
        let blocks: Vec<Vec<u8>> = (0..64).map(|_| vec![1u8; 256 << 10]).collect();
        drop(blocks);
        let _ = malloc::trim();
    }
}
