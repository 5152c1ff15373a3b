//! `X-Forwarded-Client-Cert` in Envoy's format:
//! `Hash=<sha256 of the DER, hex>;Subject="<DN>"` then `;URI=<SAN>` and `;DNS=<SAN>` per SAN.
//! The DN is in Go's `pkix.Name.String()` form (its attribute order and RFC 4514 escaping), which the
//! contract suite checks byte for byte, so apps can match on it.

use crate::x509::Cert;

pub const HEADER: &str = "x-forwarded-client-cert";

/// The header value for a verified client certificate (DER), or None if it does not parse.
pub fn format(der: &[u8]) -> Option<String> {
    let cert = Cert::parse(der).ok()?;
    let mut out = String::with_capacity(160);
    out.push_str("Hash=");
    out.push_str(&sha256_hex(der));
    out.push_str(";Subject=\"");
    out.push_str(&quote_value(&subject_string(&cert)));
    out.push('"');
    for u in cert.uris() {
        out.push_str(";URI=");
        out.push_str(&quote_value(&u));
    }
    for d in cert.dns_names() {
        out.push_str(";DNS=");
        out.push_str(&quote_value(&d));
    }
    Some(out)
}

/// The SHA-256 of a certificate's DER, in lower-case hex.
pub fn sha256_hex(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The attributes Go parses into named fields, in the order Go's `ToRDNSequence` writes them.
const NAMED: [(&str, &str); 9] = [
    ("2.5.4.6", "C"),
    ("2.5.4.8", "ST"),
    ("2.5.4.7", "L"),
    ("2.5.4.9", "STREET"),
    ("2.5.4.17", "POSTALCODE"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.3", "CN"),
    ("2.5.4.5", "SERIALNUMBER"),
];

/// Go's `Name.String()`: other attributes first and the named ones grouped by type (one multi-valued RDN
/// per type; a single CN and SERIALNUMBER, the last one given), then the whole sequence reversed.
pub fn subject_string(cert: &Cert) -> String {
    let mut other: Vec<String> = Vec::new();
    let mut named: Vec<Vec<String>> = vec![Vec::new(); NAMED.len()];
    for (oid, value) in cert.subject() {
        match NAMED.iter().position(|(o, _)| *o == oid) {
            Some(i @ (7 | 8)) => named[i] = vec![value.to_string()],
            Some(i) => named[i].push(value.to_string()),
            None => other.push(format!("{oid}=#{}", go_asn1_string_hex(&value))),
        }
    }
    let mut rdns: Vec<String> = other;
    for (i, values) in named.iter().enumerate() {
        if !values.is_empty() {
            let tv: Vec<String> = values.iter().map(|v| format!("{}={}", NAMED[i].1, escape_dn_value(v))).collect();
            rdns.push(tv.join("+"));
        }
    }
    rdns.reverse();
    rdns.join(",")
}

/// RFC 4514 escaping as Go does it: `,+"\<>;` always, a space at either end, `#` at the start.
pub fn escape_dn_value(s: &str) -> String {
    let n = s.chars().count();
    let mut out = String::with_capacity(s.len());
    for (k, c) in s.chars().enumerate() {
        let escape = match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => true,
            ' ' => k == 0 || k == n - 1,
            '#' => k == 0,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Hex of the DER that Go's `asn1.Marshal` makes of a string: PrintableString, else IA5String, else
/// UTF8String.
fn go_asn1_string_hex(s: &str) -> String {
    let printable = |c: char| c.is_ascii_alphanumeric() || " '()+,-./:=?*&".contains(c);
    let tag: u8 = if s.chars().all(printable) {
        0x13
    } else if s.is_ascii() {
        0x16
    } else {
        0x0c
    };
    let len = s.len();
    let mut der = vec![tag];
    if len < 0x80 {
        der.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        der.push(0x80 | bytes.len() as u8);
        der.extend(bytes);
    }
    der.extend(s.as_bytes());
    der.iter().map(|b| format!("{b:02x}")).collect()
}

/// Escapes what would end a quoted value and drops the control characters a header may not carry.
pub fn quote_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_matches_go() {
        assert_eq!(escape_dn_value(r#"O'Brien, "Bob""#), r#"O'Brien\, \"Bob\""#);
        assert_eq!(escape_dn_value(" #a b "), r"\ #a b\ ");
        assert_eq!(escape_dn_value("#x#"), r"\#x#");
        assert_eq!(quote_value(r#"CN=O'Brien\, \"Bob\""#), r#"CN=O'Brien\\, \\\"Bob\\\""#);
        assert_eq!(quote_value("a\r\nb\u{7}"), "ab");
        assert_eq!(go_asn1_string_hex("a@b"), "1603614062");
        assert_eq!(go_asn1_string_hex("ab"), "13026162");
    }

    #[test]
    fn garbage_is_no_header() {
        assert_eq!(format(b"not a certificate"), None);
    }
}
