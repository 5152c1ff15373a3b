//! Header rewriting between the client and the app: hop-by-hop headers stay on their hop (RFC 9110
//! section 7.6.1, and every header the Connection header names), and the app learns who asked through
//! `X-Forwarded-For/-Host/-Proto` and `X-Forwarded-Client-Cert`, which replace whatever a client sent
//! under those names so the app can trust them.

use std::net::IpAddr;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// Hop-by-hop headers (Go's list, as the Go proxy stripped them). `Trailer` is not among them: it
/// announces end-to-end trailers.
const HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("proxy-connection"),
    HeaderName::from_static("keep-alive"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const FORWARDED: HeaderName = HeaderName::from_static("forwarded");
const XFCC: HeaderName = HeaderName::from_static(crate::xfcc::HEADER);

/// Whether `h`'s Connection header has `token` (comma-separated, any case).
fn connection_has(h: &HeaderMap, token: &str) -> bool {
    h.get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// The protocol a request asks to switch to (`Connection: upgrade` and `Upgrade: <protocol>`).
pub fn upgrade_protocol(h: &HeaderMap) -> Option<HeaderValue> {
    if connection_has(h, "upgrade") { h.get(header::UPGRADE).cloned() } else { None }
}

/// Removes the headers the Connection header names, then the fixed hop-by-hop list.
pub fn strip_hop_by_hop(h: &mut HeaderMap) {
    let named: Vec<HeaderName> = h
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| HeaderName::from_bytes(t.trim().as_bytes()).ok())
        .collect();
    for n in named {
        h.remove(n);
    }
    for n in &HOP_BY_HOP {
        h.remove(n);
    }
}

/// What the proxy tells the app about the client's hop.
pub struct Forwarded<'a> {
    pub client_ip: IpAddr,
    /// The Host the client asked for (Host header or HTTP/2 :authority).
    pub host: Option<&'a HeaderValue>,
    /// The verified client certificate, formatted (see xfcc).
    pub client_cert: Option<&'a HeaderValue>,
}

/// Rewrites a client's request headers for the app. Keeps `TE: trailers` (gRPC needs it) and
/// re-adds the upgrade handshake the hop-by-hop stripping removed.
pub fn to_upstream(h: &mut HeaderMap, fwd: &Forwarded<'_>) {
    let upgrade = upgrade_protocol(h);
    let te_trailers = h
        .get_all(header::TE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("trailers"));
    strip_hop_by_hop(h);
    for n in [&FORWARDED, &X_FORWARDED_FOR, &X_FORWARDED_HOST, &X_FORWARDED_PROTO, &XFCC] {
        h.remove(n);
    }
    let ip = fwd.client_ip.to_canonical().to_string();
    h.insert(X_FORWARDED_FOR, HeaderValue::from_str(&ip).expect("an IP is a valid header value"));
    if let Some(host) = fwd.host {
        h.insert(header::HOST, host.clone());
        h.insert(X_FORWARDED_HOST, host.clone());
    }
    h.insert(X_FORWARDED_PROTO, HeaderValue::from_static("https"));
    if let Some(cert) = fwd.client_cert {
        h.insert(XFCC, cert.clone());
    }
    if te_trailers {
        h.insert(header::TE, HeaderValue::from_static("trailers"));
    }
    if let Some(proto) = upgrade {
        h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        h.insert(header::UPGRADE, proto);
    }
}

/// Rewrites the app's response headers for the client; a 101 keeps its upgrade handshake.
pub fn to_client(h: &mut HeaderMap, switching: bool) {
    let upgrade = if switching { h.get(header::UPGRADE).cloned() } else { None };
    strip_hop_by_hop(h);
    if let Some(proto) = upgrade {
        h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        h.insert(header::UPGRADE, proto);
    }
}

#[cfg(test)]
mod tests;
