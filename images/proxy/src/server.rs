//! Listeners and connections: bind, accept, the TLS handshake, then hyper's HTTP/1.1 or HTTP/2 server
//! as ALPN chose, each with its limits set on purpose.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::access::ConnInfo;
use crate::admission::Admission;
use crate::config::{ClientAuth, Config};
use crate::conn::{self, ConnState, Watched};
use crate::linger::Lingering;
use crate::proxy::{self, ClientConn, Proxy};
use crate::tls::CertStore;
use crate::{log, plaintext, xfcc};

/// HTTP/2 flow-control windows: request body bytes a client may send ahead of what the app has read,
/// per stream and per connection. The RFC's and HAProxy's 64 KiB per stream; hyper's 1 MiB defaults
/// would let each connection park 1 MiB in our memory.
const STREAM_WINDOW: u32 = 64 << 10;
const CONNECTION_WINDOW: u32 = 128 << 10;
/// Response bytes queued per stream for a client that reads slowly (hyper's default: 400 KiB).
const MAX_SEND_BUF: usize = 64 << 10;
/// Streams a client may open and reset before we accepted them (the "rapid reset" attack,
/// CVE-2023-44487): beyond this the connection gets GOAWAY. h2's default, set so it stays deliberate.
const MAX_PENDING_ACCEPT_RESET_STREAMS: usize = 20;
/// Streams a client may make us reset through its errors (CVE-2024-27316's kin) before GOAWAY.
const MAX_LOCAL_ERROR_RESET_STREAMS: usize = 1024;

/// Binds `addr` (`:port` means every interface, IPv6 and IPv4 where the host has both).
pub async fn bind(flag: &str, addr: &str) -> Result<TcpListener, String> {
    let fail = |e: std::io::Error| {
        let e = e.to_string();
        let e = e.split(" (os error").next().unwrap_or(&e).to_string();
        format!("--{flag} {addr}: {e}")
    };
    match addr.strip_prefix(':') {
        Some(port) => match TcpListener::bind(format!("[::]:{port}")).await {
            Ok(l) => Ok(l),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Err(fail(e)),
            Err(_) => TcpListener::bind(format!("0.0.0.0:{port}")).await.map_err(fail),
        },
        None => TcpListener::bind(addr).await.map_err(fail),
    }
}

/// The HTTP servers for proxy connections, built once.
pub struct Protocols {
    h1: http1::Builder,
    h2: http2::Builder<TokioExecutor>,
    admission: Admission,
    handshake_timeout: Option<Duration>,
    header_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    client_auth: ClientAuth,
}

fn non_zero(d: Duration) -> Option<Duration> {
    (!d.is_zero()).then_some(d)
}

impl Protocols {
    pub fn new(cfg: &Config, admission: Admission) -> Self {
        let mut h1 = http1::Builder::new();
        h1.timer(TokioTimer::new())
            // Request line and headers beyond --max-header-bytes are answered 431.
            .max_header_size(cfg.max_header_bytes)
            // The read buffer must hold a head of that size and a body chunk (hyper's floor is 8 KiB).
            .max_buf_size((cfg.max_header_bytes + (16 << 10)).max(8192))
            // Our own header timeout (conn.rs): hyper's would also cut idle keep-alive connections.
            .header_read_timeout(None)
            .keep_alive(true)
            .half_close(false);
        let mut h2 = http2::Builder::new(TokioExecutor::new());
        h2.timer(TokioTimer::new())
            // --max-concurrent-streams, 100 by default: enough for a page's parallel requests (nginx
            // allows 128, Envoy recommends 100), bounded so that one connection cannot hold many upstream
            // requests and their buffers.
            .max_concurrent_streams(cfg.traffic.max_concurrent_streams)
            .initial_stream_window_size(STREAM_WINDOW)
            .initial_connection_window_size(CONNECTION_WINDOW)
            .max_send_buf_size(MAX_SEND_BUF)
            // SETTINGS_MAX_HEADER_LIST_SIZE: also bounds a header block's CONTINUATION frames, which h2
            // counts against it (the CONTINUATION flood, CVE-2024-27316 and kin, ends in GOAWAY).
            .max_header_list_size(cfg.max_header_bytes.min(u32::MAX as usize) as u32)
            .max_pending_accept_reset_streams(MAX_PENDING_ACCEPT_RESET_STREAMS)
            .max_local_error_reset_streams(MAX_LOCAL_ERROR_RESET_STREAMS)
            // SETTINGS floods: h2 acknowledges each SETTINGS frame as it reads it and stops reading
            // while its acknowledgements cannot be written, so a flood only fills its own socket.
            // No keep-alive pings: --idle-timeout closes connections without streams.
            .keep_alive_interval(None);
        Self {
            h1,
            h2,
            admission,
            handshake_timeout: non_zero(cfg.tls_handshake_timeout),
            header_timeout: non_zero(cfg.read_header_timeout),
            idle_timeout: non_zero(cfg.idle_timeout),
            client_auth: cfg.client_auth,
        }
    }
}

/// Accepts proxy connections until the drain's listeners close; the listener closes when this returns.
/// At the connection cap it stops accepting until a connection closes (see `admission`).
pub async fn serve_proxy(listener: TcpListener, p: Arc<Proxy>, protos: Arc<Protocols>, certs: Arc<CertStore>) {
    loop {
        let admitted = tokio::select! {
            a = protos.admission.room() => a,
            _ = p.drain.graceful.cancelled() => return,
        };
        let (tcp, peer) = loop {
            tokio::select! {
                r = listener.accept() => match r {
                    Ok(c) => break c,
                    Err(e) => {
                        // EMFILE and friends: wait instead of spinning.
                        log::warn("accept failed", &[("error", e.to_string().into())]);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                _ = p.drain.graceful.cancelled() => return,
            }
        };
        let (p, protos, certs) = (p.clone(), protos.clone(), certs.clone());
        let tracker = p.drain.tracker.clone();
        let tcp = Lingering::new(tcp, admitted.accepted());
        tracker.spawn(async move { proxy_conn(tcp, peer, p, protos, certs).await });
    }
}

async fn proxy_conn(tcp: Lingering, peer: SocketAddr, p: Arc<Proxy>, protos: Arc<Protocols>, certs: Arc<CertStore>) {
    let m = p.metrics.clone();
    tcp.set_nodelay();
    let acceptor = TlsAcceptor::from(certs.current().proxy.clone());
    // --tls-handshake-timeout runs from the accept, the wait for a handshake permit included; so does
    // the answer to a plain-HTTP request (`plaintext`).
    let handshake = async {
        let _handshaking = protos.admission.handshake().await;
        if plaintext::is_plain_http(&tcp).await {
            plaintext::answer(tcp).await;
            return Err(std::io::Error::other("plain HTTP on the TLS port, answered"));
        }
        acceptor.accept(tcp).await
    };
    let handshake = async {
        match protos.handshake_timeout {
            Some(t) => {
                tokio::time::timeout(t, handshake).await.unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
            }
            None => handshake.await,
        }
    };
    let tls = tokio::select! {
        r = handshake => match r {
            Ok(t) => t,
            Err(e) => {
                // Scanners, probes and plain HTTP: counted, and logged at debug only.
                m.tls_handshake_errors.fetch_add(1, Relaxed);
                log::debug("TLS handshake error", &[("remote", crate::access::remote(peer).into()), ("error", e.to_string().into())]);
                return;
            }
        },
        _ = p.drain.force.cancelled() => return,
    };
    let session = tls.get_ref().1;
    let h2 = session.alpn_protocol() == Some(b"h2");
    let xfcc = match protos.client_auth {
        ClientAuth::None => None,
        _ => session
            .peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(|leaf| xfcc::format(leaf))
            .and_then(|v| http::HeaderValue::from_str(&v).ok()),
    };
    let access = p.access_log.then(|| Arc::new(ConnInfo::new(peer, session, protos.client_auth != ClientAuth::None)));
    // The first request is awaited from here, within --read-header-timeout (HTTP/2: its first stream).
    let state = Arc::new(ConnState::new(!h2));
    let mut io = Watched::new(tls, state.clone());
    let forwarded_for = crate::headers::forwarded_for(peer.ip());
    let drain = p.drain.clone();
    if h2 {
        let upstream = p.upstream.slot(true);
        let cc = Arc::new(ClientConn { peer, forwarded_for, xfcc, h2, state: state.clone(), upstream, access });
        let svc = service_fn(move |req| proxy::handle(p.clone(), cc.clone(), req));
        let c = protos.h2.serve_connection(TokioIo::new(io), svc);
        conn::drive(c, &state, &drain, protos.header_timeout, protos.idle_timeout).await;
        return;
    }
    tokio::select! {
        more = io.wait_for_request() => if !more { return },
        _ = conn::first_request_deadline(&state, protos.header_timeout) => return,
        _ = drain.graceful.cancelled() => return,
    };
    let upstream = p.upstream.slot(false);
    let cc = Arc::new(ClientConn { peer, forwarded_for, xfcc, h2, state: state.clone(), upstream, access });
    let svc = service_fn(move |req| proxy::handle(p.clone(), cc.clone(), req));
    let c = protos.h1.serve_connection(TokioIo::new(io), svc).with_upgrades();
    conn::drive(c, &state, &drain, protos.header_timeout, protos.idle_timeout).await;
}
