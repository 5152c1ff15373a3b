//! What the proxy reads from a certificate beyond what rustls verifies: serial, validity, subject and
//! SANs, for the logs, readiness and X-Forwarded-Client-Cert. Parsing is the `x509-cert` crate's (DER
//! through `der`); the certificates it sees were already accepted by rustls/webpki.

use der::{Decode, Tag, Tagged, asn1::Any};
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;

/// The subjectAltName extension.
const SUBJECT_ALT_NAME: &str = "2.5.29.17";
/// The commonName attribute.
pub const COMMON_NAME: &str = "2.5.4.3";

pub struct Cert(Certificate);

impl Cert {
    pub fn parse(der: &[u8]) -> Result<Self, String> {
        Certificate::from_der(der).map(Self).map_err(|e| format!("invalid certificate: {e}"))
    }

    /// The serial number in lower-case hex without leading zeros, as Go's `%x` prints it.
    pub fn serial_hex(&self) -> String {
        let hex: String = self.0.tbs_certificate.serial_number.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        match hex.trim_start_matches('0') {
            "" => "0".to_string(),
            s => s.to_string(),
        }
    }

    /// notBefore and notAfter, Unix seconds.
    pub fn validity(&self) -> (i64, i64) {
        let v = &self.0.tbs_certificate.validity;
        (v.not_before.to_unix_duration().as_secs() as i64, v.not_after.to_unix_duration().as_secs() as i64)
    }

    /// The subject's attributes in DER order: (OID, value) for those whose value is a string.
    pub fn subject(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for rdn in &self.0.tbs_certificate.subject.0 {
            for atv in rdn.0.iter() {
                if let Some(v) = string_value(&atv.value) {
                    out.push((atv.oid.to_string(), v));
                }
            }
        }
        out
    }

    /// The last commonName of the subject (Go keeps the last one), or "".
    pub fn common_name(&self) -> String {
        self.subject().into_iter().rev().find(|(oid, _)| oid == COMMON_NAME).map(|(_, v)| v).unwrap_or_default()
    }

    /// The subjectAltName's names in order (an undecodable extension counts as none).
    pub fn sans(&self) -> Vec<GeneralName> {
        let exts = self.0.tbs_certificate.extensions.as_deref().unwrap_or_default();
        exts.iter()
            .filter(|e| e.extn_id.to_string() == SUBJECT_ALT_NAME)
            .filter_map(|e| Vec::<GeneralName>::from_der(e.extn_value.as_bytes()).ok())
            .flatten()
            .collect()
    }

    pub fn dns_names(&self) -> Vec<String> {
        self.sans()
            .into_iter()
            .filter_map(|n| if let GeneralName::DnsName(d) = n { Some(d.to_string()) } else { None })
            .collect()
    }

    pub fn uris(&self) -> Vec<String> {
        let uri = |n| if let GeneralName::UniformResourceIdentifier(u) = n { Some(u.to_string()) } else { None };
        self.sans().into_iter().filter_map(uri).collect()
    }
}

/// A directory string's text: the string types Go's x509 package reads (others are skipped, as there).
fn string_value(any: &Any) -> Option<String> {
    let bytes = any.value();
    match any.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::TeletexString | Tag::VisibleString => {
            String::from_utf8(bytes.to_vec()).ok()
        }
        Tag::BmpString if bytes.len() % 2 == 0 => {
            let units: Vec<u16> = bytes.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}
