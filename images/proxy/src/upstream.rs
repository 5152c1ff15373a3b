//! The client to the app: hyper-util's pooled client over plain TCP (or rustls for an `https://`
//! upstream), HTTP/1.1 keep-alive or HTTP/2 with prior knowledge (h2c); clients' requests to an
//! HTTP/1.1 upstream go on their own connection's upstream connections (`reuse`). Environment
//! proxies (`HTTP_PROXY`) are never used: this traffic stays in the pod.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::access::RequestBody;
use crate::config::{Config, Upstream, UpstreamProtocol};
use crate::log;
use crate::reuse::{Dialer, Slot};

/// Idle upstream connections older than this are closed (the app may close them first; the pool
/// notices and retries idempotent requests on a fresh connection).
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Dials the one upstream address whatever the request URI's authority says: with h2c the URI carries
/// the client's Host as `:authority`, which is not where the app listens.
#[derive(Clone)]
pub struct FixedAddr {
    inner: HttpConnector,
    target: Uri,
}

impl tower_service::Service<Uri> for FixedAddr {
    type Response = <HttpConnector as tower_service::Service<Uri>>::Response;
    type Error = <HttpConnector as tower_service::Service<Uri>>::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, _: Uri) -> Self::Future {
        Box::pin(self.inner.call(self.target.clone()))
    }
}

/// `connect_timeout`: --upstream-connect-timeout (0 = none); a connection not made within it is a 502.
fn tcp_connector(connect_timeout: Duration) -> HttpConnector {
    let mut c = HttpConnector::new();
    c.enforce_http(false); // https:// URIs reach it through the TLS connector
    c.set_connect_timeout((!connect_timeout.is_zero()).then_some(connect_timeout));
    c.set_keepalive(Some(Duration::from_secs(30)));
    c.set_nodelay(true);
    c
}

/// TLS to an `https://` upstream, verified against the system's CAs (`SSL_CERT_FILE`/`SSL_CERT_DIR`;
/// a `FROM scratch` image has none, so such a deployment mounts them). A plain-HTTP upstream needs none.
fn upstream_tls(u: &Upstream) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    if u.is_https() {
        let found = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(found.certs);
        if roots.is_empty() {
            return Err(format!("--upstream {}: no CA certificates to verify it (set SSL_CERT_FILE)", u.raw));
        }
    }
    rustls::ClientConfig::builder_with_provider(crate::tls::provider())
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(roots).with_no_client_auth())
        .map_err(|e| format!("upstream TLS: {e}"))
}

enum Pool {
    Http1(Client<HttpsConnector<HttpConnector>, RequestBody>),
    H2c(Client<FixedAddr, RequestBody>),
}

pub struct UpstreamClient {
    pub target: Upstream,
    pool: Pool,
    /// Upgrades (WebSocket) are HTTP/1.1 handshakes: with h2c they still go over HTTP/1.1.
    upgrades: Client<HttpsConnector<HttpConnector>, RequestBody>,
    /// HTTP/1.1 upstream: the connections client connections keep.
    reuse: Option<Dialer>,
}

impl UpstreamClient {
    pub fn new(cfg: &Config) -> Result<Self, String> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(upstream_tls(&cfg.upstream)?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp_connector(cfg.traffic.upstream_connect_timeout));
        let reuse = match cfg.upstream_protocol {
            UpstreamProtocol::Http1 => {
                let target = format!("{}://{}", cfg.upstream.scheme, cfg.upstream.authority);
                let target = target.parse().map_err(|e| format!("--upstream: {e}"))?;
                Some(Dialer::new(https.clone(), target, cfg.upstream_max_idle_conns, POOL_IDLE_TIMEOUT))
            }
            UpstreamProtocol::H2c => None,
        };
        let mut builder = Client::builder(TokioExecutor::new());
        builder
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_max_idle_per_host(cfg.upstream_max_idle_conns)
            // Host comes from the client's request, never from the upstream URL.
            .set_host(false);
        let h1 = builder.build(https);
        let pool = match cfg.upstream_protocol {
            UpstreamProtocol::Http1 => Pool::Http1(h1.clone()),
            UpstreamProtocol::H2c => {
                let target: Uri =
                    format!("http://{}", cfg.upstream.dial_addr).parse().map_err(|e| format!("--upstream: {e}"))?;
                let fixed = FixedAddr { inner: tcp_connector(cfg.traffic.upstream_connect_timeout), target };
                Pool::H2c(builder.clone().http2_only(true).build(fixed))
            }
        };
        Ok(Self { target: cfg.upstream.clone(), pool, upgrades: h1, reuse })
    }

    pub fn is_h2c(&self) -> bool {
        matches!(self.pool, Pool::H2c(_))
    }

    /// A new client connection's upstream connections (none with h2c); `h2`: an HTTP/2 one.
    pub fn slot(&self, h2: bool) -> Option<Slot> {
        self.reuse.as_ref().map(|d| d.slot(h2))
    }

    /// The dialer of a client connection's own upstream connection, when it has one.
    pub fn reuse<'a>(&self, slot: Option<&'a Slot>) -> Option<(&Dialer, &'a Slot)> {
        self.reuse.as_ref().zip(slot)
    }

    /// Sends a prepared request (absolute URI, headers rewritten) through the pool.
    pub async fn send(
        &self,
        req: http::Request<RequestBody>,
        upgrade: bool,
    ) -> Result<http::Response<Incoming>, String> {
        let r = match &self.pool {
            Pool::H2c(c) if !upgrade => c.request(req).await,
            Pool::H2c(_) => self.upgrades.request(req).await,
            Pool::Http1(c) => c.request(req).await,
        };
        r.map_err(|e| log::error_chain(&e))
    }
}
