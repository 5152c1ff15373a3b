//! Request rate limits: one token bucket for the whole pod and, optionally, one per client address (the
//! TCP peer, never a header a client sets). A request over either gets 429 with `Retry-After`.
//!
//! Each bucket is GCRA, the token bucket kept as one instant: the "theoretical arrival time" at which
//! the bucket would be full again. A request is allowed when that instant is at most `burst - 1`
//! intervals ahead of now, and moves it one interval on. The pod's bucket is one atomic (a
//! compare-and-swap per request, no lock); client buckets are 8 bytes each in a bounded table.
//! Limits that are off cost one branch per request.
//!
//! The client table holds at most `MAX_CLIENTS` addresses (about 1 MiB at worst) in `SHARDS` locked
//! shards. A shard that is full first drops the buckets that have filled up again (indistinguishable
//! from a client never seen), and if more than 7/8 of it is still in use, arbitrary entries down to
//! 7/8: so a flood from more addresses than the table holds gives some of them a fresh bucket, while
//! the pod's limit still holds; the sweep runs at most once per `SHARD_CAP / 8` new addresses.
//! IPv6 clients are keyed by their /64 (one subscriber's usual allocation), so one host cannot take
//! the table by cycling through its own addresses.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use crate::config::{Rate, Traffic};

const SHARDS: usize = 16;
/// Entries per shard: 7/8 of 4096, hashbrown's load limit, so a full shard is a 4096-bucket table.
const SHARD_CAP: usize = 3584;
/// Client addresses tracked at once.
pub const MAX_CLIENTS: usize = SHARDS * SHARD_CAP;

/// Which limit refused a request (the label of `proxy_rate_limited_requests_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Pod,
    Client,
}

/// A refused request: the limit, and the wait until it would have a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    pub scope: Scope,
    pub retry_after: Duration,
}

impl Refused {
    /// `Retry-After` in whole seconds, rounded up: at least 1.
    pub fn retry_after_secs(&self) -> u64 {
        self.retry_after.as_nanos().div_ceil(1_000_000_000).max(1) as u64
    }
}

/// One bucket's arithmetic, in nanoseconds since the limiter's start.
#[derive(Clone, Copy, Debug)]
struct Gcra {
    /// Between two tokens.
    interval: u64,
    /// How far the arrival time may run ahead of now: (burst - 1) intervals.
    tolerance: u64,
}

impl Gcra {
    fn new(rate: Rate) -> Self {
        let interval = (1_000_000_000 / u64::from(rate.rps)).max(1);
        Self { interval, tolerance: interval * u64::from(rate.burst().saturating_sub(1)) }
    }

    /// The bucket's next arrival time if a request at `now` is allowed, else the wait for a token.
    fn take(&self, tat: u64, now: u64) -> Result<u64, u64> {
        let t = tat.max(now);
        match t - now {
            ahead if ahead > self.tolerance => Err(ahead - self.tolerance),
            _ => Ok(t + self.interval),
        }
    }
}

/// The pod's bucket: its arrival time in one atomic.
struct Bucket {
    gcra: Gcra,
    tat: AtomicU64,
}

impl Bucket {
    fn take(&self, now: u64) -> Result<(), u64> {
        let mut tat = self.tat.load(Relaxed);
        loop {
            let next = self.gcra.take(tat, now)?;
            match self.tat.compare_exchange_weak(tat, next, Relaxed, Relaxed) {
                Ok(_) => return Ok(()),
                Err(current) => tat = current,
            }
        }
    }
}

/// The per-client buckets: address key → arrival time.
struct Clients {
    gcra: Gcra,
    shards: Box<[Mutex<HashMap<u64, u64>>]>,
}

impl Clients {
    fn take(&self, key: u64, now: u64) -> Result<(), u64> {
        // Fibonacci hashing spreads neighbouring addresses over the shards.
        let shard = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60) as usize % SHARDS;
        let mut m = self.shards[shard].lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= SHARD_CAP && !m.contains_key(&key) {
            evict(&mut m, now);
        }
        let tat = m.entry(key).or_insert(0);
        *tat = self.gcra.take(*tat, now)?;
        Ok(())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap().len()).sum()
    }
}

/// Makes room in a full shard: full buckets go first, then arbitrary ones down to 7/8.
fn evict(m: &mut HashMap<u64, u64>, now: u64) {
    m.retain(|_, tat| *tat > now);
    let keep = SHARD_CAP / 8 * 7;
    if m.len() > keep {
        let victims: Vec<u64> = m.keys().take(m.len() - keep).copied().collect();
        for k in victims {
            m.remove(&k);
        }
    }
}

/// The bucket key of a client address: IPv4 as is, IPv6 by its /64 (an IPv4-mapped IPv6 address is
/// IPv4). IPv4 keys sit in ffff:ffff::/32, which is multicast, never a peer's prefix.
pub fn client_key(ip: IpAddr) -> u64 {
    match ip.to_canonical() {
        IpAddr::V4(v4) => 0xFFFF_FFFF_0000_0000 | u64::from(u32::from(v4)),
        IpAddr::V6(v6) => (u128::from(v6) >> 64) as u64,
    }
}

/// The limits in effect; `None` for each one that is off.
pub struct Limits {
    start: Instant,
    pod: Option<Bucket>,
    clients: Option<Clients>,
}

impl Limits {
    pub fn new(t: &Traffic) -> Self {
        let pod = t.rate_limit.is_on().then(|| Bucket { gcra: Gcra::new(t.rate_limit), tat: AtomicU64::new(0) });
        let clients = t.client_rate_limit.is_on().then(|| Clients {
            gcra: Gcra::new(t.client_rate_limit),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        });
        Self { start: Instant::now(), pod, clients }
    }

    pub fn is_on(&self) -> bool {
        self.pod.is_some() || self.clients.is_some()
    }

    /// Takes a token for a request from `peer`: the client's bucket first, so that a client over its own
    /// limit does not spend the pod's tokens.
    pub fn admit(&self, peer: IpAddr) -> Result<(), Refused> {
        self.admit_at(peer, self.start.elapsed())
    }

    fn admit_at(&self, peer: IpAddr, at: Duration) -> Result<(), Refused> {
        let now = at.as_nanos() as u64;
        let refused = |scope| move |wait| Refused { scope, retry_after: Duration::from_nanos(wait) };
        if let Some(c) = &self.clients {
            c.take(client_key(peer), now).map_err(refused(Scope::Client))?;
        }
        if let Some(p) = &self.pod {
            p.take(now).map_err(refused(Scope::Pod))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(pod: (u32, u32), client: (u32, u32)) -> Limits {
        let rate = |(rps, burst)| Rate { rps, burst };
        Limits::new(&Traffic { rate_limit: rate(pod), client_rate_limit: rate(client), ..Traffic::default() })
    }

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));
    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_burst_then_one_token_per_interval() {
        let l = limits((10, 3), (0, 0));
        for _ in 0..3 {
            assert_eq!(l.admit_at(A, MS), Ok(()));
        }
        let r = l.admit_at(A, MS).unwrap_err();
        assert_eq!(r.scope, Scope::Pod);
        assert_eq!(r.retry_after, Duration::from_millis(100));
        assert_eq!(r.retry_after_secs(), 1);
        // The next token comes 100 ms after the burst, then one every 100 ms.
        assert!(l.admit_at(A, 100 * MS).is_err());
        assert_eq!(l.admit_at(A, 101 * MS), Ok(()));
        assert!(l.admit_at(A, 150 * MS).is_err());
        assert_eq!(l.admit_at(A, 201 * MS), Ok(()));
        // After a quiet second the whole burst is back, and no more.
        let later = 2000 * MS;
        assert!((0..3).all(|_| l.admit_at(A, later).is_ok()));
        assert!(l.admit_at(A, later).is_err());
    }

    #[test]
    fn burst_zero_means_rps_and_retry_after_rounds_up() {
        let l = limits((0, 0), (2, 0));
        assert!(l.admit_at(A, MS).is_ok() && l.admit_at(A, MS).is_ok());
        let r = l.admit_at(A, MS).unwrap_err();
        assert_eq!((r.scope, r.retry_after), (Scope::Client, 500 * MS));
        let slow = limits((1, 1), (0, 0));
        assert!(slow.admit_at(A, MS).is_ok());
        assert_eq!(slow.admit_at(A, 2 * MS).unwrap_err().retry_after_secs(), 1);
        let very_slow = Refused { scope: Scope::Pod, retry_after: Duration::from_millis(2001) };
        assert_eq!(very_slow.retry_after_secs(), 3);
    }

    #[test]
    fn clients_have_their_own_buckets_and_spend_the_pods_only_when_allowed() {
        let l = limits((3, 3), (1, 1));
        assert!(l.admit_at(A, MS).is_ok());
        for _ in 0..5 {
            assert_eq!(l.admit_at(A, MS).unwrap_err().scope, Scope::Client);
        }
        // A's refused requests took none of the pod's three tokens.
        assert!(l.admit_at(B, MS).is_ok());
        let c = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 3));
        assert!(l.admit_at(c, MS).is_ok());
        let d = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 4));
        assert_eq!(l.admit_at(d, MS).unwrap_err().scope, Scope::Pod);
    }

    #[test]
    fn off_is_always_allowed() {
        let l = limits((0, 0), (0, 0));
        assert!(!l.is_on());
        assert!((0..1000).all(|_| l.admit_at(A, MS).is_ok()));
    }

    #[test]
    fn ipv6_by_64_and_mapped_ipv4_as_ipv4() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(client_key(ip("2001:db8:1:2::1")), client_key(ip("2001:db8:1:2:ffff::9")));
        assert_ne!(client_key(ip("2001:db8:1:2::1")), client_key(ip("2001:db8:1:3::1")));
        assert_eq!(client_key(ip("::ffff:192.0.2.1")), client_key(A));
        assert_ne!(client_key(A), client_key(B));
    }

    #[test]
    fn the_client_table_is_bounded() {
        let l = limits((0, 0), (1, 1));
        let clients = l.clients.as_ref().unwrap();
        // Twice as many addresses as the table holds, each with an empty bucket (none fills up again).
        for i in 0..(2 * MAX_CLIENTS) as u32 {
            let _ = l.admit_at(IpAddr::V4(i.into()), MS);
            assert!(clients.len() <= MAX_CLIENTS);
        }
        assert!(clients.len() > MAX_CLIENTS / 2, "{}", clients.len());
        // Full buckets are swept first: a second later every bucket has filled up again.
        let later = 2000 * MS;
        for i in 0..(MAX_CLIENTS as u32) {
            let _ = l.admit_at(IpAddr::V4((u32::MAX - i).into()), later);
        }
        assert!(clients.len() <= MAX_CLIENTS);
    }
}
