use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::task::Poll;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Barrier;

use super::*;

/// An app on 127.0.0.1 that counts the connections it accepted and closed. Each response waits at a
/// barrier until `at_once` requests are in flight: that many requests at once need that many
/// connections. With `lifetime`, it closes each connection that long after accepting it, unannounced,
/// as an app's keep-alive timeout does.
struct App {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
}

impl App {
    async fn start(at_once: usize, lifetime: Option<Duration>) -> Self {
        let ln = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = ln.local_addr().unwrap();
        let (accepted, closed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let barrier = Arc::new(Barrier::new(at_once));
        let (a, c) = (accepted.clone(), closed.clone());
        tokio::spawn(async move {
            loop {
                let (tcp, _) = ln.accept().await.unwrap();
                a.fetch_add(1, Relaxed);
                let (barrier, c) = (barrier.clone(), c.clone());
                tokio::spawn(async move {
                    let svc = service_fn(move |_req| {
                        let barrier = barrier.clone();
                        async move {
                            barrier.wait().await;
                            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
                        }
                    });
                    let serve = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tcp), svc);
                    let _ = tokio::time::timeout(lifetime.unwrap_or(Duration::MAX), serve).await;
                    c.fetch_add(1, Relaxed);
                });
            }
        });
        Self { addr, accepted, closed }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Relaxed)
    }

    fn dialer(&self, max_idle: usize) -> Dialer {
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(HttpConnector::new());
        let target = format!("http://{}", self.addr).parse().unwrap();
        Dialer::new(https, target, max_idle, Duration::from_secs(90))
    }
}

/// An empty request body. `RequestBody` wraps hyper's `Incoming`, which only hyper makes: this one is
/// the body of a response from a server on an in-memory pipe.
async fn empty_body() -> RequestBody {
    let (client, server) = tokio::io::duplex(1024);
    let svc = service_fn(|_req| async { Ok::<_, Infallible>(Response::new(Empty::<Bytes>::new())) });
    tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(server), svc));
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(client)).await.unwrap();
    tokio::spawn(conn);
    let resp = sender.send_request(Request::new(Empty::<Bytes>::new())).await.unwrap();
    RequestBody::new(resp.into_body(), None)
}

/// Sends a GET on the slot's connections, as of `now`, and reads the response to its end (which
/// readies its connection for the next request).
async fn get(d: &Dialer, slot: &Slot, now: Instant) {
    let req = Request::get("/").header("host", "app").body(empty_body().await).unwrap();
    let resp = d.send(slot, req, now).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.into_body().collect().await.unwrap().to_bytes(), "ok");
}

/// `n` GETs at once on the slot, as of `now`, polled together on this task.
async fn get_at_once(d: &Dialer, slot: &Slot, n: usize, now: Instant) {
    let mut gets: Vec<_> = (0..n).map(|_| Box::pin(get(d, slot, now))).collect();
    std::future::poll_fn(|cx| {
        gets.retain_mut(|g| g.as_mut().poll(cx).is_pending());
        if gets.is_empty() { Poll::Ready(()) } else { Poll::Pending }
    })
    .await;
}

/// Waits up to 10 s for `cond`.
async fn until(what: &str, cond: impl Fn() -> bool) {
    let wait = async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait).await.unwrap_or_else(|_| panic!("{what}"));
}

fn kept(slot: &Slot) -> usize {
    slot.kept.lock().unwrap().len()
}

fn shared(d: &Dialer) -> usize {
    d.idle.shared.lock().unwrap().len()
}

#[tokio::test]
async fn an_http1_slot_keeps_one_connection_for_requests_one_after_another() {
    let app = App::start(1, None).await;
    let d = app.dialer(512);
    let slot = d.slot(false);
    for _ in 0..5 {
        get(&d, &slot, Instant::now()).await;
    }
    assert_eq!((app.accepted(), kept(&slot), d.idle.count.load(Relaxed)), (1, 1, 1));
}

#[tokio::test]
async fn an_http2_slot_keeps_as_many_as_its_streams_used_at_once() {
    let app = App::start(3, None).await;
    let d = app.dialer(512);
    let slot = d.slot(true);
    get_at_once(&d, &slot, 3, Instant::now()).await;
    assert_eq!((app.accepted(), kept(&slot)), (3, 3), "three streams at once dial three connections");
    get_at_once(&d, &slot, 3, Instant::now()).await;
    assert_eq!((app.accepted(), kept(&slot), d.idle.count.load(Relaxed)), (3, 3, 3), "and keep them");
}

#[tokio::test]
async fn a_closed_client_connections_upstream_connections_serve_the_next_one() {
    let app = App::start(2, None).await;
    let d = app.dialer(512);
    let slot = d.slot(true);
    get_at_once(&d, &slot, 2, Instant::now()).await;
    drop(slot);
    assert_eq!((shared(&d), d.idle.count.load(Relaxed)), (2, 2));
    let next = d.slot(true);
    get_at_once(&d, &next, 2, Instant::now()).await;
    assert_eq!((app.accepted(), shared(&d), kept(&next)), (2, 0, 2), "no new connection");
}

#[tokio::test]
async fn at_most_max_idle_connections_are_kept_and_the_others_closed() {
    let app = App::start(3, None).await;
    let d = app.dialer(1);
    let slot = d.slot(true);
    get_at_once(&d, &slot, 3, Instant::now()).await;
    assert_eq!((kept(&slot), d.idle.count.load(Relaxed)), (1, 1));
    until("the two connections not kept are closed", || app.closed.load(Relaxed) == 2).await;
    drop(slot);
    assert_eq!((shared(&d), d.idle.count.load(Relaxed)), (1, 1), "the one kept joins the shared ones");
}

#[tokio::test]
async fn none_is_reused_after_90_s_idle() {
    for concurrent in [false, true] {
        let app = App::start(1, None).await;
        let d = app.dialer(512);
        let slot = d.slot(concurrent);
        let t0 = Instant::now();
        get(&d, &slot, t0).await;
        get(&d, &slot, t0 + Duration::from_secs(89)).await;
        assert_eq!(app.accepted(), 1, "concurrent={concurrent}: idle 89 s: reused");
        get(&d, &slot, t0 + Duration::from_secs(89 + 91)).await;
        assert_eq!(app.accepted(), 2, "concurrent={concurrent}: idle 91 s: a new connection");
        assert_eq!((kept(&slot), d.idle.count.load(Relaxed)), (1, 1), "concurrent={concurrent}: the old one closed");
    }
}

#[tokio::test]
async fn a_kept_connection_the_app_closes_stops_counting() {
    let app = App::start(1, Some(Duration::from_millis(300))).await;
    let d = app.dialer(1);
    let slot = d.slot(true);
    get(&d, &slot, Instant::now()).await;
    until("the app closed its connection", || app.closed.load(Relaxed) == 1).await;
    until("the closed connection uncounted", || d.idle.count.load(Relaxed) == 0).await;
    assert_eq!(kept(&slot), 1, "the slot still holds it until its next request");
}
