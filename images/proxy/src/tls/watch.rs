//! Noticing Secret updates. Kubelet writes a new timestamped directory and renames the `..data` symlink
//! over the old one, so every update changes the inodes that `tls.crt` and friends resolve to; writers
//! that rewrite files in place change size or mtime. Polling three `stat`s a second sees both, with no
//! inotify special case for the symlink swap.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::CertStore;
use super::certs::{CA_FILE, CERT_FILE, KEY_FILE};

/// Device, inode, size and mtime (seconds, nanoseconds) of one file, through its symlinks.
type FileId = (u64, u64, u64, i64, i64);

/// The three files' ids (None: absent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint([Option<FileId>; 3]);

impl Fingerprint {
    pub fn of(dir: &Path) -> Self {
        let id = |name: &str| {
            let m = std::fs::metadata(dir.join(name)).ok()?;
            Some((m.dev(), m.ino(), m.size(), m.mtime(), m.mtime_nsec()))
        };
        Self([id(CERT_FILE), id(KEY_FILE), id(CA_FILE)])
    }
}

/// Polls the directory every `interval` (0: never; SIGHUP still reloads) and reloads on a change. A
/// broken update is tried once: the same files are retried only when they change again.
pub async fn watch(store: Arc<CertStore>, interval: Duration) {
    if interval.is_zero() {
        return;
    }
    let mut last = store.current().fingerprint;
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let fp = Fingerprint::of(store.dir());
        if fp != last {
            last = fp;
            let s = store.clone();
            // File reads and PEM parsing stay off the threads that serve connections.
            let _ = tokio::task::spawn_blocking(move || s.reload("watch")).await;
        }
    }
}
