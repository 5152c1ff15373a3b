//! The traffic controls' settings: request rate limits, HTTP/2 streams per connection, the upstream
//! timeouts and HSTS; the parsers of their values and the checks that span more than one of their flags.

use std::time::Duration;

use super::values::{parse_duration_up_to, parse_int};

/// The largest `--rate-limit-rps`/`--client-rate-limit-rps` and burst.
pub const MAX_RATE: i64 = 1_000_000;
/// The most HTTP/2 streams a connection may have open (`--max-concurrent-streams`).
pub const MAX_STREAMS: i64 = 1000;
/// The longest `--hsts-max-age`: ten years.
pub const MAX_HSTS_AGE: Duration = Duration::from_secs(10 * 365 * 86400);
/// What the HSTS preload list asks of `max-age` (hstspreload.org): one year.
pub const PRELOAD_MIN_AGE: Duration = Duration::from_secs(365 * 86400);

/// A token bucket's setting: `rps` requests per second on average, `burst` at once; off when `rps` is 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rate {
    pub rps: u32,
    /// 0: the same as `rps`.
    pub burst: u32,
}

impl Rate {
    pub fn is_on(self) -> bool {
        self.rps > 0
    }

    /// The bucket's size.
    pub fn burst(self) -> u32 {
        if self.burst == 0 { self.rps } else { self.burst }
    }
}

/// The traffic controls of `Config` (every one off, or today's value, by default).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// All requests of the pod (`--rate-limit-rps/-burst`).
    pub rate_limit: Rate,
    /// Requests per client address (`--client-rate-limit-rps/-burst`).
    pub client_rate_limit: Rate,
    pub max_concurrent_streams: u32,
    /// 0: none.
    pub upstream_connect_timeout: Duration,
    /// From the request sent to the app to its response's head; 0: none.
    pub upstream_response_timeout: Duration,
    /// 0: no HSTS header.
    pub hsts_max_age: Duration,
    pub hsts_include_subdomains: bool,
    pub hsts_preload: bool,
}

/// A request rate or burst: an integer from 0 to `MAX_RATE`.
pub fn parse_rate(s: &str) -> Result<u32, String> {
    parse_int(s, 0, MAX_RATE).map(|n| n as u32).map_err(|e| format!("{e} (0 = off)"))
}

pub fn parse_streams(s: &str) -> Result<u32, String> {
    parse_int(s, 1, MAX_STREAMS).map(|n| n as u32)
}

/// HSTS `max-age`: 0 (off) or whole seconds from 1s to ten years.
pub fn parse_hsts_max_age(s: &str) -> Result<Duration, String> {
    let d = parse_duration_up_to(s, MAX_HSTS_AGE, "87600h (10 years)")?;
    if !d.is_zero() && d < Duration::from_secs(1) {
        return Err("must be 0 (off) or at least 1s".into());
    }
    Ok(Duration::from_secs(d.as_secs()))
}

/// The settings that are valid alone but not together: a burst without its rate, HSTS options without
/// HSTS, and preload without what the preload list requires.
pub fn check(t: &Traffic) -> Result<(), String> {
    for (rate, flag) in [(t.rate_limit, "rate-limit"), (t.client_rate_limit, "client-rate-limit")] {
        if rate.burst > 0 && !rate.is_on() {
            return Err(format!(
                "--{flag}-burst={} needs --{flag}-rps above 0 (the burst of an off limit)",
                rate.burst
            ));
        }
    }
    if t.hsts_max_age.is_zero() && (t.hsts_include_subdomains || t.hsts_preload) {
        let flag = if t.hsts_preload { "--hsts-preload" } else { "--hsts-include-subdomains" };
        return Err(format!("{flag} needs --hsts-max-age above 0 (0 = no HSTS header)"));
    }
    if t.hsts_preload && (t.hsts_max_age < PRELOAD_MIN_AGE || !t.hsts_include_subdomains) {
        return Err("--hsts-preload needs --hsts-max-age of at least 8760h (1 year) and --hsts-include-subdomains \
             (the preload list's requirements)"
            .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{ConfigError, parse};
    use super::*;

    fn ok(args: &[&str]) -> Traffic {
        parse(args, |_| None).unwrap_or_else(|e| panic!("{args:?}: {e:?}")).traffic
    }

    fn err(args: &[&str], env: &[(&str, &str)]) -> String {
        match parse(args, |k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())) {
            Err(ConfigError::Invalid(m)) => m,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn defaults_are_off_or_todays_values() {
        let t = ok(&[]);
        assert_eq!((t.rate_limit, t.client_rate_limit), (Rate::default(), Rate::default()));
        assert_eq!(t.max_concurrent_streams, 100);
        assert_eq!(t.upstream_connect_timeout, Duration::from_secs(5));
        assert_eq!(t.upstream_response_timeout, Duration::ZERO);
        assert_eq!(t.hsts_max_age, Duration::ZERO);
        assert!(!t.hsts_include_subdomains && !t.hsts_preload);
    }

    #[test]
    fn values_and_environment() {
        let t = ok(&[
            "--rate-limit-rps=50",
            "--client-rate-limit-rps=5",
            "--client-rate-limit-burst=20",
            "--max-concurrent-streams=250",
            "--upstream-connect-timeout=1500ms",
            "--upstream-response-timeout=30s",
            "--hsts-max-age=8760h",
            "--hsts-include-subdomains",
            "--hsts-preload",
        ]);
        assert_eq!((t.rate_limit.rps, t.rate_limit.burst()), (50, 50));
        assert_eq!((t.client_rate_limit.rps, t.client_rate_limit.burst()), (5, 20));
        assert_eq!(t.max_concurrent_streams, 250);
        assert_eq!(t.upstream_connect_timeout, Duration::from_millis(1500));
        assert_eq!(t.upstream_response_timeout, Duration::from_secs(30));
        assert_eq!(t.hsts_max_age, PRELOAD_MIN_AGE);
        assert!(t.hsts_include_subdomains && t.hsts_preload);
        let env = |k: &str| (k == "PROXY_RATE_LIMIT_BURST" || k == "PROXY_RATE_LIMIT_RPS").then(|| "7".to_string());
        assert_eq!(parse::<&str>(&[], env).unwrap().traffic.rate_limit, Rate { rps: 7, burst: 7 });
        assert_eq!(ok(&["--hsts-max-age=1.9s"]).hsts_max_age, Duration::from_secs(1));
    }

    #[test]
    fn bad_values_name_the_flag_and_what_is_allowed() {
        for flag in ["rate-limit-rps", "rate-limit-burst", "client-rate-limit-rps", "client-rate-limit-burst"] {
            for v in ["-1", "1000001", "fast"] {
                let e = err(&[&format!("--{flag}={v}")], &[]);
                assert!(e.contains(&format!("--{flag}")) && e.contains("from 0 to 1000000"), "{e}");
            }
        }
        assert!(
            err(&["--max-concurrent-streams=0"], &[])
                .contains("--max-concurrent-streams: want an integer from 1 to 1000")
        );
        assert!(err(&["--max-concurrent-streams=1001"], &[]).contains("from 1 to 1000"));
        assert!(err(&["--upstream-connect-timeout=25h"], &[]).contains("between 0 and 24h"));
        assert!(err(&["--upstream-response-timeout=soon"], &[]).contains("duration"));
        assert!(err(&["--hsts-max-age=87601h"], &[]).contains("--hsts-max-age: must be between 0 and 87600h"));
        assert!(err(&["--hsts-max-age=500ms"], &[]).contains("0 (off) or at least 1s"));
        assert!(err(&["--hsts-preload=maybe"], &[]).contains("true|false"));
        assert_eq!(
            err(&[], &[("PROXY_CLIENT_RATE_LIMIT_RPS", "x")]),
            "invalid value \"x\" for env PROXY_CLIENT_RATE_LIMIT_RPS (flag --client-rate-limit-rps): \
             want an integer from 0 to 1000000 (0 = off)"
        );
    }

    #[test]
    fn flags_that_need_another() {
        assert!(err(&["--rate-limit-burst=10"], &[]).contains("--rate-limit-burst=10 needs --rate-limit-rps above 0"));
        assert!(err(&["--client-rate-limit-burst=3"], &[]).contains("needs --client-rate-limit-rps"));
        assert!(err(&["--hsts-include-subdomains"], &[]).contains("--hsts-include-subdomains needs --hsts-max-age"));
        assert!(err(&["--hsts-preload"], &[]).contains("--hsts-preload needs --hsts-max-age"));
        let preload = "--hsts-preload needs --hsts-max-age of at least 8760h (1 year) and --hsts-include-subdomains";
        assert!(err(&["--hsts-max-age=8760h", "--hsts-preload"], &[]).contains(preload));
        assert!(err(&["--hsts-max-age=8759h", "--hsts-include-subdomains", "--hsts-preload"], &[]).contains(preload));
        assert!(ok(&["--hsts-max-age=1h", "--hsts-include-subdomains"]).hsts_include_subdomains);
    }
}
