use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

fn err(args: &[&str], env: &[(&str, &str)]) -> String {
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    match parse(args, |k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())) {
        Err(ConfigError::Invalid(m)) => m,
        other => panic!("{args:?}: {other:?}"),
    }
}

#[test]
fn defaults() {
    let c = parse::<&str>(&[], no_env).unwrap();
    assert_eq!(c.listen, ":8443");
    assert_eq!(c.admin_listen, ":9901");
    assert_eq!(c.upstream.dial_addr, "127.0.0.1:8080");
    assert_eq!(c.tls_dir, PathBuf::from("/etc/sidecar/tls"));
    assert!(c.admin_tls && !c.access_log);
    assert_eq!(c.client_auth, ClientAuth::None);
    assert_eq!(c.upstream_protocol, UpstreamProtocol::Http1);
    assert_eq!((c.shutdown_timeout, c.drain_delay), (Duration::from_secs(25), Duration::from_secs(3)));
    assert_eq!((c.read_header_timeout, c.idle_timeout), (Duration::from_secs(10), Duration::from_secs(120)));
    assert_eq!(c.tls_handshake_timeout, Duration::from_secs(10));
    assert_eq!((c.max_header_bytes, c.upstream_max_idle_conns), (32 << 10, 512));
    assert_eq!(c.max_connections, MaxConnections::Auto);
    assert_eq!((c.log_level, c.watch_interval), (Level::Info, Duration::from_secs(1)));
}

#[test]
fn flag_syntaxes_and_precedence() {
    let env = |k: &str| (k == "PROXY_LISTEN").then(|| "127.0.0.1:1".to_string());
    assert_eq!(parse::<&str>(&[], env).unwrap().listen, "127.0.0.1:1");
    for args in [&["--listen=:2"][..], &["-listen", ":2"], &["--listen", ":2"]] {
        assert_eq!(parse(args, env).unwrap().listen, ":2", "{args:?}");
    }
    let c = parse(&["--access-log", "-admin-tls=false", "--upstream-protocol=h2c"], no_env).unwrap();
    assert!(c.access_log && !c.admin_tls);
    assert_eq!(c.upstream_protocol, UpstreamProtocol::H2c);
    assert!(matches!(parse(&["-h"], no_env), Err(ConfigError::Help(u)) if u.contains("PROXY_WATCH_INTERVAL")));
    assert!(matches!(parse(&["--help"], no_env), Err(ConfigError::Help(_))));
}

#[test]
fn errors_name_the_flag_and_what_is_allowed() {
    assert_eq!(
        err(&["--client-auth=maybe"], &[]),
        "invalid value \"maybe\" for flag --client-auth: allowed: none|request|require"
    );
    assert_eq!(
        err(&[], &[("PROXY_DRAIN_DELAY", "-1s")]),
        "invalid value \"-1s\" for env PROXY_DRAIN_DELAY (flag --drain-delay): must be between 0 and 24h"
    );
    assert!(err(&["--nope"], &[]).starts_with("unknown flag --nope; allowed: --listen"));
    assert!(err(&["extra"], &[]).starts_with("unexpected argument \"extra\""));
    assert_eq!(err(&["--listen"], &[]), "flag needs an argument: --listen");
    assert!(err(&["--tls-dir="], &[]).contains("a directory is required"));
    assert!(err(&["--max-header-bytes=10"], &[]).contains("between 1KiB and 64MiB"));
    assert!(err(&["--upstream-max-idle-conns=0"], &[]).contains("from 1 to 65536"));
    assert!(err(&["--max-connections=0"], &[]).contains("want auto or an integer from 1 to 1048576"));
    assert!(err(&["--max-connections=lots"], &[]).contains("auto"));
    assert_eq!(parse(&["--max-connections=300"], no_env).unwrap().max_connections, MaxConnections::Fixed(300));
    assert!(err(&["--log-level=loud"], &[]).contains("debug|info|warn|error"));
    assert!(err(&["--upstream-protocol=h3"], &[]).contains("http1|h2c"));
    assert!(err(&["--upstream=https://a", "--upstream-protocol=h2c"], &[]).contains("h2c"));
    assert!(!err(&[], &[("PROXY_LISTEN", "a\nb")]).contains('\n'));
}

#[test]
fn unknown_proxy_variables_are_ignored() {
    let env = |k: &str| k.starts_with("PROXY_PORT").then(|| "tcp://127.0.0.1:9".to_string());
    assert!(parse::<&str>(&[], env).is_ok());
}
