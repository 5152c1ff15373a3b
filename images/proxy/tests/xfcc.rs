//! X-Forwarded-Client-Cert on real certificates (DER from rcgen).

mod common;

#[test]
fn subject_and_sans_in_envoys_format() {
    let ca = common::Ca::new();
    let leaf = ca.issue("billing", Some("acme"), &["billing.pay.svc"]);
    let v = proxy::xfcc::format(&leaf.der).unwrap();
    let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &leaf.der);
    let hex: String = hash.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(v, format!("Hash={hex};Subject=\"CN=billing,O=acme\";DNS=localhost;DNS=billing.pay.svc"));
}

#[test]
fn a_quote_in_the_subject_cannot_end_the_value() {
    let ca = common::Ca::new();
    let leaf = ca.issue(r#"O'Brien, "Bob""#, None, &[]);
    let v = proxy::xfcc::format(&leaf.der).unwrap();
    assert!(v.contains(r#";Subject="CN=O'Brien\\, \\\"Bob\\\"";"#), "{v}");
}
