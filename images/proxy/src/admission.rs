//! How many client connections are served at once, so that a flood of connections cannot take the
//! process past its memory limit (a container's is 64 MiB by default).
//!
//! Each connection holds a permit from its accept to its close. At the cap the accept loop stops
//! accepting: new connections wait in the kernel's listen backlog (beyond the backlog the kernel drops
//! their SYNs and the client retries, then gives up), and an accepted connection is never dropped to make
//! room. Connections still in their TLS handshake also hold one of fewer handshake permits: a handshake
//! may buffer up to 64 KiB of handshake messages (rustls' limit), more than an established connection.
//!
//! `--max-connections=auto` divides the memory limit, less a reserve, by what one connection may hold at
//! worst (bench/ANALYSIS.md "Memory per connection" has the measurements behind the two figures).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::{MAX_CONNECTIONS_LIMIT, MaxConnections};
use crate::log;
use crate::metrics::Metrics;

/// Memory kept out of the connections' share: the process at rest (about 6 MiB), the runtime, TLS
/// configuration, the upstream pool, requests and responses in flight, and the allocator's slack.
pub const RESERVED_BYTES: u64 = 20 << 20;
/// What one client connection may hold at worst with the default limits: hyper's buffers with a full
/// 32 KiB request head, rustls' record and plaintext buffers, the task, the upstream connection kept for
/// it, and HTTP/2's receive window (see ANALYSIS.md for the measured figures).
pub const CONNECTION_BYTES: u64 = 96 << 10;
/// The fewest connections `auto` allows however small the limit.
const MIN_AUTO: usize = 16;
/// File descriptors kept for listeners, the upstream pool's spares, certificate reads and logs.
const RESERVED_FDS: u64 = 64;

/// The cap and why it is what it is.
#[derive(Debug, PartialEq, Eq)]
pub struct Cap {
    pub max: usize,
    pub reason: String,
}

/// The connection cap for `setting`, given the cgroup memory limit and the open-file limit (each
/// connection may use two descriptors: its own and its upstream connection).
pub fn cap(setting: MaxConnections, memory_limit: Option<u64>, open_files: Option<u64>) -> Cap {
    if let MaxConnections::Fixed(n) = setting {
        return Cap { max: n, reason: "--max-connections".into() };
    }
    let by_files = open_files.map(|n| (n.saturating_sub(RESERVED_FDS) / 2).max(1));
    let by_memory = memory_limit.map(|l| (l.saturating_sub(RESERVED_BYTES) / CONNECTION_BYTES).max(MIN_AUTO as u64));
    let (max, reason) = match (by_memory, by_files) {
        (Some(m), Some(f)) if f < m => (f, format!("open-file limit {}", open_files.unwrap_or(0))),
        (Some(m), _) => (m, format!("memory limit {} MiB", memory_limit.unwrap_or(0) >> 20)),
        (None, Some(f)) => (f, format!("no memory limit; open-file limit {}", open_files.unwrap_or(0))),
        (None, None) => (4096, "no memory or open-file limit found".into()),
    };
    Cap { max: max.min(MAX_CONNECTIONS_LIMIT as u64) as usize, reason }
}

/// The soft RLIMIT_NOFILE (None when unlimited).
pub fn open_file_limit() -> Option<u64> {
    proxy_os::open_file_limit()
}

pub struct Admission {
    pub cap: Cap,
    conns: Arc<Semaphore>,
    handshakes: Arc<Semaphore>,
    /// The proxy listener's gauges; None for the admin listener.
    metrics: Option<Arc<Metrics>>,
    /// Unix seconds of the last "connection limit reached" line, so that a flood logs once a minute.
    logged_at: AtomicU64,
}

/// A place under the cap, taken before the accept and given back when the connection is closed.
pub struct Admitted {
    _permit: OwnedSemaphorePermit,
    metrics: Option<Arc<Metrics>>,
    /// A connection holds the place, and counts in `proxy_open_connections`.
    counted: bool,
}

impl Admitted {
    /// A connection was accepted into this place.
    pub fn accepted(mut self) -> Self {
        if let Some(m) = &self.metrics {
            m.accepted_conns.fetch_add(1, Relaxed);
            m.open_conns.fetch_add(1, Relaxed);
            self.counted = true;
        }
        self
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        if let (Some(m), true) = (&self.metrics, self.counted) {
            m.open_conns.fetch_sub(1, Relaxed);
        }
    }
}

impl Admission {
    pub fn new(cap: Cap, metrics: Option<Arc<Metrics>>) -> Self {
        if let Some(m) = &metrics {
            m.max_conns.store(cap.max as i64, Relaxed);
        }
        let handshakes = (cap.max / 4).max(1);
        Self {
            conns: Arc::new(Semaphore::new(cap.max)),
            handshakes: Arc::new(Semaphore::new(handshakes)),
            cap,
            metrics,
            logged_at: AtomicU64::new(0),
        }
    }

    /// Waits for room for one more connection: call before accepting it.
    pub async fn room(&self) -> Admitted {
        let permit = match self.conns.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if let Some(m) = &self.metrics {
                    m.conn_limit_waits.fetch_add(1, Relaxed);
                    self.log_limit();
                }
                self.conns.clone().acquire_owned().await.expect("the semaphore is never closed")
            }
        };
        Admitted { _permit: permit, metrics: self.metrics.clone(), counted: false }
    }

    /// Waits for a handshake permit; the handshake's gauge counts while it is held.
    pub async fn handshake(&self) -> Handshaking {
        let permit = self.handshakes.clone().acquire_owned().await.expect("the semaphore is never closed");
        if let Some(m) = &self.metrics {
            m.handshakes.fetch_add(1, Relaxed);
        }
        Handshaking { _permit: permit, metrics: self.metrics.clone() }
    }

    fn log_limit(&self) {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let last = self.logged_at.load(Relaxed);
        if now >= last + 60 && self.logged_at.compare_exchange(last, now, Relaxed, Relaxed).is_ok() {
            log::warn(
                "connection limit reached: new connections wait in the listen backlog",
                &[("max_connections", (self.cap.max as u64).into()), ("limit", self.cap.reason.clone().into())],
            );
        }
    }
}

/// A TLS handshake in progress.
pub struct Handshaking {
    _permit: OwnedSemaphorePermit,
    metrics: Option<Arc<Metrics>>,
}

impl Drop for Handshaking {
    fn drop(&mut self) {
        if let Some(m) = &self.metrics {
            m.handshakes.fetch_sub(1, Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_cap_holds_and_open_connections_are_the_accepted_ones() {
        use std::time::Duration;
        let m = Arc::new(Metrics::new());
        let a = Admission::new(Cap { max: 2, reason: String::new() }, Some(m.clone()));
        let place = a.room().await;
        assert_eq!(m.open_conns.load(Relaxed), 0, "a place taken before the accept is not a connection");
        let first = place.accepted();
        let _second = a.room().await.accepted();
        assert_eq!((m.open_conns.load(Relaxed), m.accepted_conns.load(Relaxed)), (2, 2));
        assert!(tokio::time::timeout(Duration::from_millis(50), a.room()).await.is_err(), "room beyond the cap");
        assert_eq!(m.conn_limit_waits.load(Relaxed), 1);
        drop(first);
        assert_eq!(m.open_conns.load(Relaxed), 1);
        assert!(tokio::time::timeout(Duration::from_millis(50), a.room()).await.is_ok(), "no room after a close");
    }

    #[test]
    fn a_fixed_cap_is_taken_as_given() {
        assert_eq!(cap(MaxConnections::Fixed(7), Some(1 << 30), Some(10)).max, 7);
    }

    #[test]
    fn auto_fits_the_memory_limit() {
        let c = cap(MaxConnections::Auto, Some(64 << 20), Some(1 << 20));
        assert_eq!(c.max as u64, ((64 << 20) - RESERVED_BYTES) / CONNECTION_BYTES);
        assert!(c.max as u64 * CONNECTION_BYTES + RESERVED_BYTES <= 64 << 20);
        assert_eq!(c.reason, "memory limit 64 MiB");
        // A limit below the reserve still serves a few connections.
        assert_eq!(cap(MaxConnections::Auto, Some(8 << 20), None).max, MIN_AUTO);
    }

    #[test]
    fn auto_keeps_two_descriptors_per_connection() {
        let c = cap(MaxConnections::Auto, Some(1 << 40), Some(1024));
        assert_eq!((c.max, c.reason.as_str()), (480, "open-file limit 1024"));
        assert_eq!(cap(MaxConnections::Auto, None, Some(1 << 20)).max, ((1 << 20) - 64) / 2);
        assert_eq!(cap(MaxConnections::Auto, None, None).max, 4096);
    }
}
