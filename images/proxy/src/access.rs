//! The access log (`--access-log`): one JSON line per request on stdout, in the shape of the other logs
//! (`time`, `level`, `msg`) with what an operator asks of a request: who (the TCP peer, SNI, client
//! certificate), how (HTTP and TLS versions), what (method, path, status, bytes, durations) and the
//! `X-Request-Id`. Never another header value, a cookie, a body or (unless `--access-log-query`) the
//! query string: those carry credentials. What a connection contributes is worked out once per
//! connection; a request adds a few fields and one write.

use std::io::Write as _;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderName, Request, Version};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use rustls::ServerConnection;

use crate::log::{push_json_str, rfc3339};
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

impl ConnInfo {
    pub fn new(peer: SocketAddr, tls: &ServerConnection, verified_client: bool) -> Self {
        let client_cert = tls
            .peer_certificates()
            .and_then(|chain| chain.first())
            .filter(|_| verified_client)
            .and_then(|leaf| Some((xfcc::subject_string(&Cert::parse(leaf).ok()?), xfcc::sha256_hex(leaf))));
        Self {
            remote: peer.to_string(),
            sni: tls.server_name().map(str::to_string),
            tls_version: version_name(tls.protocol_version()),
            client_cert,
        }
    }
}

/// One request's line until its response has been sent.
pub struct Pending {
    conn: Arc<ConnInfo>,
    proto: Version,
    method: http::Method,
    path: String,
    request_id: Option<String>,
    /// Request body bytes read from the client (`RequestBody` counts them).
    pub bytes_in: Arc<AtomicU64>,
    start: Instant,
    /// From the request's start until the app's response head (or the failure to get one).
    upstream: Option<Duration>,
}

impl Pending {
    pub fn new<B>(conn: Arc<ConnInfo>, req: &Request<B>, query: bool) -> Box<Self> {
        let uri = req.uri();
        let path = match uri.path_and_query() {
            Some(pq) if query => pq.as_str(),
            _ => uri.path(),
        };
        let request_id = req.headers().get(X_REQUEST_ID).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        Box::new(Self {
            conn,
            proto: req.version(),
            method: req.method().clone(),
            path: path.to_string(),
            request_id,
            bytes_in: Arc::new(AtomicU64::new(0)),
            start: Instant::now(),
            upstream: None,
        })
    }

    /// The app's response head came (or the attempt failed) now.
    pub fn upstream_done(&mut self) {
        self.upstream = Some(self.start.elapsed());
    }

    /// The whole line, `\n` included.
    pub fn line(&self, status: u16, bytes_out: u64, total: Duration) -> String {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let mut l = String::with_capacity(384);
        l.push_str("{\"time\":\"");
        l.push_str(&rfc3339(now.as_secs() as i64, Some(now.subsec_nanos())));
        l.push_str("\",\"level\":\"INFO\",\"msg\":\"request\",\"remote\":");
        push_json_str(&mut l, &self.conn.remote);
        if let Some(sni) = &self.conn.sni {
            l.push_str(",\"sni\":");
            push_json_str(&mut l, sni);
        }
        l.push_str(",\"proto\":\"");
        l.push_str(proto_name(self.proto));
        l.push_str("\",\"tls_version\":\"");
        l.push_str(self.conn.tls_version);
        l.push_str("\",\"method\":");
        push_json_str(&mut l, self.method.as_str());
        l.push_str(",\"path\":");
        push_json_str(&mut l, &self.path);
        l.push_str(&format!(
            ",\"status\":{status},\"bytes_in\":{},\"bytes_out\":{bytes_out},\"duration_ms\":{}",
            self.bytes_in.load(Relaxed),
            millis(total)
        ));
        if let Some(u) = self.upstream {
            l.push_str(&format!(",\"upstream_ms\":{}", millis(u)));
        }
        if let Some((subject, sha256)) = &self.conn.client_cert {
            l.push_str(",\"client_subject\":");
            push_json_str(&mut l, subject);
            l.push_str(",\"client_sha256\":\"");
            l.push_str(sha256);
            l.push('"');
        }
        if let Some(id) = &self.request_id {
            l.push_str(",\"request_id\":");
            push_json_str(&mut l, id);
        }
        l.push_str("}\n");
        l
    }
}

/// Writes one line to stdout in one write, so that lines never interleave.
pub fn write(line: &str) {
    let _ = std::io::stdout().lock().write_all(line.as_bytes());
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

/// Milliseconds with microsecond precision (`0.412`).
fn millis(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
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
        let mut p = Pending::new(conn(true), &request("/a/b%20c?token=secret-query"), false);
        p.bytes_in.store(12, Relaxed);
        p.upstream_done();
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
        assert!(v["upstream_ms"].as_f64().is_some_and(|u| u >= 0.0));
        assert_eq!(v["client_subject"].as_str(), Some("CN=client \"1\",O=Org"));
        assert_eq!(v["client_sha256"].as_str().map(str::len), Some(64));
        assert_eq!(v["request_id"].as_str(), Some("id-\"1\"\\\t\u{fffd}"));
        assert!(v["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    }

    #[test]
    fn optional_fields_are_left_out_and_the_query_kept_when_asked() {
        let req = Request::builder().uri("/q?x=1&y=%22").version(Version::HTTP_2).body(()).unwrap();
        let p = Pending::new(conn(false), &req, true);
        let v: serde_json::Value = serde_json::from_str(&p.line(502, 0, Duration::ZERO)).unwrap();
        assert_eq!((v["path"].as_str(), v["proto"].as_str()), (Some("/q?x=1&y=%22"), Some("HTTP/2.0")));
        for absent in ["upstream_ms", "client_subject", "client_sha256", "request_id"] {
            assert!(v.get(absent).is_none(), "{absent} in {v}");
        }
    }
}
