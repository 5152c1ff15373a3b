//! Prometheus text exposition (format 0.0.4) of a dozen series kept in atomics, under the names the
//! README documents (dashboards and alerts depend on them). No metrics library: no registry, no per-request map lookup.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds of the latency histogram, in seconds.
pub const DURATION_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default)]
pub struct Metrics {
    requests: Vec<AtomicU64>, // 600 counters by status code; index 0 counts codes outside 100..600
    dur_buckets: [AtomicU64; DURATION_BUCKETS.len() + 1],
    dur_sum_nanos: AtomicU64,
    dur_count: AtomicU64,

    pub upstream_errors: AtomicU64,
    pub rate_limited_pod: AtomicU64,
    pub rate_limited_client: AtomicU64,
    pub client_canceled: AtomicU64,
    pub tls_handshake_errors: AtomicU64,
    cert_reload_success: AtomicU64,
    cert_reload_failure: AtomicU64,
    cert_expiry: AtomicI64,
    pub inflight: AtomicI64,
    pub upgraded: AtomicI64,
    pub open_conns: AtomicI64,
    pub accepted_conns: AtomicU64,
    pub max_conns: AtomicI64,
    pub conn_limit_waits: AtomicU64,
    pub handshakes: AtomicI64,
    pub ready: AtomicI64,
}

impl Metrics {
    pub fn new() -> Self {
        Self { requests: (0..600).map(|_| AtomicU64::new(0)).collect(), ..Self::default() }
    }

    /// Counts one finished request by status code and duration.
    pub fn observe(&self, code: u16, d: Duration) {
        let i = if (100..600).contains(&code) { code as usize } else { 0 };
        self.requests[i].fetch_add(1, Relaxed);
        let secs = d.as_secs_f64();
        let b = DURATION_BUCKETS.iter().position(|le| secs <= *le).unwrap_or(DURATION_BUCKETS.len());
        self.dur_buckets[b].fetch_add(1, Relaxed);
        self.dur_sum_nanos.fetch_add(d.as_nanos() as u64, Relaxed);
        self.dur_count.fetch_add(1, Relaxed);
    }

    pub fn cert_reload(&self, ok: bool) {
        let c = if ok { &self.cert_reload_success } else { &self.cert_reload_failure };
        c.fetch_add(1, Relaxed);
    }

    pub fn set_cert_expiry(&self, unix: i64) {
        self.cert_expiry.store(unix, Relaxed);
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready as i64, Relaxed);
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut w = String::with_capacity(4096);
        let head = |w: &mut String, name: &str, typ: &str, help: &str| {
            let _ = write!(w, "# HELP {name} {help}\n# TYPE {name} {typ}\n");
        };
        head(
            &mut w,
            "proxy_requests_total",
            "counter",
            "Proxied requests by HTTP status code (code=\"other\" for out-of-range codes).",
        );
        for (code, n) in self.requests.iter().enumerate() {
            let n = n.load(Relaxed);
            if n > 0 {
                let label = if code == 0 { "other".to_string() } else { code.to_string() };
                let _ = writeln!(w, "proxy_requests_total{{code=\"{label}\"}} {n}");
            }
        }
        head(
            &mut w,
            "proxy_request_duration_seconds",
            "histogram",
            "Time from request headers read to the end of the response.",
        );
        let mut cum = 0;
        for (i, le) in DURATION_BUCKETS.iter().enumerate() {
            cum += self.dur_buckets[i].load(Relaxed);
            let _ = writeln!(w, "proxy_request_duration_seconds_bucket{{le=\"{le}\"}} {cum}");
        }
        cum += self.dur_buckets[DURATION_BUCKETS.len()].load(Relaxed);
        let _ = writeln!(w, "proxy_request_duration_seconds_bucket{{le=\"+Inf\"}} {cum}");
        let sum = self.dur_sum_nanos.load(Relaxed) as f64 / 1e9;
        let _ = writeln!(w, "proxy_request_duration_seconds_sum {sum}");
        let _ = writeln!(w, "proxy_request_duration_seconds_count {}", self.dur_count.load(Relaxed));

        let series = |w: &mut String, name: &str, typ: &str, help: &str, v: i128| {
            head(w, name, typ, help);
            let _ = writeln!(w, "{name} {v}");
        };
        let counter =
            |w: &mut String, name, help, v: &AtomicU64| series(w, name, "counter", help, v.load(Relaxed).into());
        let gauge = |w: &mut String, name, help, v: &AtomicI64| series(w, name, "gauge", help, v.load(Relaxed).into());
        counter(
            &mut w,
            "proxy_upstream_errors_total",
            "Requests answered 502 or 504 because the upstream failed (refused, reset, timed out).",
            &self.upstream_errors,
        );
        head(
            &mut w,
            "proxy_rate_limited_requests_total",
            "counter",
            "Requests answered 429 by a rate limit, by its scope.",
        );
        for (scope, n) in [("pod", &self.rate_limited_pod), ("client", &self.rate_limited_client)] {
            let _ = writeln!(w, "proxy_rate_limited_requests_total{{scope=\"{scope}\"}} {}", n.load(Relaxed));
        }
        counter(
            &mut w,
            "proxy_client_canceled_total",
            "Requests whose client went away before the upstream answered.",
            &self.client_canceled,
        );
        counter(
            &mut w,
            "proxy_tls_handshake_errors_total",
            "Client connections closed without a completed TLS handshake.",
            &self.tls_handshake_errors,
        );
        head(
            &mut w,
            "proxy_cert_reloads_total",
            "counter",
            "Certificate loads, by result; a failed reload keeps the previous certificate.",
        );
        let _ =
            writeln!(w, "proxy_cert_reloads_total{{result=\"success\"}} {}", self.cert_reload_success.load(Relaxed));
        let _ =
            writeln!(w, "proxy_cert_reloads_total{{result=\"failure\"}} {}", self.cert_reload_failure.load(Relaxed));
        gauge(
            &mut w,
            "proxy_cert_expiry_timestamp_seconds",
            "NotAfter of the served certificate, Unix seconds.",
            &self.cert_expiry,
        );
        gauge(
            &mut w,
            "proxy_inflight_requests",
            "Requests being proxied, upgraded connections included.",
            &self.inflight,
        );
        gauge(&mut w, "proxy_upgraded_connections", "Upgraded (e.g. WebSocket) connections open.", &self.upgraded);
        gauge(&mut w, "proxy_open_connections", "Client connections open on the proxy listener.", &self.open_conns);
        counter(
            &mut w,
            "proxy_accepted_connections_total",
            "Client connections accepted on the proxy listener.",
            &self.accepted_conns,
        );
        gauge(
            &mut w,
            "proxy_max_connections",
            "Client connections served at once (--max-connections); beyond it new ones wait in the listen backlog.",
            &self.max_conns,
        );
        counter(
            &mut w,
            "proxy_connection_limit_waits_total",
            "Times the listener stopped accepting because proxy_max_connections were open.",
            &self.conn_limit_waits,
        );
        gauge(
            &mut w,
            "proxy_tls_handshakes_in_progress",
            "Client connections in their TLS handshake.",
            &self.handshakes,
        );
        gauge(&mut w, "proxy_ready", "1 when /readyz succeeds.", &self.ready);
        if let Some(rss) = resident_bytes() {
            series(&mut w, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", rss.into());
        }
        head(&mut w, "proxy_build_info", "gauge", "Build information.");
        let _ = writeln!(w, "proxy_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));
        w
    }
}

/// The resident set size from /proc/self/statm (Linux; the page size there is 4 KiB on x86-64 and arm64).
fn resident_bytes() -> Option<i64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: i64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_and_codes_are_labelled() {
        let m = Metrics::new();
        m.observe(200, Duration::from_micros(100));
        m.observe(200, Duration::from_millis(3));
        m.observe(404, Duration::from_secs(20));
        m.observe(42, Duration::ZERO);
        let text = m.render();
        assert!(text.contains("proxy_requests_total{code=\"200\"} 2\n"));
        assert!(text.contains("proxy_requests_total{code=\"other\"} 1\n"));
        assert!(text.contains("proxy_request_duration_seconds_bucket{le=\"0.0005\"} 2\n"));
        assert!(text.contains("proxy_request_duration_seconds_bucket{le=\"0.005\"} 3\n"));
        assert!(text.contains("proxy_request_duration_seconds_bucket{le=\"10\"} 3\n"));
        assert!(text.contains("proxy_request_duration_seconds_bucket{le=\"+Inf\"} 4\n"));
        assert!(text.contains("# TYPE proxy_ready gauge\n"));
        assert!(text.contains("proxy_cert_reloads_total{result=\"failure\"} 0\n"));
    }
}
