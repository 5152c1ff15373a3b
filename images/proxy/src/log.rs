//! JSON log lines on stderr in log/slog's shape (`time`, `level`, `msg`, then fields), which log pipelines
//! and alerts already match on. Callers pass fields explicitly: nothing logs a certificate's PEM or a key.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug = 0,
    Info = 1,
    Warn = 2,
    Error = 3,
}

impl Level {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "debug" => Some(Self::Debug),
            "info" => Some(Self::Info),
            "warn" | "warning" => Some(Self::Warn),
            "error" => Some(Self::Error),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warn => "WARN",
            Self::Error => "ERROR",
        }
    }
}

static MIN_LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);

/// Sets the lowest level that is written.
pub fn set_level(l: Level) {
    MIN_LEVEL.store(l as u8, Ordering::Relaxed);
}

pub fn enabled(l: Level) -> bool {
    l as u8 >= MIN_LEVEL.load(Ordering::Relaxed)
}

/// One log line's fields, in order.
pub type Fields<'a> = &'a [(&'a str, Value)];

/// Formats one line (without writing it); `time` is RFC 3339 in UTC with nanoseconds.
pub fn format_line(level: Level, msg: &str, fields: Fields<'_>) -> String {
    let now = OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default();
    let mut line = String::with_capacity(128);
    line.push_str("{\"time\":");
    line.push_str(&Value::from(now).to_string());
    line.push_str(",\"level\":\"");
    line.push_str(level.name());
    line.push_str("\",\"msg\":");
    line.push_str(&Value::from(msg).to_string());
    for (k, v) in fields {
        line.push(',');
        line.push_str(&Value::from(*k).to_string());
        line.push(':');
        line.push_str(&v.to_string());
    }
    line.push_str("}\n");
    line
}

pub fn log(level: Level, msg: &str, fields: Fields<'_>) {
    if enabled(level) {
        // One write per line, so concurrent lines never interleave.
        let _ = std::io::stderr().lock().write_all(format_line(level, msg, fields).as_bytes());
    }
}

pub fn debug(msg: &str, fields: Fields<'_>) {
    log(Level::Debug, msg, fields)
}
pub fn info(msg: &str, fields: Fields<'_>) {
    log(Level::Info, msg, fields)
}
pub fn warn(msg: &str, fields: Fields<'_>) {
    log(Level::Warn, msg, fields)
}
pub fn error(msg: &str, fields: Fields<'_>) {
    log(Level::Error, msg, fields)
}

/// A duration as Go prints it in logs (`1.5s`, `300ms`, `0s`), so lines read the same as the flags.
pub fn go_duration(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    match ms {
        0 if d.is_zero() => "0s".into(),
        0 => format!("{}µs", d.as_micros()),
        1..=999 => format!("{ms}ms"),
        _ => format!("{}s", d.as_secs_f64()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_one_json_object() {
        let line = format_line(Level::Warn, "a \"quoted\"\nmsg", &[("n", 3.into()), ("s", "x".into())]);
        assert!(line.ends_with("}\n") && line.matches('\n').count() == 1);
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["level"], "WARN");
        assert_eq!(v["msg"], "a \"quoted\"\nmsg");
        assert_eq!((v["n"].as_i64(), v["s"].as_str()), (Some(3), Some("x")));
        assert!(time::OffsetDateTime::parse(v["time"].as_str().unwrap(), &Rfc3339).is_ok());
    }

    #[test]
    fn levels() {
        assert_eq!(Level::parse("WARNING"), Some(Level::Warn));
        assert_eq!(Level::parse("loud"), None);
        assert_eq!(go_duration(std::time::Duration::from_millis(1500)), "1.5s");
        assert_eq!(go_duration(std::time::Duration::ZERO), "0s");
    }
}
