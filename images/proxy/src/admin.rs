//! The admin listener: `/healthz` (liveness), `/readyz`, `/metrics` and `/drain` (the app's preStop hook).
//! HTTPS with the proxy's certificate by default, since kubelet probes use `scheme: HTTPS`; it never asks
//! for a client certificate (kubelet has none).

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;

use crate::health::Health;
use crate::metrics::Metrics;

pub struct Admin {
    pub health: Health,
    pub metrics: Arc<Metrics>,
}

type Reply = Response<Full<Bytes>>;

fn reply(code: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Reply {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = code;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

const TEXT: &str = "text/plain; charset=utf-8";

pub async fn handle<B>(a: Arc<Admin>, req: Request<B>) -> Result<Reply, Infallible> {
    let known = matches!(req.uri().path(), "/healthz" | "/readyz" | "/metrics" | "/drain");
    if known && req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = reply(StatusCode::METHOD_NOT_ALLOWED, TEXT, "Method Not Allowed\n");
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Ok(r);
    }
    Ok(match req.uri().path() {
        "/healthz" => reply(StatusCode::OK, TEXT, "ok\n"),
        "/readyz" => match a.health.ready().await {
            Ok(()) => {
                a.metrics.set_ready(true);
                reply(StatusCode::OK, TEXT, "ready\n")
            }
            Err(why) => {
                a.metrics.set_ready(false);
                reply(StatusCode::SERVICE_UNAVAILABLE, TEXT, format!("not ready: {}\n", why.replace('\n', " ")))
            }
        },
        "/metrics" => {
            a.metrics.set_ready(a.health.ready().await.is_ok());
            reply(StatusCode::OK, "text/plain; version=0.0.4; charset=utf-8", a.metrics.render())
        }
        "/drain" => {
            // Answers after --drain-delay (the preStop hook's duration), at once when the drain began
            // that long ago; a hook that gives up drops this future, the drain goes on.
            let wait = a.health.drain.start_early(&a.metrics);
            tokio::time::sleep(wait).await;
            reply(StatusCode::OK, TEXT, "drained\n")
        }
        _ => reply(StatusCode::NOT_FOUND, TEXT, "404 page not found\n"),
    })
}

/// Admin connections served at once: the kubelet's probes and a scraper need a handful, and a flood of
/// the admin port must not take the memory the proxy listener is sized for.
const MAX_ADMIN_CONNECTIONS: usize = 64;

/// Serves the admin listener until the process exits (probes are answered throughout a drain).
pub async fn serve(listener: tokio::net::TcpListener, a: Arc<Admin>, certs: Arc<crate::tls::CertStore>, use_tls: bool) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use std::time::Duration;
    // Small limits: only the kubelet and a scraper talk here.
    let mut h1 = hyper::server::conn::http1::Builder::new();
    h1.timer(TokioTimer::new()).header_read_timeout(Duration::from_secs(5)).max_buf_size(64 << 10);
    let h1 = Arc::new(h1);
    let cap = crate::admission::Cap { max: MAX_ADMIN_CONNECTIONS, reason: "admin listener".into() };
    let admission = crate::admission::Admission::new(cap, None);
    loop {
        let admitted = admission.room().await;
        let Ok((tcp, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let (a, h1) = (a.clone(), h1.clone());
        let acceptor = use_tls.then(|| tokio_rustls::TlsAcceptor::from(certs.current().admin.clone()));
        let tcp = crate::linger::Lingering::new(tcp, admitted.accepted());
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| handle(a.clone(), req));
            match acceptor {
                Some(acc) => {
                    if let Ok(Ok(tls)) = tokio::time::timeout(Duration::from_secs(5), acc.accept(tcp)).await {
                        let _ = h1.serve_connection(TokioIo::new(tls), svc).await;
                    }
                }
                None => {
                    let _ = h1.serve_connection(TokioIo::new(tcp), svc).await;
                }
            }
        });
    }
}
