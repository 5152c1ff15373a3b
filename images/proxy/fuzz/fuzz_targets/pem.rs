//! tls.crt / tls.key / ca.crt contents: any bytes are either a key pair or an error naming the file,
//! never a panic and never the key's bytes in the message.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use proxy::tls::certs;

fuzz_target!(|data: &[u8]| {
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let split = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    let (crt, key) = (&data[..split], data.get(split + 1..).unwrap_or(&[]));
    let names = (Path::new("/d/tls.crt"), Path::new("/d/tls.key"));
    match certs::parse_key_pair(crt, key, &provider, names) {
        Ok(pair) => assert!(!pair.leaf.serial_hex.is_empty()),
        Err(e) => {
            assert!(e.starts_with("/d/tls."), "{e}");
            assert!(!e.contains("PRIVATE KEY"), "{e}");
        }
    }
    let _ = certs::parse_ca(data);
    let _ = certs::leaf_info(&data.to_vec().into());
});
