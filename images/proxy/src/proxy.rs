//! The proxy handler: one client request to the app and its response back, with the header rewriting of
//! `headers`, upgrades tunnelled byte for byte, and the short 502 when the app cannot be reached.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::uri::PathAndQuery;
use http::{Method, Request, Response, StatusCode, Uri, Version};
use hyper::body::{Body as _, Incoming};
use hyper_util::rt::TokioIo;

use crate::access::{ConnInfo, Pending, RequestBody};
use crate::conn::ConnState;
pub use crate::controls::Controls;
use crate::controls::{RATE_LIMITED_BODY, RESPONSE_TIMEOUT_BODY};
use crate::drain::Drain;
use crate::exchange::{Exchange, ProxyBody};
use crate::headers::{self, Forwarded};
use crate::metrics::Metrics;
use crate::ratelimit::{Refused, Scope};
use crate::reuse::{Dialer, Slot};
use crate::upstream::UpstreamClient;
use crate::{hsts, log};

/// The whole 502 body: short, and it names no upstream address.
pub const UPSTREAM_DOWN_BODY: &str = "502 Bad Gateway: upstream unavailable\n";

/// What every request of every connection shares.
pub struct Proxy {
    pub metrics: Arc<Metrics>,
    pub drain: Arc<Drain>,
    pub upstream: UpstreamClient,
    pub access_log: bool,
    /// --access-log-query: the access line's path keeps the query string.
    pub access_log_query: bool,
    /// Rate limits, the upstream response timeout, HSTS.
    pub controls: Controls,
}

/// One client connection, as its requests need it.
pub struct ClientConn {
    pub peer: SocketAddr,
    /// X-Forwarded-For (formatted once per connection).
    pub forwarded_for: HeaderValue,
    /// The verified client certificate as X-Forwarded-Client-Cert (formatted once per connection).
    pub xfcc: Option<HeaderValue>,
    pub h2: bool,
    pub state: Arc<ConnState>,
    /// To an HTTP/1.1 upstream: the upstream connections kept between requests.
    pub upstream: Option<Slot>,
    /// With --access-log: the connection's part of the access lines.
    pub access: Option<Arc<ConnInfo>>,
}

pub async fn handle(
    p: Arc<Proxy>,
    c: Arc<ClientConn>,
    mut req: Request<Incoming>,
) -> Result<Response<ProxyBody>, Infallible> {
    let access =
        c.access.as_ref().map(|conn| Pending::new(conn.clone(), &req, !req.body().is_end_stream(), p.access_log_query));
    let mut x = Exchange::start(p.metrics.clone(), c.state.clone(), access);
    if let Some(limits) = &p.controls.limits
        && let Err(r) = limits.admit(c.peer.ip())
    {
        return Ok(rate_limited(&p, r, x));
    }
    let hsts = p.controls.hsts.as_ref();
    // HTTP/2 has no Upgrade (its connection-specific headers are refused by hyper before we get here).
    let upgrade = !c.h2 && headers::upgrade_protocol(req.headers()).is_some();
    let client_upgrade = upgrade.then(|| hyper::upgrade::on(&mut req));
    if upgrade {
        x.upgraded();
    }
    // For the log line of an upstream error (a copy of the URI shares its bytes).
    let (method, uri) = (req.method().clone(), req.uri().clone());
    // Upgrades and CONNECT (authority-form) go through the pool.
    let slot = c.upstream.as_ref().filter(|_| !upgrade && method != Method::CONNECT);
    let Some(out) = to_upstream(&p.upstream, &c, req, x.bytes_in(), upgrade, slot.is_some()) else {
        x.code = 400;
        return Ok(text(StatusCode::BAD_REQUEST, "400 Bad Request\n", x, hsts));
    };
    // Awaited here, not through one more async fn: the request moves once less. With a response timeout
    // the send is boxed, so that without one this future stays the size it was (measured: bench/icount.sh).
    let sent = match (p.controls.response_timeout, p.upstream.reuse(slot)) {
        (None, Some((dialer, slot))) => Ok(dialer.send(slot, out, x.started()).await),
        (None, None) => Ok(p.upstream.send(out, upgrade).await),
        (Some(t), reuse) => {
            Box::pin(tokio::time::timeout(t, send(&p.upstream, reuse, out, upgrade, x.started()))).await
        }
    };
    x.upstream_done();
    let mut resp = match sent {
        Ok(Ok(r)) => r,
        Err(_) => {
            p.metrics.upstream_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            log::warn("upstream response timeout", &[("method", method.as_str().into()), ("path", uri.path().into())]);
            x.code = 504;
            return Ok(text(StatusCode::GATEWAY_TIMEOUT, RESPONSE_TIMEOUT_BODY, x, hsts));
        }
        Ok(Err(e)) => {
            p.metrics.upstream_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            log::warn(
                "upstream error",
                &[("method", method.as_str().into()), ("path", uri.path().into()), ("error", e.into())],
            );
            x.code = 502;
            return Ok(text(StatusCode::BAD_GATEWAY, UPSTREAM_DOWN_BODY, x, hsts));
        }
    };
    x.code = resp.status().as_u16();
    if let (StatusCode::SWITCHING_PROTOCOLS, Some(client)) = (resp.status(), client_upgrade) {
        let app = hyper::upgrade::on(&mut resp);
        headers::to_client(resp.headers_mut(), true);
        tunnel(p.drain.clone(), client, app, x);
        let (parts, _) = resp.into_parts();
        return Ok(Response::from_parts(parts, ProxyBody::full(Bytes::new(), None)));
    }
    headers::to_client(resp.headers_mut(), false);
    hsts::add(resp.headers_mut(), hsts);
    if p.drain.close_conns() {
        // Draining: this client is asked to go elsewhere after this response. Idle connections are
        // left alone, since a client may be sending on one right now.
        if c.h2 {
            c.state.goaway.notify_one();
        } else {
            resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
    }
    let (parts, body) = resp.into_parts();
    Ok(Response::from_parts(parts, ProxyBody::stream(body, x)))
}

/// Sends a prepared request on the client connection's own upstream connection, or through the pool.
async fn send(
    up: &UpstreamClient,
    reuse: Option<(&Dialer, &Slot)>,
    out: Request<RequestBody>,
    upgrade: bool,
    started: std::time::Instant,
) -> Result<Response<Incoming>, String> {
    match reuse {
        Some((dialer, slot)) => dialer.send(slot, out, started).await,
        None => up.send(out, upgrade).await,
    }
}

/// The request for the app: absolute URI to the upstream (with h2c, the client's Host as `:authority`)
/// or, on a client connection's own upstream connection, origin-form; HTTP/1.1 or HTTP/2 as
/// configured, the client's body streamed as it comes.
fn to_upstream(
    up: &UpstreamClient,
    c: &ClientConn,
    req: Request<Incoming>,
    bytes_in: Option<Arc<std::sync::atomic::AtomicU64>>,
    upgrade: bool,
    origin_form: bool,
) -> Option<Request<RequestBody>> {
    let (mut parts, body) = req.into_parts();
    let authority = parts.uri.authority();
    let host = match authority {
        Some(a) => HeaderValue::from_str(a.as_str()).ok(),
        None => parts.headers.get(header::HOST).cloned(),
    };
    let fwd = Forwarded {
        client_ip: &c.forwarded_for,
        host: host.as_ref(),
        host_from_header: authority.is_none(),
        client_cert: c.xfcc.as_ref(),
    };
    headers::to_upstream(&mut parts.headers, &fwd);
    let target = &up.target;
    let h2c = up.is_h2c() && !upgrade;
    let mut uri = std::mem::take(&mut parts.uri).into_parts();
    let pq = uri.path_and_query.take();
    uri.path_and_query = Some(match pq {
        // The client's path and query as they came: no copy, no parse.
        Some(pq) if target.base_path.is_empty() => pq,
        pq => {
            let pq = pq.as_ref().map_or("/", |pq| pq.as_str());
            PathAndQuery::try_from(format!("{}{pq}", target.base_path)).ok()?
        }
    });
    (uri.scheme, uri.authority) = (None, None);
    if !origin_form {
        let authority = match host.as_ref().and_then(|h| h.to_str().ok()).filter(|_| h2c) {
            Some(h) => h.parse().unwrap_or_else(|_| target.authority.clone()),
            None => target.authority.clone(),
        };
        (uri.scheme, uri.authority) = (Some(target.scheme.clone()), Some(authority));
    }
    parts.uri = Uri::from_parts(uri).ok()?;
    if h2c {
        parts.version = Version::HTTP_2;
        parts.headers.remove(header::HOST); // it travels as :authority
    } else {
        parts.version = Version::HTTP_11;
    }
    Some(Request::from_parts(parts, RequestBody::new(body, bytes_in)))
}

/// Copies bytes both ways between the upgraded client and app connections until either side closes,
/// or the shutdown deadline. The exchange (and the upgraded-connections gauge) lives as long.
fn tunnel(drain: Arc<Drain>, client: hyper::upgrade::OnUpgrade, app: hyper::upgrade::OnUpgrade, x: Exchange) {
    let force = drain.force.clone();
    drain.tracker.spawn(async move {
        let _exchange = x;
        let Ok((client, app)) = tokio::try_join!(client, app) else { return };
        let (mut client, mut app) = (TokioIo::new(client), TokioIo::new(app));
        tokio::select! {
            _ = tokio::io::copy_bidirectional(&mut client, &mut app) => {}
            _ = force.cancelled() => {}
        }
    });
}

/// A 429 with the seconds until the limit has a token again, counted by the limit's scope.
fn rate_limited(p: &Proxy, r: Refused, mut x: Exchange) -> Response<ProxyBody> {
    let counter = match r.scope {
        Scope::Pod => &p.metrics.rate_limited_pod,
        Scope::Client => &p.metrics.rate_limited_client,
    };
    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    x.code = 429;
    let mut resp = text(StatusCode::TOO_MANY_REQUESTS, RATE_LIMITED_BODY, x, p.controls.hsts.as_ref());
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(r.retry_after_secs()));
    resp
}

/// A short plain-text answer of the proxy's own.
fn text(code: StatusCode, body: &'static str, x: Exchange, hsts: Option<&HeaderValue>) -> Response<ProxyBody> {
    let mut r = Response::new(ProxyBody::full(body, Some(x)));
    *r.status_mut() = code;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    hsts::add(h, hsts);
    r
}
