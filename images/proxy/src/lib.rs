//! A TLS-terminating reverse proxy for one plain-HTTP app in the same pod. `run` wires the parts; each
//! module has one job (see README.md for the contract they keep).
//!
//! No unsafe code: the three libc calls it needs (the allocator's settings and trimming in `alloc`, the
//! open-file limit in `admission`) are safe functions of the `proxy-os` crate in `os/`.
#![forbid(unsafe_code)]

pub mod access;
pub mod admin;
pub mod admission;
pub mod alloc;
pub mod config;
pub mod conn;
pub mod controls;
pub mod drain;
pub mod exchange;
pub mod headers;
pub mod health;
pub mod hsts;
pub mod linger;
pub mod log;
pub mod memlimit;
pub mod metrics;
pub mod plaintext;
pub mod proxy;
pub mod ratelimit;
pub mod reuse;
pub mod server;
pub mod tls;
pub mod upstream;
pub mod x509;
pub mod xfcc;

use std::sync::Arc;

use tokio::signal::unix::{SignalKind, signal};

use config::Config;

/// Serves until SIGTERM or SIGINT has drained the proxy. Returns the process exit code: 0 after a
/// drain (forced or not), 1 for a startup failure, which is one line on stderr naming what is at fault.
pub async fn run(cfg: Config) -> u8 {
    let fail = |e: String| {
        eprintln!("proxy: {}", e.replace('\n', " "));
        1
    };
    let metrics = Arc::new(metrics::Metrics::new());
    let certs = match tls::CertStore::new(
        &cfg.tls_dir,
        cfg.client_auth,
        cfg.tls_session_resumption,
        &cfg.tls_policy,
        metrics.clone(),
    ) {
        Ok(c) => Arc::new(c),
        Err(e) => return fail(e),
    };
    let upstream = match upstream::UpstreamClient::new(&cfg) {
        Ok(u) => u,
        Err(e) => return fail(e),
    };
    let proxy_ln = match server::bind("listen", &cfg.listen).await {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let admin_ln = match server::bind("admin-listen", &cfg.admin_listen).await {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let (mut term, mut int, mut hup) =
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt()), signal(SignalKind::hangup())) {
            (Ok(t), Ok(i), Ok(h)) => (t, i, h),
            _ => return fail("cannot install signal handlers".into()),
        };

    let drain = Arc::new(drain::Drain::new(cfg.drain_delay, cfg.shutdown_timeout));
    let p = Arc::new(proxy::Proxy {
        metrics: metrics.clone(),
        drain: drain.clone(),
        upstream,
        access_log: cfg.access_log,
        access_log_query: cfg.access_log_query,
        controls: proxy::Controls::new(&cfg.traffic),
    });
    let health = health::Health::new(certs.clone(), drain.clone(), cfg.upstream.dial_addr.clone());
    let adm = Arc::new(admin::Admin { health, metrics: metrics.clone() });
    certs.log_startup();
    tokio::spawn(tls::watch(certs.clone(), cfg.watch_interval));
    tokio::spawn(alloc::trim_after_bursts(metrics.clone()));
    let addr = |l: &tokio::net::TcpListener| l.local_addr().map(|a| a.to_string()).unwrap_or_default();
    log::info(
        "serving",
        &[
            ("listen", addr(&proxy_ln).into()),
            ("admin_listen", addr(&admin_ln).into()),
            ("admin_tls", cfg.admin_tls.into()),
            ("upstream", cfg.upstream.raw.clone().into()),
            ("upstream_protocol", cfg.upstream_protocol.as_str().into()),
            ("client_auth", cfg.client_auth.as_str().into()),
        ],
    );
    let cap = admission::cap(cfg.max_connections, memlimit::cgroup_memory_limit(), admission::open_file_limit());
    log::info(
        "connection limit",
        &[("max_connections", (cap.max as u64).into()), ("set_by", cap.reason.clone().into())],
    );
    let protos = Arc::new(server::Protocols::new(&cfg, admission::Admission::new(cap, Some(metrics.clone()))));
    tokio::spawn(server::serve_proxy(proxy_ln, p, protos, certs.clone()));
    tokio::spawn(admin::serve(admin_ln, adm, certs.clone(), cfg.admin_tls));

    // Signals: SIGHUP reloads; the first SIGTERM/SIGINT drains, a second one skips the drain delay.
    let first = loop {
        tokio::select! {
            _ = term.recv() => break "terminated",
            _ = int.recv() => break "interrupt",
            _ = hup.recv() => reload(&certs),
        }
    };
    log::info("signal received, shutting down", &[("signal", first.into())]);
    let shutdown = drain.shutdown(&metrics);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => return 0,
            _ = term.recv() => drain.hurry.cancel(),
            _ = int.recv() => drain.hurry.cancel(),
            _ = hup.recv() => reload(&certs),
        }
    }
}

fn reload(certs: &Arc<tls::CertStore>) {
    let c = certs.clone();
    tokio::task::spawn_blocking(move || c.reload("sighup"));
}
