//! Header rewriting between the client and the app: hop-by-hop headers stay on their hop (RFC 9110
//! section 7.6.1, and every header the Connection header names), and the app learns who asked through
//! `X-Forwarded-For/-Host/-Proto` and `X-Forwarded-Client-Cert`, which replace whatever a client sent
//! under those names so the app can trust them.
//!
//! Most messages carry none of the names removed here, so the map's keys are scanned once and only
//! the names found are removed (a removal hashes its name; scanning a dozen keys is cheaper).

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
const XFCC: HeaderName = HeaderName::from_static(crate::xfcc::HEADER);
/// What the proxy sets on the way to the app, replacing what the client sent.
const FORWARDING: [HeaderName; 5] = [header::FORWARDED, X_FORWARDED_FOR, X_FORWARDED_HOST, X_FORWARDED_PROTO, XFCC];

/// The comma-separated tokens of every `name` header.
fn tokens<'a>(h: &'a HeaderMap, name: &HeaderName) -> impl Iterator<Item = &'a str> {
    h.get_all(name).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).map(str::trim)
}

fn has(h: &HeaderMap, name: &HeaderName) -> bool {
    h.keys().any(|k| k == name)
}

/// The protocol a request asks to switch to (`Connection: upgrade` and `Upgrade: <protocol>`).
pub fn upgrade_protocol(h: &HeaderMap) -> Option<HeaderValue> {
    if !has(h, &header::UPGRADE) || !tokens(h, &header::CONNECTION).any(|t| t.eq_ignore_ascii_case("upgrade")) {
        return None;
    }
    h.get(header::UPGRADE).cloned()
}

/// Removes the headers the Connection header names, the fixed hop-by-hop list, and (`forwarding`) the
/// names the proxy sets itself.
fn strip(h: &mut HeaderMap, forwarding: bool) {
    let connection = has(h, &header::CONNECTION).then(|| h.get_all(header::CONNECTION));
    let named = |k: &HeaderName| {
        let values = connection.iter().flat_map(|c| c.iter());
        values
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(k.as_str()))
    };
    let doomed: Vec<HeaderName> = h
        .keys()
        .filter(|k| HOP_BY_HOP.contains(k) || (forwarding && FORWARDING.contains(k)) || named(k))
        .cloned()
        .collect();
    for n in doomed {
        h.remove(n);
    }
}

/// What the proxy tells the app about the client's hop.
pub struct Forwarded<'a> {
    /// X-Forwarded-For: the client's IP (IPv4-mapped IPv6 as IPv4), formatted once per connection.
    pub client_ip: &'a HeaderValue,
    /// The Host the client asked for (Host header or HTTP/2 :authority).
    pub host: Option<&'a HeaderValue>,
    /// The verified client certificate, formatted (see xfcc).
    pub client_cert: Option<&'a HeaderValue>,
}

/// The X-Forwarded-For value of a client address.
pub fn forwarded_for(ip: std::net::IpAddr) -> HeaderValue {
    HeaderValue::from_str(&ip.to_canonical().to_string()).expect("an IP is a valid header value")
}

/// Rewrites a client's request headers for the app. Keeps `TE: trailers` (gRPC needs it) and
/// re-adds the upgrade handshake the hop-by-hop stripping removed.
pub fn to_upstream(h: &mut HeaderMap, fwd: &Forwarded<'_>) {
    let upgrade = upgrade_protocol(h);
    let te_trailers = has(h, &header::TE) && tokens(h, &header::TE).any(|t| t.eq_ignore_ascii_case("trailers"));
    strip(h, true);
    h.insert(X_FORWARDED_FOR, fwd.client_ip.clone());
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
    strip(h, false);
    if let Some(proto) = upgrade {
        h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        h.insert(header::UPGRADE, proto);
    }
}

#[cfg(test)]
mod tests;
