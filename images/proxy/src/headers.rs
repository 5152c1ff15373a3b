//! Header rewriting between the client and the app: hop-by-hop headers stay on their hop (RFC 9110
//! section 7.6.1, and every header the Connection header names), and the app learns who asked through
//! `X-Forwarded-For/-Host/-Proto` and `X-Forwarded-Client-Cert`, which replace whatever a client sent
//! under those names so the app can trust them.
//!
//! Most messages carry none of the names removed here, so the map's keys are scanned once and only
//! the names found are removed (a removal hashes its name; scanning a dozen keys is cheaper).

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// Hop-by-hop headers (the list Go's `httputil.ReverseProxy` strips), then what the proxy sets on the way
/// to the app, replacing what the client sent. `Trailer` is not among the former: it announces
/// end-to-end trailers.
const REMOVED: [HeaderName; 14] = [
    header::CONNECTION,
    HeaderName::from_static("proxy-connection"),
    HeaderName::from_static("keep-alive"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    header::FORWARDED,
    X_FORWARDED_FOR,
    X_FORWARDED_HOST,
    X_FORWARDED_PROTO,
    XFCC,
    X_REAL_IP,
];
/// The hop-by-hop names among `REMOVED`, as a mask of its indices.
const HOP_BY_HOP: u16 = (1 << 8) - 1;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const XFCC: HeaderName = HeaderName::from_static(crate::xfcc::HEADER);
/// nginx's name for the client address, which many apps trust: set like X-Forwarded-For.
const X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");

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

/// The index of `name` in `REMOVED` (a string match: cheaper than comparing names one by one).
fn removed_index(name: &str) -> Option<usize> {
    Some(match name {
        "connection" => 0,
        "proxy-connection" => 1,
        "keep-alive" => 2,
        "proxy-authenticate" => 3,
        "proxy-authorization" => 4,
        "te" => 5,
        "transfer-encoding" => 6,
        "upgrade" => 7,
        "forwarded" => 8,
        "x-forwarded-for" => 9,
        "x-forwarded-host" => 10,
        "x-forwarded-proto" => 11,
        crate::xfcc::HEADER => 12,
        "x-real-ip" => 13,
        _ => return None,
    })
}

/// Removes the headers the Connection header names, the fixed hop-by-hop list, and (`forwarding`) the
/// names the proxy sets itself.
fn strip(h: &mut HeaderMap, forwarding: bool) {
    let mut found = 0u16;
    for k in h.keys() {
        if let Some(i) = removed_index(k.as_str()) {
            found |= 1 << i;
        }
    }
    if !forwarding {
        found &= HOP_BY_HOP;
    }
    if found & 1 != 0 {
        // Connection: the names it lists that are present and not removed anyway (usually none:
        // "keep-alive", "close", "upgrade").
        let named: Vec<HeaderName> = tokens(h, &header::CONNECTION)
            .filter(|t| !REMOVED[..8].iter().any(|n| n.as_str().eq_ignore_ascii_case(t)) && h.contains_key(*t))
            .filter_map(|t| HeaderName::from_bytes(t.as_bytes()).ok())
            .collect();
        for n in named {
            h.remove(n);
        }
    }
    for (i, n) in REMOVED.iter().enumerate() {
        if found & (1 << i) != 0 {
            h.remove(n);
        }
    }
}

/// What the proxy tells the app about the client's hop.
pub struct Forwarded<'a> {
    /// X-Forwarded-For: the client's IP (IPv4-mapped IPv6 as IPv4), formatted once per connection.
    pub client_ip: &'a HeaderValue,
    /// The Host the client asked for (Host header or HTTP/2 :authority).
    pub host: Option<&'a HeaderValue>,
    /// `host` is the (first) value of the request's Host header.
    pub host_from_header: bool,
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
    // Room for the five headers below at once: the map grows (reallocates) at most once.
    h.reserve(5);
    h.insert(X_FORWARDED_FOR, fwd.client_ip.clone());
    h.insert(X_REAL_IP, fwd.client_ip.clone());
    if let Some(host) = fwd.host {
        // Set unless it already is Host's only value (every header left has one value).
        if !fwd.host_from_header || h.len() != h.keys_len() {
            h.insert(header::HOST, host.clone());
        }
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
