//! JSON log lines on stderr in log/slog's shape (`time`, `level`, `msg`, then fields), which log pipelines
//! and alerts already match on. Callers pass fields explicitly: nothing logs a certificate's PEM or a key.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

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

/// A field's value. A few lines of JSON writing of our own instead of serde_json: the image has a
/// size budget, and these are all the types the logs carry.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    List(Vec<String>),
}

macro_rules! value_from {
    ($($t:ty => $v:ident),*) => {$(
        impl From<$t> for Value {
            fn from(x: $t) -> Self {
                Value::$v(x.into())
            }
        }
    )*};
}
value_from!(&str => Str, String => Str, bool => Bool, u16 => Int, i64 => Int, f64 => Float, Vec<String> => List);

impl From<u64> for Value {
    fn from(x: u64) -> Self {
        Value::Int(i64::try_from(x).unwrap_or(i64::MAX))
    }
}

/// Appends `s` as a JSON string.
pub fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    // Most strings need no escape: copied whole (0xE2 starts U+2028 and U+2029, escaped below).
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\' && b != 0xE2) {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Value {
    fn push_json(&self, out: &mut String) {
        match self {
            Value::Str(s) => push_json_str(out, s),
            Value::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Float(f) if f.is_finite() => {
                let _ = write!(out, "{f}");
            }
            Value::Float(_) => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    push_json_str(out, item);
                }
                out.push(']');
            }
        }
    }
}

/// One log line's fields, in order.
pub type Fields<'a> = &'a [(&'a str, Value)];

/// Formats one line (without writing it); `time` is RFC 3339 in UTC with nanoseconds.
pub fn format_line(level: Level, msg: &str, fields: Fields<'_>) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let now = rfc3339(now.as_secs() as i64, Some(now.subsec_nanos()));
    let mut line = String::with_capacity(128);
    line.push_str("{\"time\":");
    push_json_str(&mut line, &now);
    line.push_str(",\"level\":\"");
    line.push_str(level.name());
    line.push_str("\",\"msg\":");
    push_json_str(&mut line, msg);
    for (k, v) in fields {
        line.push(',');
        push_json_str(&mut line, k);
        line.push(':');
        v.push_json(&mut line);
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

/// Appends `n` in decimal, zero-padded to `width` digits (the access log's numbers without `fmt`).
pub fn push_u64(out: &mut String, mut n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    while n > 0 || i == buf.len() {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    for &d in &buf[i.min(buf.len().saturating_sub(width))..] {
        out.push(char::from(d));
    }
}

/// RFC 3339 in UTC (`2026-12-02T00:27:14Z`), with nanoseconds when given (`...14.123456789Z`).
pub fn rfc3339(unix: i64, nanos: Option<u32>) -> String {
    let mut out = String::with_capacity(30);
    push_rfc3339(&mut out, unix, nanos);
    out
}

/// Appends `rfc3339(unix, nanos)`.
pub fn push_rfc3339(out: &mut String, unix: i64, nanos: Option<u32>) {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days: the proleptic Gregorian date of a day count since 1970-01-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if year < 0 {
        out.push('-');
    }
    push_u64(out, year.unsigned_abs(), 4);
    for (sep, v) in [('-', month), ('-', day), ('T', h), (':', m), (':', s)] {
        out.push(sep);
        push_u64(out, v as u64, 2);
    }
    if let Some(n) = nanos {
        out.push('.');
        push_u64(out, u64::from(n), 9);
    }
    out.push('Z');
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

/// An error and its sources on one line ("client error (Connect): tcp connect error: Connection refused").
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_one_json_object() {
        let fields = [
            ("n", 3i64.into()),
            ("s", "x\u{1}\\".into()),
            ("f", 1.5.into()),
            ("l", vec!["a\"".to_string(), "b".to_string()].into()),
            ("b", true.into()),
        ];
        let line = format_line(Level::Warn, "a \"quoted\"\nmsg", &fields);
        assert!(line.ends_with("}\n") && line.matches('\n').count() == 1);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!((v["s"].as_str(), v["f"].as_f64(), v["b"].as_bool()), (Some("x\u{1}\\"), Some(1.5), Some(true)));
        assert_eq!(v["l"], serde_json::json!(["a\"", "b"]));
        assert_eq!(v["level"], "WARN");
        assert_eq!(v["msg"], "a \"quoted\"\nmsg");
        assert_eq!(v["n"].as_i64(), Some(3));
        let t = v["time"].as_str().unwrap();
        assert!(t.len() == 30 && t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
    }

    #[test]
    fn levels() {
        assert_eq!(Level::parse("WARNING"), Some(Level::Warn));
        assert_eq!(Level::parse("loud"), None);
        assert_eq!(go_duration(std::time::Duration::from_millis(1500)), "1.5s");
        assert_eq!(go_duration(std::time::Duration::ZERO), "0s");
    }

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0, None), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400, None), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_170_034, Some(5)), "2026-12-02T00:07:14.000000005Z");
        assert_eq!(rfc3339(4_102_444_799, None), "2099-12-31T23:59:59Z");
        assert_eq!(rfc3339(-1, None), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(253_402_300_799, Some(999_999_999)), "9999-12-31T23:59:59.999999999Z");
    }

    #[test]
    fn numbers_and_plain_strings() {
        let mut s = String::new();
        for (n, w) in [(0, 1), (7, 3), (1234, 2), (u64::MAX, 0), (42, 9)] {
            push_u64(&mut s, n, w);
            s.push(' ');
        }
        assert_eq!(s, "0 007 1234 18446744073709551615 000000042 ");
        let mut s = String::new();
        push_json_str(&mut s, "/plain/path-ü");
        push_json_str(&mut s, "a\u{2028}b");
        assert_eq!(s, "\"/plain/path-ü\"\"a\\u2028b\"");
    }
}
