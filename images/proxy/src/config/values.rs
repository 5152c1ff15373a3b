//! Parsers for the flag values: Go's syntax where operators already know it (durations such as `500ms`,
//! `host:port`, `strconv.ParseBool`), the syntax the proxy's flags have always taken.
//! Every error is a short phrase that says what is allowed; the caller adds the flag's name.

use std::time::Duration;

/// The largest duration any flag takes.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);

/// Go's `strconv.ParseBool`.
pub fn parse_bool(s: &str) -> Result<bool, String> {
    match s.trim() {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err("allowed: true|false".into()),
    }
}

/// A listen address: `host:port` or `:port` (all interfaces), port 0-65535.
pub fn parse_addr(s: &str) -> Result<String, String> {
    let (host, port) = split_host_port(s).ok_or("want host:port or :port")?;
    if host.contains([' ', '/']) {
        return Err("want host:port or :port".into());
    }
    if port.parse::<u16>().is_err() || port.starts_with('+') {
        return Err("port must be a number 0-65535".into());
    }
    Ok(s.to_string())
}

/// Go's `net.SplitHostPort`: `[v6]:port` or `host:port` with exactly one colon.
pub fn split_host_port(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':')?;
        if host.contains(['[', ']']) || port.contains([':', '[', ']']) {
            return None;
        }
        return Some((host, port));
    }
    let (host, port) = s.rsplit_once(':')?;
    if host.contains([':', '[', ']']) || port.contains(['[', ']']) {
        return None;
    }
    Some((host, port))
}

/// A Go duration (`300ms`, `1.5s`, `2m`, `1h30m`, `0`), between 0 and 24h.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    parse_duration_up_to(s, MAX_DURATION, "24h")
}

/// A Go duration between 0 and `max` (written `max_text` in the error).
pub fn parse_duration_up_to(s: &str, max: Duration, max_text: &str) -> Result<Duration, String> {
    let nanos = go_duration_nanos(s.trim()).ok_or("want a duration such as 500ms, 10s or 2m")?;
    if nanos < 0 || nanos > max.as_nanos() as i128 {
        return Err(format!("must be between 0 and {max_text}"));
    }
    Ok(Duration::from_nanos(nanos as u64))
}

/// `time.ParseDuration`'s grammar: `[-+]?([0-9]*(\.[0-9]*)?unit)+` or `0`. Returns signed nanoseconds; None
/// on a syntax error or a value beyond ±2^63 ns (Go's limit).
fn go_duration_nanos(s: &str) -> Option<i128> {
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, after) = rest.split_at(int_len);
        let (frac_part, after) = match after.strip_prefix('.') {
            Some(a) => a.split_at(a.bytes().take_while(u8::is_ascii_digit).count()),
            None => ("", after),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        let unit_len = after.find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let scale: i128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        let int: i128 = if int_part.is_empty() { 0 } else { int_part.parse().ok()? };
        let mut frac: i128 = 0;
        let mut frac_scale: i128 = 1;
        // 18 digits are finer than a nanosecond of an hour and keep frac * scale inside i128.
        for d in frac_part.bytes().take(18) {
            frac = frac * 10 + i128::from(d - b'0');
            frac_scale *= 10;
        }
        total = total.checked_add(int.checked_mul(scale)?)?;
        total += frac * scale / frac_scale;
        if total > 1 << 63 {
            return None;
        }
        rest = after;
    }
    Some(if neg { -total } else { total })
}

/// An integer from min to max (Go's `strconv.Atoi` syntax).
pub fn parse_int(s: &str, min: i64, max: i64) -> Result<i64, String> {
    match s.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("want an integer from {min} to {max}")),
    }
}

/// Suffixes of byte sizes, longest first so that `KiB` is not read as `B`.
const SIZE_SUFFIXES: &[(&str, i64)] = &[
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("KB", 1000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("Ki", 1 << 10),
    ("Mi", 1 << 20),
    ("Gi", 1 << 30),
    ("K", 1000),
    ("M", 1_000_000),
    ("G", 1_000_000_000),
    ("B", 1),
];

/// A byte size: `8192`, `64KiB`, `1MiB`, `1M` (decimal), `1Mi` (binary).
pub fn parse_size(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (digits, mult) =
        SIZE_SUFFIXES.iter().find_map(|(suf, mult)| s.strip_suffix(suf).map(|d| (d.trim(), *mult))).unwrap_or((s, 1));
    let n: i64 = digits.parse().ok().filter(|n| *n >= 0).ok_or("want a byte size such as 8192, 64KiB or 1MiB")?;
    n.checked_mul(mult).filter(|v| *v <= 1 << 62).ok_or_else(|| "size too large".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_go() {
        let ok = [
            ("0", 0),
            ("500ms", 500_000_000),
            ("1.5s", 1_500_000_000),
            ("2m", 120_000_000_000),
            ("1h30m", 5_400_000_000_000),
            (".5s", 500_000_000),
            ("3us", 3_000),
            ("3\u{b5}s", 3_000),
            ("7ns", 7),
            ("24h", 86_400_000_000_000),
        ];
        for (s, n) in ok {
            assert_eq!(parse_duration(s), Ok(Duration::from_nanos(n)), "{s}");
        }
        for s in ["", "1", "soon", "forever", "s", ".s", "1x", "1.2.3s", "-", "+"] {
            assert!(parse_duration(s).unwrap_err().contains("duration"), "{s}");
        }
        assert_eq!(parse_duration(&format!(".{}s", "9".repeat(60))), Ok(Duration::from_nanos(999_999_999)));
        for s in ["-1s", "25h", "9999999h", "99999999999999999999999h"] {
            assert!(parse_duration(s).is_err(), "{s}");
        }
        assert_eq!(parse_duration("-1s").unwrap_err(), "must be between 0 and 24h");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("4KiB"), Ok(4096));
        assert_eq!(parse_size("1M"), Ok(1_000_000));
        assert_eq!(parse_size("1Mi"), Ok(1 << 20));
        assert_eq!(parse_size("2 MiB"), Ok(2 << 20));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999999GiB").is_err());
    }

    #[test]
    fn addrs() {
        for s in [":8443", "127.0.0.1:0", "[::1]:9901", "localhost:65535"] {
            assert!(parse_addr(s).is_ok(), "{s}");
        }
        assert_eq!(parse_addr("8443").unwrap_err(), "want host:port or :port");
        assert_eq!(parse_addr("127.0.0.1:99999").unwrap_err(), "port must be a number 0-65535");
        assert!(parse_addr("::1:80").is_err());
        assert!(parse_addr("a b:80").is_err());
    }

    #[test]
    fn bools_and_ints() {
        assert_eq!(parse_bool("True"), Ok(true));
        assert_eq!(parse_bool("0"), Ok(false));
        assert!(parse_bool("yes").is_err());
        assert_eq!(parse_int(" 12 ", 1, 65536), Ok(12));
        assert!(parse_int("0", 1, 65536).is_err());
    }
}
