//! The binary on real sockets: proxying, admin, reload, drain and startup errors.

mod common;

use std::time::Duration;

use common::{Ca, Proc, TempDir, free_addr, request, request_with_cert, start_proxy};

const GET: &str = "GET /path?q=1 HTTP/1.1\r\nHost: app.test:8443\r\nX-Forwarded-For: 203.0.113.9\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\n\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxies_with_forwarded_headers() {
    let (ca, dir) = (Ca::new(), TempDir::new("fwd"));
    dir.write_pair(&ca.issue("proxy", None, &[]));
    let app = common::echo_app().await;
    let p = start_proxy(&ca, &dir, &app, &[]).await;
    let r = request(&ca, &p.addr, GET).await.unwrap();
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    for want in
        ["get /path?q=1 http/1.1", "host: app.test:8443", "x-forwarded-for: 127.0.0.1", "x-forwarded-proto: https"]
    {
        assert!(r.contains(want), "{want} not in {r}");
    }
    assert!(!r.contains("x-hop") && !r.contains("203.0.113.9"), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_down_is_a_short_502_and_counted() {
    let (ca, dir) = (Ca::new(), TempDir::new("502"));
    dir.write_pair(&ca.issue("proxy", None, &[]));
    let p = start_proxy(&ca, &dir, &free_addr(), &[]).await;
    let r = request(&ca, &p.addr, GET).await.unwrap();
    assert!(r.starts_with("HTTP/1.1 502"), "{r}");
    assert!(r.ends_with("\r\n\r\n502 Bad Gateway: upstream unavailable\n"), "{r}");
    let m = request(&ca, &p.admin, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    assert!(m.contains("\nproxy_upstream_errors_total 1\n") && m.contains("\nproxy_ready 0\n"), "{m}");
    let ready = request(&ca, &p.admin, "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    assert!(ready.starts_with("HTTP/1.1 503") && ready.contains("not ready: upstream unreachable"), "{ready}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_and_a_broken_pair_keeps_the_old_one() {
    let (ca, dir) = (Ca::new(), TempDir::new("reload"));
    let first = ca.issue("first", None, &[]);
    dir.write_pair(&first);
    let app = common::echo_app().await;
    let p = start_proxy(&ca, &dir, &app, &["--watch-interval=0"]).await;
    let served = || async { request_with_cert(&ca, &p.addr, GET).await.unwrap().1 };

    let (second, third) = (ca.issue("second", None, &[]), ca.issue("third", None, &[]));
    std::fs::write(dir.0.join("tls.crt"), &second.cert_pem).unwrap(); // the key no longer matches
    p.proc.signal(libc::SIGHUP);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(served().await, first.der, "a broken pair replaced the served one");
    assert!(p.proc.stderr().contains("certificate reload failed, keeping the current certificate"));

    dir.write_pair(&third);
    p.proc.signal(libc::SIGHUP);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(served().await, third.der);
    assert!(!p.proc.stderr().contains("PRIVATE KEY"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_and_exits_zero() {
    let (ca, dir) = (Ca::new(), TempDir::new("term"));
    dir.write_pair(&ca.issue("proxy", None, &[]));
    let app = common::echo_app().await;
    let mut p = start_proxy(&ca, &dir, &app, &["--drain-delay=300ms"]).await;
    p.proc.signal(libc::SIGTERM);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let r = request(&ca, &p.addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    assert!(r.starts_with("HTTP/1.1 200") && r.to_lowercase().contains("connection: close"), "{r}");
    assert_eq!(p.proc.wait(Duration::from_secs(5)), Some(0));
    let logs = p.proc.stderr();
    assert!(logs.contains("\"msg\":\"shutdown complete\"") && logs.contains("\"forced\":false"), "{logs}");
}

#[test]
fn startup_errors_are_one_line() {
    let (ca, dir) = (Ca::new(), TempDir::new("errors"));
    for (args, code, token) in [
        (vec!["--client-auth=maybe".to_string()], 2, "--client-auth"),
        (vec!["--drain-delay=soon".to_string()], 2, "duration"),
        (vec![format!("--tls-dir={}", dir.0.display())], 1, "tls.crt: not found"),
    ] {
        let mut p = Proc::start(&args);
        assert_eq!(p.wait(Duration::from_secs(5)), Some(code), "{args:?}");
        let err = p.stderr();
        assert!(err.starts_with("proxy: ") && err.ends_with('\n') && err.lines().count() == 1, "{err:?}");
        assert!(err.contains(token), "{err:?}");
    }
    let pair = ca.issue("x", None, &[]);
    std::fs::write(dir.0.join("tls.crt"), &pair.cert_pem).unwrap();
    std::fs::write(dir.0.join("tls.key"), ca.issue("y", None, &[]).key_pem).unwrap();
    let mut p = Proc::start(&[format!("--tls-dir={}", dir.0.display()), format!("--listen={}", free_addr())]);
    assert_eq!(p.wait(Duration::from_secs(5)), Some(1));
    assert!(p.stderr().contains("does not match"), "{}", p.stderr());
}
