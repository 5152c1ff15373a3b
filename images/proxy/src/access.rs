//! The access log (`--access-log`): one JSON line per request on stdout, in the shape of the other logs
//! (`time`, `level`, `msg`) with what an operator asks of a request: who (the TCP peer, SNI, client
//! certificate), how (HTTP and TLS versions), what (method, path, status, bytes, durations) and the
//! `X-Request-Id`. Never another header value, a cookie, a body or (unless `--access-log-query`) the
//! query string: those carry credentials. What a connection contributes is worked out once per
//! connection; a request adds a few fields and one write.

use std::cell::RefCell;
use std::io::Write as _;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, Request, Uri, Version};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use rustls::ServerConnection;

use crate::log::{push_json_str, push_rfc3339, push_u64};
use crate::tls::policy::version_name;
use crate::x509::Cert;
use crate::xfcc;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A client connection's part of its requests' lines.
pub struct ConnInfo {
    remote: String,
    sni: Option<String>,
    tls_version: &'static str,
    /// The verified client certificate's subject (as in X-Forwarded-Client-Cert) and SHA-256 of its DER.
    client_cert: Option<(String, String)>,
}

/// The client's address as logged: an IPv4 client of the dual-stack listener as `a.b.c.d:port`, not as
/// the IPv4-mapped `[::ffff:a.b.c.d]:port` the socket reports (X-Forwarded-For writes it the same way).
pub fn remote(peer: SocketAddr) -> String {
    SocketAddr::new(peer.ip().to_canonical(), peer.port()).to_string()
}

impl ConnInfo {
    pub fn new(peer: SocketAddr, tls: &ServerConnection, verified_client: bool) -> Self {
        let client_cert = tls
            .peer_certificates()
            .and_then(|chain| chain.first())
            .filter(|_| verified_client)
            .and_then(|leaf| Some((xfcc::subject_string(&Cert::parse(leaf).ok()?), xfcc::sha256_hex(leaf))));
        Self {
            remote: remote(peer),
            sni: tls.server_name().map(str::to_string),
            tls_version: version_name(tls.protocol_version()),
            client_cert,
        }
    }
}

/// One request's line until its response has been sent. Built from shared parts (the URI's bytes are
/// shared, not copied) so that the log costs little per request.
pub struct Pending {
    conn: Arc<ConnInfo>,
    proto: Version,
    method: http::Method,
    uri: Uri,
    query: bool,
    request_id: Option<String>,
    /// Request body bytes read from the client (`RequestBody` counts them); None without a body.
    pub bytes_in: Option<Arc<AtomicU64>>,
    /// From the request's start until the app's response head (or the failure to get one).
    pub upstream: Option<Duration>,
}

impl Pending {
    /// `body`: the request has a body to count.
    pub fn new<B>(conn: Arc<ConnInfo>, req: &Request<B>, body: bool, query: bool) -> Box<Self> {
        let request_id = req.headers().get(X_REQUEST_ID).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        Box::new(Self {
            conn,
            proto: req.version(),
            method: req.method().clone(),
            uri: req.uri().clone(),
            query,
            request_id,
            bytes_in: body.then(|| Arc::new(AtomicU64::new(0))),
            upstream: None,
        })
    }

    /// Writes the line to stdout in one write, so that lines never interleave. The line is built in a
    /// buffer each thread keeps.
    pub fn write(&self, status: u16, bytes_out: u64, total: Duration) {
        LINE.with_borrow_mut(|l| {
            l.clear();
            self.push_line(l, status, bytes_out, total);
            let _ = std::io::stdout().lock().write_all(l.as_bytes());
        });
    }

    /// Appends the whole line, `\n` included.
    fn push_line(&self, l: &mut String, status: u16, bytes_out: u64, total: Duration) {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        l.push_str("{\"time\":\"");
        push_time(l, now);
        l.push_str("\",\"level\":\"INFO\",\"msg\":\"request\",\"remote\":");
        push_json_str(l, &self.conn.remote);
        if let Some(sni) = &self.conn.sni {
            l.push_str(",\"sni\":");
            push_json_str(l, sni);
        }
        l.push_str(",\"proto\":\"");
        l.push_str(proto_name(self.proto));
        l.push_str("\",\"tls_version\":\"");
        l.push_str(self.conn.tls_version);
        l.push_str("\",\"method\":");
        push_json_str(l, self.method.as_str());
        l.push_str(",\"path\":");
        let path = match self.uri.path_and_query() {
            Some(pq) if self.query => pq.as_str(),
            _ => self.uri.path(),
        };
        push_json_str(l, path);
        l.push_str(",\"status\":");
        push_u64(l, u64::from(status), 1);
        l.push_str(",\"bytes_in\":");
        push_u64(l, self.bytes_in.as_ref().map_or(0, |n| n.load(Relaxed)), 1);
        l.push_str(",\"bytes_out\":");
        push_u64(l, bytes_out, 1);
        l.push_str(",\"duration_ms\":");
        push_millis(l, total);
        if let Some(u) = self.upstream {
            l.push_str(",\"upstream_ms\":");
            push_millis(l, u);
        }
        if let Some((subject, sha256)) = &self.conn.client_cert {
            l.push_str(",\"client_subject\":");
            push_json_str(l, subject);
            l.push_str(",\"client_sha256\":\"");
            l.push_str(sha256);
            l.push('"');
        }
        if let Some(id) = &self.request_id {
            l.push_str(",\"request_id\":");
            push_json_str(l, id);
        }
        l.push_str("}\n");
    }
}

thread_local! {
    /// The line being written, its capacity kept between requests.
    static LINE: RefCell<String> = RefCell::new(String::with_capacity(512));
    /// The current second as RFC 3339 without the `Z`, formatted once a second per thread.
    static SECOND: RefCell<(u64, String)> = const { RefCell::new((0, String::new())) };
}

/// Appends `now` (since the epoch) as RFC 3339 in UTC with nanoseconds.
fn push_time(out: &mut String, now: Duration) {
    SECOND.with_borrow_mut(|(secs, text)| {
        if *secs != now.as_secs() || text.is_empty() {
            text.clear();
            push_rfc3339(text, now.as_secs() as i64, None);
            text.pop();
            *secs = now.as_secs();
        }
        out.push_str(text);
    });
    out.push('.');
    push_u64(out, u64::from(now.subsec_nanos()), 9);
    out.push('Z');
}

fn proto_name(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_11 => "HTTP/1.1",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "",
    }
}

/// Milliseconds with microsecond precision (`0.412`, `1500.000`).
fn push_millis(out: &mut String, d: Duration) {
    let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    push_u64(out, us / 1000, 1);
    out.push('.');
    push_u64(out, us % 1000, 3);
}

/// A client's request body on its way to the app; with the access log on, its bytes are counted.
pub struct RequestBody {
    inner: Incoming,
    counted: Option<Arc<AtomicU64>>,
}

impl RequestBody {
    pub fn new(inner: Incoming, counted: Option<Arc<AtomicU64>>) -> Self {
        Self { inner, counted }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let r = Pin::new(&mut self.inner).poll_frame(cx);
        if let (Some(n), Poll::Ready(Some(Ok(f)))) = (&self.counted, &r) {
            if let Some(d) = f.data_ref() {
                n.fetch_add(d.len() as u64, Relaxed);
            }
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Pending {
        fn line(&self, status: u16, bytes_out: u64, total: Duration) -> String {
            let mut l = String::new();
            self.push_line(&mut l, status, bytes_out, total);
            l
        }
    }

    #[test]
    fn time_is_rfc3339_with_nanoseconds_across_seconds() {
        for (secs, nanos, want) in [
            (1, 5, "1970-01-01T00:00:01.000000005Z"),
            (1, 6, "1970-01-01T00:00:01.000000006Z"),
            (86_400, 0, "1970-01-02T00:00:00.000000000Z"),
        ] {
            let mut s = String::new();
            push_time(&mut s, Duration::new(secs, nanos));
            assert_eq!(s, want);
        }
    }

    #[test]
    fn an_ipv4_client_of_the_dual_stack_listener_is_logged_as_ipv4() {
        assert_eq!(remote("[::ffff:10.244.0.1]:43453".parse().unwrap()), "10.244.0.1:43453");
        assert_eq!(remote("[2001:db8::1]:443".parse().unwrap()), "[2001:db8::1]:443");
        assert_eq!(remote("127.0.0.1:5000".parse().unwrap()), "127.0.0.1:5000");
    }

    fn conn(cert: bool) -> Arc<ConnInfo> {
        Arc::new(ConnInfo {
            remote: "127.0.0.1:5000".into(),
            sni: Some("app.example".into()),
            tls_version: "TLSv1.3",
            client_cert: cert.then(|| ("CN=client \"1\",O=Org".to_string(), "ab".repeat(32))),
        })
    }

    fn request(uri: &str) -> Request<()> {
        Request::builder()
            .uri(uri)
            .method("POST")
            .header("cookie", "session=secret-cookie")
            .header("authorization", "Bearer secret-token")
            .header("x-request-id", http::HeaderValue::from_bytes(b"id-\"1\"\\\t\xff").unwrap())
            .body(())
            .unwrap()
    }

    #[test]
    fn a_line_has_every_field_and_no_secret() {
        let mut p = Pending::new(conn(true), &request("/a/b%20c?token=secret-query"), true, false);
        p.bytes_in.as_ref().unwrap().store(12, Relaxed);
        p.upstream = Some(Duration::from_micros(1200));
        let line = p.line(201, 34, Duration::from_micros(1500));
        assert!(line.ends_with("}\n") && line.matches('\n').count() == 1, "{line}");
        for secret in ["secret-query", "secret-cookie", "secret-token", "token="] {
            assert!(!line.contains(secret), "{secret} in {line}");
        }
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!((v["level"].as_str(), v["msg"].as_str()), (Some("INFO"), Some("request")));
        assert_eq!((v["remote"].as_str(), v["sni"].as_str()), (Some("127.0.0.1:5000"), Some("app.example")));
        assert_eq!((v["proto"].as_str(), v["tls_version"].as_str()), (Some("HTTP/1.1"), Some("TLSv1.3")));
        assert_eq!((v["method"].as_str(), v["path"].as_str()), (Some("POST"), Some("/a/b%20c")));
        assert_eq!(
            (v["status"].as_u64(), v["bytes_in"].as_u64(), v["bytes_out"].as_u64()),
            (Some(201), Some(12), Some(34))
        );
        assert_eq!(v["duration_ms"].as_f64(), Some(1.5));
        assert_eq!(v["upstream_ms"].as_f64(), Some(1.2));
        assert!(line.contains(r#""duration_ms":1.500,"upstream_ms":1.200,"#), "{line}");
        assert_eq!(v["client_subject"].as_str(), Some("CN=client \"1\",O=Org"));
        assert_eq!(v["client_sha256"].as_str().map(str::len), Some(64));
        assert_eq!(v["request_id"].as_str(), Some("id-\"1\"\\\t\u{fffd}"));
        assert!(v["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    }

    #[test]
    fn optional_fields_are_left_out_and_the_query_kept_when_asked() {
        let req = Request::builder().uri("/q?x=1&y=%22").version(Version::HTTP_2).body(()).unwrap();
        let p = Pending::new(conn(false), &req, false, true);
        let v: serde_json::Value = serde_json::from_str(&p.line(502, 0, Duration::ZERO)).unwrap();
        assert_eq!((v["bytes_in"].as_u64(), v["duration_ms"].as_f64()), (Some(0), Some(0.0)));
        assert_eq!((v["path"].as_str(), v["proto"].as_str()), (Some("/q?x=1&y=%22"), Some("HTTP/2.0")));
        for absent in ["upstream_ms", "client_subject", "client_sha256", "request_id"] {
            assert!(v.get(absent).is_none(), "{absent} in {v}");
        }
    }
}
