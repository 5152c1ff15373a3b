//! `Strict-Transport-Security` (RFC 6797), opt-in: tells browsers to use only HTTPS for this host.
//! Added to responses that lack one; an app that sets its own keeps it.

use http::header::{HeaderMap, HeaderValue, STRICT_TRANSPORT_SECURITY};

use crate::config::Traffic;

/// The header's value, or None when `--hsts-max-age` is 0.
pub fn value(t: &Traffic) -> Option<HeaderValue> {
    if t.hsts_max_age.is_zero() {
        return None;
    }
    let mut v = format!("max-age={}", t.hsts_max_age.as_secs());
    if t.hsts_include_subdomains {
        v.push_str("; includeSubDomains");
    }
    if t.hsts_preload {
        v.push_str("; preload");
    }
    Some(HeaderValue::from_str(&v).expect("digits and ASCII words"))
}

/// Adds `hsts` unless the response has the header already.
pub fn add(h: &mut HeaderMap, hsts: Option<&HeaderValue>) {
    if let Some(v) = hsts {
        h.entry(STRICT_TRANSPORT_SECURITY).or_insert_with(|| v.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn value_and_add() {
        let mut t = Traffic::default();
        assert_eq!(value(&t), None);
        t.hsts_max_age = Duration::from_secs(31_536_000);
        assert_eq!(value(&t).unwrap(), "max-age=31536000");
        (t.hsts_include_subdomains, t.hsts_preload) = (true, true);
        let v = value(&t).unwrap();
        assert_eq!(v, "max-age=31536000; includeSubDomains; preload");
        let mut h = HeaderMap::new();
        add(&mut h, Some(&v));
        assert_eq!(h[STRICT_TRANSPORT_SECURITY], v);
        let mut own = HeaderMap::new();
        own.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=60"));
        add(&mut own, Some(&v));
        assert_eq!(own.get_all(STRICT_TRANSPORT_SECURITY).iter().collect::<Vec<_>>(), ["max-age=60"]);
    }
}
