//! Flags and their `PROXY_*` environment variables: Go's `flag` syntax (`--name=value`, `--name value`,
//! `-name`, bare booleans), the environment read first so that the command line wins, and one-line errors
//! that name the flag or variable and what is allowed.

pub mod traffic;
mod upstream;
pub mod values;

use std::path::PathBuf;
use std::time::Duration;

use crate::log::Level;
use crate::tls::policy::{MinVersion, Profile, TlsPolicy, parse_groups};
pub use traffic::{Rate, Traffic};
pub use upstream::{Upstream, UpstreamProtocol};
use values::{parse_addr, parse_bool, parse_duration, parse_int, parse_size};

/// `--client-auth`: whether handshakes ask for and verify a client certificate against `ca.crt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    None,
    Request,
    Require,
}

impl ClientAuth {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Request => "request",
            Self::Require => "require",
        }
    }
}

/// `--max-connections`: a number, or `auto` (sized to the memory limit: see `admission`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxConnections {
    Auto,
    Fixed(usize),
}

/// The largest `--max-connections`.
pub const MAX_CONNECTIONS_LIMIT: i64 = 1 << 20;

impl MaxConnections {
    fn parse(s: &str) -> Result<Self, String> {
        if s.trim() == "auto" {
            return Ok(Self::Auto);
        }
        parse_int(s, 1, MAX_CONNECTIONS_LIMIT)
            .map(|n| Self::Fixed(n as usize))
            .map_err(|_| format!("want auto or an integer from 1 to {MAX_CONNECTIONS_LIMIT}"))
    }
}

/// The validated configuration of one proxy process.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: String,
    pub upstream: Upstream,
    pub upstream_protocol: UpstreamProtocol,
    pub tls_dir: PathBuf,
    pub admin_listen: String,
    pub admin_tls: bool,
    pub client_auth: ClientAuth,
    pub tls_session_resumption: bool,
    /// --tls-min-version, --tls-profile, --tls-groups.
    pub tls_policy: TlsPolicy,
    pub shutdown_timeout: Duration,
    pub drain_delay: Duration,
    pub tls_handshake_timeout: Duration,
    pub read_header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: MaxConnections,
    pub max_header_bytes: usize,
    pub upstream_max_idle_conns: usize,
    pub access_log: bool,
    pub access_log_query: bool,
    pub log_level: Level,
    pub watch_interval: Duration,
    /// Rate limits, HTTP/2 streams, upstream timeouts, HSTS.
    pub traffic: Traffic,
}

/// Why the process does not start serving: `--help` (exit 0) or an invalid value (exit 2).
#[derive(Debug, PartialEq, Eq)]
pub enum ConfigError {
    Help(String),
    Invalid(String),
}

type Setter = fn(&mut Config, &str) -> Result<(), String>;

/// One flag: its name, the default shown in `--help`, what it does, whether it is a boolean, and how a
/// value is applied.
struct Flag {
    name: &'static str,
    default: &'static str,
    usage: &'static str,
    boolean: bool,
    set: Setter,
}

const MAX_HEADER_BYTES_LIMIT: i64 = 64 << 20;

/// A setter for a duration field.
macro_rules! dur {
    ($field:ident) => {
        |c: &mut Config, s: &str| parse_duration(s).map(|d| c.$field = d)
    };
}

#[rustfmt::skip]
static FLAGS: &[Flag] = &[
    Flag { name: "listen", default: ":8443", usage: "TLS listen address for proxied traffic (host:port)", boolean: false,
        set: |c, s| parse_addr(s).map(|v| c.listen = v) },
    Flag { name: "upstream", default: "http://127.0.0.1:8080", usage: "upstream base URL (http or https)", boolean: false,
        set: |c, s| Upstream::parse(s).map(|v| c.upstream = v) },
    Flag { name: "upstream-protocol", default: "http1", usage: "protocol to the upstream: http1|h2c (HTTP/2 with prior knowledge, for gRPC)", boolean: false,
        set: |c, s| UpstreamProtocol::parse(s).map(|v| c.upstream_protocol = v) },
    Flag { name: "tls-dir", default: "/etc/sidecar/tls", usage: "directory holding tls.crt, tls.key and optional ca.crt", boolean: false,
        set: |c, s| if s.is_empty() { Err("a directory is required".into()) } else { c.tls_dir = s.into(); Ok(()) } },
    Flag { name: "admin-listen", default: ":9901", usage: "admin listen address for /healthz, /readyz, /metrics, /drain", boolean: false,
        set: |c, s| parse_addr(s).map(|v| c.admin_listen = v) },
    Flag { name: "admin-tls", default: "true", usage: "serve the admin listener over HTTPS with the same certificate", boolean: true,
        set: |c, s| parse_bool(s).map(|v| c.admin_tls = v) },
    Flag { name: "client-auth", default: "none", usage: "client certificate mode: none|request|require (verified against ca.crt)", boolean: false,
        set: |c, s| { c.client_auth = match s { "none" => ClientAuth::None, "request" => ClientAuth::Request,
            "require" => ClientAuth::Require, _ => return Err("allowed: none|request|require".into()) }; Ok(()) } },
    Flag { name: "tls-session-resumption", default: "true", usage: "let clients resume TLS sessions (TLS 1.3 tickets, TLS 1.2 tickets and session IDs); false: every connection is a full handshake", boolean: true,
        set: |c, s| parse_bool(s).map(|v| c.tls_session_resumption = v) },
    Flag { name: "tls-min-version", default: "1.2", usage: "lowest TLS version served: 1.2|1.3", boolean: false,
        set: |c, s| MinVersion::parse(s).map(|v| c.tls_policy.min_version = v) },
    Flag { name: "tls-profile", default: "intermediate", usage: "Mozilla TLS profile: intermediate (TLS 1.2 with ECDHE and AEAD suites, and 1.3)|modern (TLS 1.3 only)", boolean: false,
        set: |c, s| Profile::parse(s).map(|v| c.tls_policy.profile = v) },
    Flag { name: "tls-groups", default: "X25519MLKEM768,X25519,P-256,P-384", usage: "key-exchange groups in order of preference (comma-separated)", boolean: false,
        set: |c, s| parse_groups(s).map(|v| c.tls_policy.groups = v) },
    Flag { name: "shutdown-timeout", default: "25s", usage: "maximum time to drain in-flight requests on SIGTERM", boolean: false,
        set: dur!(shutdown_timeout) },
    Flag { name: "drain-delay", default: "3s", usage: "time /readyz reports failure before listeners close on SIGTERM", boolean: false,
        set: dur!(drain_delay) },
    Flag { name: "tls-handshake-timeout", default: "10s", usage: "time allowed for a client's TLS handshake, from the accept", boolean: false,
        set: dur!(tls_handshake_timeout) },
    Flag { name: "read-header-timeout", default: "10s", usage: "time allowed to read a request's headers (the first request: from the handshake's end)", boolean: false,
        set: dur!(read_header_timeout) },
    Flag { name: "idle-timeout", default: "2m0s", usage: "keep-alive idle timeout for client connections", boolean: false,
        set: dur!(idle_timeout) },
    Flag { name: "max-connections", default: "auto", usage: "client connections served at once; beyond it new ones wait in the listen backlog (auto: sized to the cgroup memory limit)", boolean: false,
        set: |c, s| MaxConnections::parse(s).map(|v| c.max_connections = v) },
    Flag { name: "max-header-bytes", default: "32KiB", usage: "maximum size of a request's line and headers (bytes, or with KiB/MiB suffix)", boolean: false,
        set: |c, s| match parse_size(s)? {
            n if (1024..=MAX_HEADER_BYTES_LIMIT).contains(&n) => { c.max_header_bytes = n as usize; Ok(()) }
            _ => Err(format!("must be between 1KiB and {}MiB", MAX_HEADER_BYTES_LIMIT >> 20)),
        } },
    Flag { name: "upstream-max-idle-conns", default: "512", usage: "idle keep-alive connections kept to the upstream", boolean: false,
        set: |c, s| parse_int(s, 1, 1 << 16).map(|v| c.upstream_max_idle_conns = v as usize) },
    Flag { name: "access-log", default: "false", usage: "log one JSON line per request on stdout", boolean: true,
        set: |c, s| parse_bool(s).map(|v| c.access_log = v) },
    Flag { name: "access-log-query", default: "false", usage: "keep the query string in the access log's path (it may carry credentials)", boolean: true,
        set: |c, s| parse_bool(s).map(|v| c.access_log_query = v) },
    Flag { name: "log-level", default: "info", usage: "log level: debug|info|warn|error", boolean: false,
        set: |c, s| Level::parse(s).map(|v| c.log_level = v).ok_or_else(|| "allowed: debug|info|warn|error".into()) },
    Flag { name: "watch-interval", default: "1s", usage: "how often --tls-dir is checked for changes (0 = only on SIGHUP)", boolean: false,
        set: dur!(watch_interval) },
    // Traffic controls (config/traffic.rs): request rate limits, HTTP/2 streams, upstream timeouts, HSTS.
    Flag { name: "rate-limit-rps", default: "0", usage: "requests per second the pod serves on average, beyond it 429 (0 = no limit)", boolean: false,
        set: |c, s| traffic::parse_rate(s).map(|v| c.traffic.rate_limit.rps = v) },
    Flag { name: "rate-limit-burst", default: "0", usage: "requests the pod serves at once above --rate-limit-rps (0 = as many as --rate-limit-rps)", boolean: false,
        set: |c, s| traffic::parse_rate(s).map(|v| c.traffic.rate_limit.burst = v) },
    Flag { name: "client-rate-limit-rps", default: "0", usage: "requests per second per client address (the TCP peer; IPv6 by /64), beyond it 429 (0 = no limit)", boolean: false,
        set: |c, s| traffic::parse_rate(s).map(|v| c.traffic.client_rate_limit.rps = v) },
    Flag { name: "client-rate-limit-burst", default: "0", usage: "requests a client address may send at once (0 = as many as --client-rate-limit-rps)", boolean: false,
        set: |c, s| traffic::parse_rate(s).map(|v| c.traffic.client_rate_limit.burst = v) },
    Flag { name: "max-concurrent-streams", default: "100", usage: "HTTP/2 streams a client connection may have open at once (1-1000)", boolean: false,
        set: |c, s| traffic::parse_streams(s).map(|v| c.traffic.max_concurrent_streams = v) },
    Flag { name: "upstream-connect-timeout", default: "5s", usage: "time allowed to open a connection to the upstream, beyond it 502 (0 = none)", boolean: false,
        set: |c, s| parse_duration(s).map(|v| c.traffic.upstream_connect_timeout = v) },
    Flag { name: "upstream-response-timeout", default: "0", usage: "time allowed from sending a request to the upstream to its response's head, beyond it 504 (0 = none)", boolean: false,
        set: |c, s| parse_duration(s).map(|v| c.traffic.upstream_response_timeout = v) },
    Flag { name: "hsts-max-age", default: "0", usage: "Strict-Transport-Security max-age added to responses without one (0 = no header)", boolean: false,
        set: |c, s| traffic::parse_hsts_max_age(s).map(|v| c.traffic.hsts_max_age = v) },
    Flag { name: "hsts-include-subdomains", default: "false", usage: "add includeSubDomains to the HSTS header", boolean: true,
        set: |c, s| parse_bool(s).map(|v| c.traffic.hsts_include_subdomains = v) },
    Flag { name: "hsts-preload", default: "false", usage: "add preload to the HSTS header (needs --hsts-max-age of at least 1 year and --hsts-include-subdomains)", boolean: true,
        set: |c, s| parse_bool(s).map(|v| c.traffic.hsts_preload = v) },
];

/// The environment variable that also sets flag `name`.
pub fn env_name(name: &str) -> String {
    format!("PROXY_{}", name.to_ascii_uppercase().replace('-', "_"))
}

impl Default for Config {
    /// The documented defaults (every FLAGS default applied).
    fn default() -> Self {
        let mut c = Config {
            listen: String::new(),
            upstream: Upstream::parse("http://127.0.0.1:8080").expect("default upstream"),
            upstream_protocol: UpstreamProtocol::Http1,
            tls_dir: PathBuf::new(),
            admin_listen: String::new(),
            admin_tls: true,
            client_auth: ClientAuth::None,
            tls_session_resumption: true,
            tls_policy: TlsPolicy::default(),
            shutdown_timeout: Duration::ZERO,
            drain_delay: Duration::ZERO,
            tls_handshake_timeout: Duration::ZERO,
            read_header_timeout: Duration::ZERO,
            idle_timeout: Duration::ZERO,
            max_connections: MaxConnections::Auto,
            max_header_bytes: 0,
            upstream_max_idle_conns: 0,
            access_log: false,
            access_log_query: false,
            log_level: Level::Info,
            watch_interval: Duration::ZERO,
            traffic: Traffic::default(),
        };
        for f in FLAGS {
            (f.set)(&mut c, f.default).expect("flag defaults are valid");
        }
        c
    }
}

fn usage() -> String {
    let mut out = String::from(
        "Usage: proxy [flags]\nEvery flag can also be set with the environment variable PROXY_<NAME>\n\
         (upper case, '-' as '_'); a flag on the command line wins.\n\n",
    );
    for f in FLAGS {
        out += &format!("  --{} (env {}, default {:?})\n      {}\n", f.name, env_name(f.name), f.default, f.usage);
    }
    out
}

fn flag_names() -> String {
    FLAGS.iter().map(|f| format!("--{}", f.name)).collect::<Vec<_>>().join(" ")
}

/// Reads flags from `args` and, for every flag, first from the environment through `env`. Unknown
/// `PROXY_*` variables are ignored: Kubernetes injects `PROXY_PORT`-style service variables. Every invalid
/// value and clash is reported at once, in one line, each naming its flag or variable and what is allowed.
pub fn parse<S: AsRef<str>>(args: &[S], env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
    let mut cfg = Config::default();
    let mut problems: Vec<String> = Vec::new();
    let mut given: Vec<&'static str> = Vec::new();
    for f in FLAGS {
        let name = env_name(f.name);
        if let Some(v) = env(&name) {
            given.push(f.name);
            if let Err(e) = (f.set)(&mut cfg, &v) {
                problems.push(format!("invalid value {v:?} for env {name} (flag --{}): {e}", f.name));
            }
        }
    }
    match read_args(args, &mut cfg, &mut problems, &mut given) {
        Err(ConfigError::Invalid(syntax)) => problems.push(syntax),
        Err(help) => return Err(help),
        Ok(()) => {}
    }
    if cfg.upstream_protocol == UpstreamProtocol::H2c && cfg.upstream.is_https() {
        problems.push("--upstream-protocol=h2c needs an http:// --upstream (h2c is HTTP/2 without TLS)".into());
    }
    if let Err(e) = cfg.tls_policy.check(given.contains(&"tls-min-version")) {
        problems.push(e);
    }
    if let Err(e) = traffic::check(&cfg.traffic) {
        problems.push(e);
    }
    match problems.len() {
        0 => Ok(cfg),
        1 => Err(invalid(problems.remove(0))),
        n => Err(invalid(format!("{n} problems: {}", problems.join("; ")))),
    }
}

fn invalid(m: String) -> ConfigError {
    ConfigError::Invalid(m.replace(['\n', '\r'], " "))
}

/// Applies the command line. A value error is collected and reading goes on; a syntax error (an unknown
/// flag, a positional argument) ends the reading, since what follows cannot be told apart, and is returned.
fn read_args<S: AsRef<str>>(
    args: &[S],
    cfg: &mut Config,
    problems: &mut Vec<String>,
    given: &mut Vec<&'static str>,
) -> Result<(), ConfigError> {
    let syntax = |m: String| Err(ConfigError::Invalid(m));
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_ref();
        i += 1;
        if arg == "--" {
            if let Some(extra) = args.get(i) {
                return syntax(positional(extra.as_ref()));
            }
            break;
        }
        let Some(body) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')).filter(|b| !b.is_empty()) else {
            return syntax(positional(arg));
        };
        if body.starts_with(['-', '=']) {
            return syntax(format!("bad flag syntax: {arg}"));
        }
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        if name == "h" || name == "help" {
            return Err(ConfigError::Help(usage()));
        }
        let Some(f) = FLAGS.iter().find(|f| f.name == name) else {
            return syntax(format!("unknown flag --{name}; allowed: {}", flag_names()));
        };
        let value = match (inline, f.boolean) {
            (Some(v), _) => v.to_string(),
            (None, true) => "true".to_string(),
            (None, false) => match args.get(i) {
                Some(v) => {
                    i += 1;
                    v.as_ref().to_string()
                }
                None => return syntax(format!("flag needs an argument: --{name}")),
            },
        };
        given.push(f.name);
        if let Err(e) = (f.set)(cfg, &value) {
            problems.push(format!("invalid value {value:?} for flag --{name}: {e}"));
        }
    }
    Ok(())
}

fn positional(arg: &str) -> String {
    format!("unexpected argument {arg:?}: this program takes only flags ({})", flag_names())
}

#[cfg(test)]
mod tests;
