//! Flags and PROXY_* variables: any command line and environment either parses or yields one line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy::config::{self, ConfigError};

fuzz_target!(|data: &[u8]| {
    // Before the first 0xff byte: arguments separated by NUL; after it: NAME=value lines.
    let text = String::from_utf8_lossy(data);
    let (args, env) = text.split_once('\u{fffd}').unwrap_or((&text, ""));
    let args: Vec<&str> = args.split('\0').filter(|a| !a.is_empty()).collect();
    let env: Vec<(String, String)> =
        env.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (format!("PROXY_{k}"), v.to_string())).collect();
    match config::parse(&args, |k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())) {
        Ok(cfg) => {
            assert!(cfg.max_header_bytes >= 1024 && cfg.max_header_bytes <= 64 << 20);
            assert!(cfg.drain_delay <= config::values::MAX_DURATION);
            assert!(cfg.upstream_max_idle_conns >= 1);
            let t = &cfg.traffic;
            assert!((1..=1000).contains(&t.max_concurrent_streams));
            assert!(!t.hsts_preload || (t.hsts_include_subdomains && t.hsts_max_age >= config::traffic::PRELOAD_MIN_AGE));
            assert!(t.rate_limit.burst == 0 || t.rate_limit.rps > 0);
        }
        Err(ConfigError::Invalid(msg)) => assert!(!msg.contains('\n') && !msg.contains('\r'), "{msg:?}"),
        Err(ConfigError::Help(usage)) => assert!(usage.contains("--listen")),
    }
    for s in &args {
        let _ = config::values::parse_duration(s);
        let _ = config::values::parse_size(s);
        let _ = config::values::split_host_port(s);
    }
});
