//! The X-Forwarded-Client-Cert formatter: any certificate (DER) gives a valid header value or nothing,
//! and a quoted value can never be ended early by what a certificate's names contain.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy::xfcc;

fuzz_target!(|data: &[u8]| {
    if let Some(v) = xfcc::format(data) {
        assert!(http::HeaderValue::from_str(&v).is_ok(), "{v:?}");
        assert!(v.starts_with("Hash="));
    }
    let s = String::from_utf8_lossy(data);
    let quoted = xfcc::quote_value(&xfcc::escape_dn_value(&s));
    assert!(!quoted.contains(['\r', '\n']));
    // Every quote is escaped: an odd run of backslashes precedes it.
    let b = quoted.as_bytes();
    for (i, c) in b.iter().enumerate() {
        if *c == b'"' {
            let slashes = b[..i].iter().rev().take_while(|c| **c == b'\\').count();
            assert!(slashes % 2 == 1, "{quoted:?}");
        }
    }
});
