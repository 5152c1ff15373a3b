use super::*;

fn map(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
    }
    h
}

#[test]
fn hop_by_hop_and_named_headers_are_stripped() {
    let mut h = map(&[
        ("connection", "keep-alive, X-Hop-A"),
        ("connection", "x-hop-b"),
        ("x-hop-a", "1"),
        ("x-hop-b", "2"),
        ("keep-alive", "timeout=5"),
        ("proxy-connection", "keep-alive"),
        ("proxy-authorization", "Basic x"),
        ("te", "gzip"),
        ("upgrade", "h2c"),
        ("x-end-to-end", "kept"),
    ]);
    let host = HeaderValue::from_static("app.example:8443");
    to_upstream(
        &mut h,
        &Forwarded {
            client_ip: &forwarded_for("::ffff:127.0.0.1".parse().unwrap()),
            host: Some(&host),
            host_from_header: false,
            client_cert: None,
        },
    );
    let names: Vec<&str> = h.keys().map(|k| k.as_str()).collect();
    for gone in
        ["x-hop-a", "x-hop-b", "keep-alive", "proxy-connection", "proxy-authorization", "te", "upgrade", "connection"]
    {
        assert!(!names.contains(&gone), "{gone} in {names:?}");
    }
    assert_eq!(h["x-end-to-end"], "kept");
    assert_eq!(h["x-forwarded-for"], "127.0.0.1");
    assert_eq!((&h["host"], &h["x-forwarded-host"]), (&host, &host));
    assert_eq!(h["x-forwarded-proto"], "https");
}

#[test]
fn spoofed_forwarding_headers_are_replaced() {
    let mut h = map(&[
        ("x-forwarded-for", "203.0.113.7"),
        ("X-Forwarded-Proto", "http"),
        ("forwarded", "for=1.2.3.4"),
        ("x-forwarded-client-cert", "Hash=00"),
        ("X-Real-IP", "203.0.113.7"),
        ("x-real-ip", "198.51.100.1"),
    ]);
    let cert = HeaderValue::from_static("Hash=ab;Subject=\"CN=x\"");
    to_upstream(
        &mut h,
        &Forwarded {
            client_ip: &forwarded_for("10.0.0.1".parse().unwrap()),
            host: None,
            host_from_header: false,
            client_cert: Some(&cert),
        },
    );
    assert_eq!(h.get_all("x-forwarded-for").iter().count(), 1);
    assert_eq!(h["x-forwarded-for"], "10.0.0.1");
    assert_eq!(h["x-forwarded-proto"], "https");
    assert_eq!(h.get_all("x-real-ip").iter().collect::<Vec<_>>(), ["10.0.0.1"]);
    assert!(h.get("forwarded").is_none() && h.get("x-forwarded-host").is_none());
    assert_eq!(h.get_all("x-forwarded-client-cert").iter().collect::<Vec<_>>(), vec![&cert]);
}

#[test]
fn upgrades_and_grpc_trailers_survive() {
    let mut h = map(&[("connection", "Upgrade"), ("upgrade", "websocket"), ("te", "trailers, gzip")]);
    to_upstream(
        &mut h,
        &Forwarded {
            client_ip: &forwarded_for("127.0.0.1".parse().unwrap()),
            host: None,
            host_from_header: false,
            client_cert: None,
        },
    );
    assert_eq!(
        (h["connection"].as_bytes(), h["upgrade"].as_bytes(), h["te"].as_bytes()),
        (&b"upgrade"[..], &b"websocket"[..], &b"trailers"[..])
    );

    let mut r = map(&[("connection", "X-Resp-Hop"), ("x-resp-hop", "1"), ("keep-alive", "max=1"), ("x-end", "kept")]);
    to_client(&mut r, false);
    assert_eq!(r.keys().map(|k| k.as_str()).collect::<Vec<_>>(), vec!["x-end"]);
    let mut s = map(&[("connection", "upgrade"), ("upgrade", "websocket")]);
    to_client(&mut s, true);
    assert_eq!((s["connection"].as_bytes(), s["upgrade"].as_bytes()), (&b"upgrade"[..], &b"websocket"[..]));
}

#[test]
fn removed_index_matches_the_list() {
    for (i, n) in REMOVED.iter().enumerate() {
        assert_eq!(removed_index(n.as_str()), Some(i), "{n}");
    }
    assert_eq!(removed_index("x-end-to-end"), None);
}

#[test]
fn host_from_the_header_ends_up_single() {
    for hosts in [&["a.example"][..], &["a.example", "b.example"]] {
        let mut h = map(&hosts.iter().map(|v| ("host", *v)).collect::<Vec<_>>());
        let host = h["host"].clone();
        let ip = forwarded_for("127.0.0.1".parse().unwrap());
        to_upstream(
            &mut h,
            &Forwarded { client_ip: &ip, host: Some(&host), host_from_header: true, client_cert: None },
        );
        assert_eq!(h.get_all("host").iter().collect::<Vec<_>>(), vec![&host]);
        assert_eq!(h["x-forwarded-host"], host);
    }
}
