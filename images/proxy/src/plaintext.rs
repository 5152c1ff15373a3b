//! A plain-HTTP request on the TLS port (an `http://` link to an HTTPS-only port) gets an answer
//! instead of a reset: `308` to the same Host and path over https, or `400` when the request names no
//! Host. Told apart before the handshake by the first byte: a TLS record starts with 0x16 (handshake),
//! an HTTP/1.x request with a method's upper-case letter. hyper reads the request; it runs inside the
//! handshake's permit and timeout, so plain-HTTP connections are bounded like handshakes.

use std::convert::Infallible;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::uri::Authority;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};

use crate::linger::Lingering;

/// The read buffer, and so the longest head: what a TLS handshake may buffer too.
const MAX_HEAD: usize = 64 << 10;

pub const NO_HOST_BODY: &str =
    "400 Bad Request: this port speaks HTTPS only, and the request names no Host to redirect to\n";
const REDIRECT_BODY: &str = "308 Permanent Redirect: this port speaks HTTPS only\n";

/// Whether the connection's first byte starts a plain HTTP/1.x request (waits for it).
pub async fn is_plain_http(tcp: &Lingering) -> bool {
    let mut first = [0u8; 1];
    matches!(tcp.peek(&mut first).await, Ok(1) if first[0].is_ascii_uppercase())
}

/// Answers one plain-HTTP request, then closes the connection.
pub async fn answer(tcp: Lingering) {
    let svc = service_fn(|req: Request<hyper::body::Incoming>| async move { Ok::<_, Infallible>(redirect(&req)) });
    let mut b = http1::Builder::new();
    b.timer(TokioTimer::new()).header_read_timeout(None).keep_alive(false).max_buf_size(MAX_HEAD);
    let _ = b.serve_connection(TokioIo::new(tcp), svc).await;
}

/// `308` to `https://<Host><path and query>`, the Host as given (its port included); `400` without a
/// usable Host.
pub fn redirect<B>(req: &Request<B>) -> Response<Full<Bytes>> {
    let host = match req.uri().authority() {
        Some(a) => Some(a.as_str()),
        None => req.headers().get(header::HOST).and_then(|h| h.to_str().ok()),
    };
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let path = if path.starts_with('/') { path } else { "/" };
    let location = host
        .and_then(|h| h.parse::<Authority>().ok())
        .filter(|a| !a.as_str().contains('@') && !a.host().is_empty())
        .and_then(|a| HeaderValue::from_str(&format!("https://{a}{path}")).ok());
    let (code, body) = match location {
        Some(_) => (StatusCode::PERMANENT_REDIRECT, REDIRECT_BODY),
        None => (StatusCode::BAD_REQUEST, NO_HOST_BODY),
    };
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = code;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Some(l) = location {
        h.insert(header::LOCATION, l);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(target: &str, host: Option<&str>) -> (u16, Option<String>) {
        let mut b = Request::builder().uri(target);
        if let Some(h) = host {
            b = b.header(header::HOST, h);
        }
        let r = redirect(&b.body(()).unwrap());
        let loc = r.headers().get(header::LOCATION).map(|l| l.to_str().unwrap().to_string());
        (r.status().as_u16(), loc)
    }

    #[test]
    fn redirects_to_the_same_host_and_path() {
        let cases = [
            ("/a/b?x=1", Some("app.example.test"), "https://app.example.test/a/b?x=1"),
            ("/", Some("app.example.test:8443"), "https://app.example.test:8443/"),
            ("/p", Some("[::1]:8443"), "https://[::1]:8443/p"),
            ("http://abs.example.test:80/q?y", Some("other.example"), "https://abs.example.test:80/q?y"),
            ("*", Some("h.example"), "https://h.example/"),
        ];
        for (target, host, want) in cases {
            assert_eq!(location(target, host), (308, Some(want.to_string())), "{target} {host:?}");
        }
    }

    #[test]
    fn no_usable_host_is_400() {
        for host in [None, Some(""), Some("a b"), Some("user@evil.example"), Some(":8443")] {
            assert_eq!(location("/x", host), (400, None), "{host:?}");
        }
    }
}
