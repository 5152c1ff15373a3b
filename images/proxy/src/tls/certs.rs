//! Reading and validating the files of a `kubernetes.io/tls` Secret: `tls.crt` (the chain, leaf first),
//! `tls.key` (PKCS#8, SEC 1 or PKCS#1) and an optional `ca.crt` (client CAs). Errors name the file and
//! say what is wrong in words of our own: nothing from a file's content is ever quoted.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

pub const CERT_FILE: &str = "tls.crt";
pub const KEY_FILE: &str = "tls.key";
pub const CA_FILE: &str = "ca.crt";

/// Bounds what is read from any one file in --tls-dir.
const MAX_PEM_BYTES: u64 = 1 << 20;

/// What the logs, metrics and readiness need to know of the served leaf certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafInfo {
    pub serial_hex: String,
    pub subject_cn: String,
    pub dns_names: Vec<String>,
    pub not_before: i64,
    pub not_after: i64,
}

/// A key pair that parsed and matched.
pub struct KeyPair {
    pub certified: Arc<CertifiedKey>,
    pub leaf: LeafInfo,
}

/// Why a file could not be read: absent files are told apart (`ca.crt` is optional).
#[derive(Debug)]
pub enum ReadError {
    NotFound(PathBuf),
    Other(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotFound(p) => write!(f, "{}: not found", p.display()),
            Self::Other(m) => f.write_str(m),
        }
    }
}

/// Reads at most MAX_PEM_BYTES of `path` (through symlinks, as kubelet's volume layout needs).
pub fn read_limited(path: &Path) -> Result<Vec<u8>, ReadError> {
    let cannot = |e: std::io::Error| ReadError::Other(format!("{}: cannot read: {}", path.display(), io_reason(&e)));
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::NotFound(path.to_path_buf()),
        _ => cannot(e),
    })?;
    let mut buf = Vec::new();
    file.take(MAX_PEM_BYTES + 1).read_to_end(&mut buf).map_err(cannot)?;
    if buf.len() as u64 > MAX_PEM_BYTES {
        return Err(ReadError::Other(format!("{}: larger than {MAX_PEM_BYTES} bytes", path.display())));
    }
    Ok(buf)
}

/// An io::Error's text without Rust's " (os error N)" suffix.
fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Parses a PEM chain and its private key and checks that they belong together. `names` are the two
/// files' paths, for the messages.
pub fn parse_key_pair(
    cert_pem: &[u8],
    key_pem: &[u8],
    provider: &CryptoProvider,
    names: (&Path, &Path),
) -> Result<KeyPair, String> {
    let (crt, key) = (names.0.display(), names.1.display());
    let chain = parse_certs(cert_pem).map_err(|e| format!("{crt}: {e}"))?;
    let leaf = leaf_info(&chain[0]).map_err(|e| format!("{crt}: {e}"))?;
    let key_der = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => format!("{key}: no PEM private key block found"),
        _ => format!("{key}: invalid PEM"),
    })?;
    let signing = provider
        .key_provider
        .load_private_key(key_der)
        .map_err(|_| format!("{key}: not a usable private key (want PKCS#8, EC or RSA)"))?;
    let certified = CertifiedKey::new(chain, signing);
    match certified.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {}
        Err(_) => {
            return Err(format!("{crt} / {key}: invalid key pair: the private key does not match the certificate"));
        }
    }
    Ok(KeyPair { certified: Arc::new(certified), leaf })
}

/// Every CERTIFICATE block of a PEM file, in order; at least one.
fn parse_certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> =
        CertificateDer::pem_slice_iter(pem).collect::<Result<_, _>>().map_err(|_| "invalid PEM".to_string())?;
    if certs.is_empty() {
        return Err("no PEM CERTIFICATE block found".into());
    }
    Ok(certs)
}

/// Parses `ca.crt`: client CAs, at least one.
pub fn parse_ca(pem: &[u8]) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    for der in parse_certs(pem)? {
        roots.add(der).map_err(|e| format!("invalid CA certificate: {e}"))?;
    }
    Ok(roots)
}

/// Serial (lower-case hex as Go's `%x` prints it), subject CN, DNS names and validity of a leaf.
pub fn leaf_info(der: &CertificateDer<'_>) -> Result<LeafInfo, String> {
    let cert = crate::x509::Cert::parse(der.as_ref())?;
    let (not_before, not_after) = cert.validity();
    Ok(LeafInfo {
        serial_hex: cert.serial_hex(),
        subject_cn: cert.common_name(),
        dns_names: cert.dns_names(),
        not_before,
        not_after,
    })
}

/// RFC 3339 in UTC, as Go formats times in logs and messages.
pub fn rfc3339(unix: i64) -> String {
    crate::log::rfc3339(unix, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> CryptoProvider {
        rustls::crypto::aws_lc_rs::default_provider()
    }

    #[test]
    fn garbage_is_named_without_quoting_it() {
        let names = (Path::new("/d/tls.crt"), Path::new("/d/tls.key"));
        let e = parse_key_pair(b"junk", b"-----BEGIN PRIVATE KEY-----\nAAAA\n", &provider(), names).err().unwrap();
        assert_eq!(e, "/d/tls.crt: no PEM CERTIFICATE block found");
        assert!(parse_ca(b"not a CA").is_err());
    }

    #[test]
    fn read_limited_tells_absent_files_apart() {
        let dir = std::env::temp_dir().join(format!("proxy-certs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(matches!(read_limited(&dir.join("absent")), Err(ReadError::NotFound(_))));
        let e = read_limited(&dir).unwrap_err().to_string();
        assert!(e.contains("cannot read") && !e.contains("os error"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rfc3339_is_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
