//! Draining: the early drain begun by `GET /drain` (the app container's preStop hook) and the shutdown
//! on SIGTERM.
//!
//! Why an early drain: a native sidecar is stopped only after the app has exited, so on SIGTERM alone
//! the proxy learns of the pod's end too late and keep-alive clients stay pinned to a proxy whose app is
//! gone. The kubelet runs the app's preStop hook first; through it every response carries
//! `Connection: close` (HTTP/2: GOAWAY after a response) while the app still answers, and the hook is
//! held for --drain-delay. `/readyz` keeps passing meanwhile: a terminating pod is out of the ready
//! endpoints anyway, and staying "serving" lets kube-proxy fall back to it when no other endpoint is
//! ready yet. A drain that no SIGTERM follows within two minutes ends by itself.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering::Acquire, Ordering::Relaxed, Ordering::Release};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::log::{self, go_duration};
use crate::metrics::Metrics;

/// How long an early drain lasts without a SIGTERM following it.
pub const EARLY_DRAIN_RECOVERY: Duration = Duration::from_secs(120);

pub struct Drain {
    drain_delay: Duration,
    shutdown_timeout: Duration,
    /// Responses carry `Connection: close` (HTTP/2 connections get GOAWAY after a response).
    close_conns: AtomicBool,
    /// SIGTERM came: readiness fails, and an early drain no longer ends by itself.
    shutting_down: AtomicBool,
    early: Mutex<Option<Instant>>,
    early_generation: AtomicU64,
    /// Cancelled by a second signal: skip the rest of the drain delay.
    pub hurry: CancellationToken,
    /// Cancelled once the delay is over: listeners close, connections finish what they are doing.
    pub graceful: CancellationToken,
    /// Cancelled at the shutdown deadline: whatever is left is closed.
    pub force: CancellationToken,
    /// Every connection and upgrade tunnel, so the shutdown can wait for them.
    pub tracker: TaskTracker,
    /// 1 from just before `graceful` is cancelled, 2 from just before `force` is: read by connections
    /// without taking the tokens' locks.
    phase: AtomicU8,
}

impl Drain {
    pub fn new(drain_delay: Duration, shutdown_timeout: Duration) -> Self {
        Self {
            drain_delay,
            shutdown_timeout,
            close_conns: AtomicBool::new(false),
            shutting_down: AtomicBool::new(false),
            early: Mutex::new(None),
            early_generation: AtomicU64::new(0),
            hurry: CancellationToken::new(),
            graceful: CancellationToken::new(),
            force: CancellationToken::new(),
            tracker: TaskTracker::new(),
            phase: AtomicU8::new(0),
        }
    }

    pub fn close_conns(&self) -> bool {
        self.close_conns.load(Relaxed)
    }

    /// `graceful` is (or is about to be) cancelled.
    pub fn finishing(&self) -> bool {
        self.phase.load(Acquire) >= 1
    }

    /// `force` is (or is about to be) cancelled.
    pub fn forcing(&self) -> bool {
        self.phase.load(Acquire) >= 2
    }

    pub fn shutting_down(&self) -> bool {
        self.shutting_down.load(Relaxed)
    }

    fn early_age(&self) -> Duration {
        self.early.lock().unwrap_or_else(|e| e.into_inner()).map(|t| t.elapsed()).unwrap_or_default()
    }

    /// `GET /drain`: begins the early drain (once) and returns how much of --drain-delay is left to wait.
    pub fn start_early(self: &std::sync::Arc<Self>, m: &Metrics) -> Duration {
        let mut early = self.early.lock().unwrap_or_else(|e| e.into_inner());
        if early.is_none() {
            *early = Some(Instant::now());
            self.close_conns.store(true, Relaxed);
            let generation = self.early_generation.fetch_add(1, Relaxed) + 1;
            log::info(
                "draining before SIGTERM (preStop): asking clients to reconnect",
                &[("drain_delay", go_duration(self.drain_delay).into()), ("inflight", m.inflight.load(Relaxed).into())],
            );
            let me = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(EARLY_DRAIN_RECOVERY).await;
                me.end_early(generation);
            });
        }
        self.drain_delay.saturating_sub(early.map(|t| t.elapsed()).unwrap_or_default())
    }

    /// Serves normally again when no SIGTERM followed the early drain.
    fn end_early(&self, generation: u64) {
        let mut early = self.early.lock().unwrap_or_else(|e| e.into_inner());
        if self.shutting_down() || early.is_none() || self.early_generation.load(Relaxed) != generation {
            return;
        }
        *early = None;
        self.close_conns.store(false, Relaxed);
        log::warn(
            "no SIGTERM followed the drain begun by /drain: keep-alive again",
            &[("after", go_duration(EARLY_DRAIN_RECOVERY).into())],
        );
    }

    /// The SIGTERM drain: readiness fails and keep-alive ends at once; after the part of --drain-delay
    /// an early drain has not spent, the listeners close and in-flight work gets --shutdown-timeout;
    /// then whatever is left is closed. Returns whether it had to force.
    pub async fn shutdown(&self, m: &Metrics) -> bool {
        self.shutting_down.store(true, Relaxed);
        self.close_conns.store(true, Relaxed);
        let delay = self.drain_delay.saturating_sub(self.early_age());
        log::info(
            "draining: readiness now fails",
            &[
                ("drain_delay", go_duration(delay).into()),
                ("shutdown_timeout", go_duration(self.shutdown_timeout).into()),
                ("inflight", m.inflight.load(Relaxed).into()),
            ],
        );
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = self.hurry.cancelled() => {}
        }
        let start = Instant::now();
        self.phase.store(1, Release);
        self.graceful.cancel();
        self.tracker.close();
        let forced = tokio::time::timeout(self.shutdown_timeout, self.tracker.wait()).await.is_err();
        if forced {
            let left = m.inflight.load(Relaxed);
            self.phase.store(2, Release);
            self.force.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(2), self.tracker.wait()).await;
            log::warn("shutdown timeout reached, closed remaining connections", &[("closed_inflight", left.into())]);
        }
        log::info("shutdown complete", &[("took", go_duration(start.elapsed()).into()), ("forced", forced.into())]);
        forced
    }
}
