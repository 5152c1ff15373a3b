//! Hop-by-hop stripping and the forwarded headers, on any header block a client or the app sends.
#![no_main]

use http::header::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;
use proxy::headers::{self, Forwarded};

const HOP: [&str; 7] = [
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "proxy-authenticate",
    "transfer-encoding",
    "forwarded",
    "x-forwarded-host",
];

fuzz_target!(|data: &[u8]| {
    let mut h = HeaderMap::new();
    for line in data.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else { continue };
        let (Ok(n), Ok(v)) = (HeaderName::from_bytes(&line[..colon]), HeaderValue::from_bytes(&line[colon + 1..]))
        else {
            continue;
        };
        h.append(n, v);
    }
    let named: Vec<String> = h
        .get_all("connection")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .collect();
    let mut response = h.clone();
    let client_ip = headers::forwarded_for("192.0.2.1".parse().unwrap());
    let fwd = Forwarded { client_ip: &client_ip, host: None, host_from_header: false, client_cert: None };
    headers::to_upstream(&mut h, &fwd);
    for n in HOP {
        assert!(h.get(n).is_none(), "{n} left in {h:?}");
    }
    assert_eq!(h.get_all("x-forwarded-for").iter().count(), 1);
    assert_eq!(h["x-forwarded-proto"], "https");
    assert_eq!(h.get_all("x-real-ip").iter().collect::<Vec<_>>(), [&client_ip]);
    let reserved = ["x-forwarded-for", "x-forwarded-proto", "x-real-ip", "connection", "upgrade", "te", "host"];
    for n in named.iter().filter(|n| !reserved.contains(&n.as_str())) {
        assert!(h.get(n.as_str()).is_none(), "{n} named in Connection but kept");
    }
    headers::to_client(&mut response, false);
    assert!(response.get("connection").is_none() && response.get("keep-alive").is_none());
});
