use super::*;
use crate::tls::policy::{MinVersion, Profile};

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

#[test]
fn every_problem_is_reported_at_once() {
    let e =
        err(&["--client-auth=maybe", "--drain-delay=soon", "--nope", "--listen=:1"], &[("PROXY_LOG_LEVEL", "loud")]);
    assert!(e.starts_with("4 problems: "), "{e}");
    for part in [
        "env PROXY_LOG_LEVEL",
        "debug|info|warn|error",
        "--client-auth",
        "none|request|require",
        "--drain-delay",
        "unknown flag --nope",
    ] {
        assert!(e.contains(part), "{part} missing from {e}");
    }
    // One problem reads as before, without a count.
    assert_eq!(
        err(&["--log-level=loud"], &[]),
        "invalid value \"loud\" for flag --log-level: allowed: debug|info|warn|error"
    );
    // A value error and a clash of valid values together.
    let e = err(&["--upstream=https://a", "--upstream-protocol=h2c", "--tls-profile=old"], &[]);
    assert!(
        e.starts_with("2 problems: ") && e.contains("h2c needs an http://") && e.contains("intermediate|modern"),
        "{e}"
    );
}

#[test]
fn tls_policy_flags_and_their_variables() {
    let c = parse::<&str>(&[], no_env).unwrap();
    assert_eq!(c.tls_policy, crate::tls::policy::TlsPolicy::default());
    let env = |k: &str| (k == "PROXY_TLS_GROUPS").then(|| "P-384,x25519".to_string());
    let c = parse(&["--tls-min-version=1.3", "--tls-profile", "modern"], env).unwrap();
    assert_eq!(c.tls_policy.groups, ["P-384", "X25519"]);
    assert_eq!((c.tls_policy.min_version, c.tls_policy.profile), (MinVersion::Tls13, Profile::Modern));
    assert!(parse(&["--tls-profile=modern"], no_env).is_ok(), "modern needs no --tls-min-version");
    assert!(err(&["--tls-min-version=1.1"], &[]).contains("--tls-min-version: allowed: 1.2|1.3"));
    assert!(
        err(&[], &[("PROXY_TLS_MIN_VERSION", "1.0")]).contains("env PROXY_TLS_MIN_VERSION (flag --tls-min-version)")
    );
    assert!(err(&["--tls-profile=old"], &[]).contains("--tls-profile: allowed: intermediate|modern"));
    let e = err(&["--tls-groups=X25519,P-521"], &[]);
    assert!(
        e.contains("--tls-groups")
            && e.contains("\"P-521\"")
            && e.contains("allowed (comma-separated): X25519MLKEM768"),
        "{e}"
    );
    assert!(err(&[], &[("PROXY_TLS_GROUPS", "X448")]).contains("env PROXY_TLS_GROUPS"));
    // Combinations the library could not serve as asked.
    assert!(err(&["--tls-profile=modern", "--tls-min-version=1.2"], &[]).contains("--tls-profile=modern"));
    assert!(err(&["--tls-profile=modern"], &[("PROXY_TLS_MIN_VERSION", "1.2")]).contains("--tls-min-version=1.2"));
    assert!(err(&["--tls-groups=MLKEM768"], &[]).contains("TLS 1.3 only"));
    assert!(parse(&["--tls-groups=MLKEM768", "--tls-min-version=1.3"], no_env).is_ok());
}
