//! The TLS policy both listeners serve: the lowest protocol version (`--tls-min-version`), the suites as a
//! named Mozilla profile (`--tls-profile`) and the key-exchange groups (`--tls-groups`). Every setting maps
//! to something rustls with aws-lc-rs implements; a name it does not implement, or a combination it could
//! not honour, is refused at start instead of being dropped.

use std::sync::Arc;

use rustls::crypto::{CryptoProvider, SupportedKxGroup, aws_lc_rs};
use rustls::{ProtocolVersion, ServerConfig, SupportedCipherSuite, SupportedProtocolVersion};

/// `--tls-min-version`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MinVersion {
    Tls12,
    Tls13,
}

impl MinVersion {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "1.2" => Ok(Self::Tls12),
            "1.3" => Ok(Self::Tls13),
            _ => Err("allowed: 1.2|1.3".into()),
        }
    }
}

/// `--tls-profile`: Mozilla's server-side TLS profiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// TLS 1.3's three suites, and for TLS 1.2 ECDHE with AES-GCM or ChaCha20-Poly1305 (Mozilla also lists
    /// three DHE suites, which rustls does not implement: no client that only has those is left).
    Intermediate,
    /// TLS 1.3 only.
    Modern,
}

impl Profile {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "intermediate" => Ok(Self::Intermediate),
            "modern" => Ok(Self::Modern),
            _ => Err("allowed: intermediate|modern (TLS 1.3 only)".into()),
        }
    }
}

/// The groups `--tls-groups` accepts: every one aws-lc-rs implements, by its IANA name, with the other
/// spellings people use for the classic curves. Matched without regard to case.
const GROUPS: &[(&str, &[&str])] = &[
    ("X25519MLKEM768", &[]),
    ("SecP256r1MLKEM768", &[]),
    ("X25519", &[]),
    ("P-256", &["secp256r1", "prime256v1", "P256"]),
    ("P-384", &["secp384r1", "P384"]),
    ("MLKEM768", &[]),
    ("MLKEM1024", &[]),
];

/// The default order: the provider's own, hybrid post-quantum first (the group current browsers offer
/// first), then Mozilla's X25519, P-256 and P-384.
const DEFAULT_GROUPS: [&str; 4] = ["X25519MLKEM768", "X25519", "P-256", "P-384"];

fn kx_group(name: &str) -> &'static dyn SupportedKxGroup {
    use aws_lc_rs::kx_group::*;
    match name {
        "X25519MLKEM768" => X25519MLKEM768,
        "SecP256r1MLKEM768" => SECP256R1MLKEM768,
        "X25519" => X25519,
        "P-256" => SECP256R1,
        "P-384" => SECP384R1,
        "MLKEM768" => MLKEM768,
        "MLKEM1024" => MLKEM1024,
        _ => unreachable!("GROUPS lists {name}"),
    }
}

fn allowed_groups() -> String {
    GROUPS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(",")
}

/// `--tls-groups`: a comma-separated list of group names, in the server's order of preference.
pub fn parse_groups(s: &str) -> Result<Vec<&'static str>, String> {
    let mut out: Vec<&'static str> = Vec::new();
    for item in s.split(',').map(str::trim) {
        let Some((name, _)) = GROUPS
            .iter()
            .find(|(n, aliases)| n.eq_ignore_ascii_case(item) || aliases.iter().any(|a| a.eq_ignore_ascii_case(item)))
        else {
            return Err(format!(
                "{item:?} is not a key-exchange group rustls implements; allowed (comma-separated): {}",
                allowed_groups()
            ));
        };
        if out.contains(name) {
            return Err(format!("{name} is listed twice"));
        }
        out.push(name);
    }
    Ok(out)
}

/// The policy as configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsPolicy {
    pub min_version: MinVersion,
    pub profile: Profile,
    pub groups: Vec<&'static str>,
}

impl Default for TlsPolicy {
    fn default() -> Self {
        Self { min_version: MinVersion::Tls12, profile: Profile::Intermediate, groups: DEFAULT_GROUPS.to_vec() }
    }
}

/// What the policy makes of rustls: the provider (suites and groups) and the protocol versions.
#[derive(Clone, Debug)]
pub struct Offer {
    pub provider: Arc<CryptoProvider>,
    pub versions: &'static [&'static SupportedProtocolVersion],
}

static TLS13_ONLY: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13];
static TLS12_AND_13: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13, &rustls::version::TLS12];

impl TlsPolicy {
    /// Whether TLS 1.2 handshakes are served.
    pub fn tls12(&self) -> bool {
        self.min_version == MinVersion::Tls12 && self.profile == Profile::Intermediate
    }

    /// Refuses what cannot be served as asked. `min_version_given`: --tls-min-version was set (flag or
    /// environment) rather than left at its default, so a clash with the profile is the user's to resolve.
    pub fn check(&self, min_version_given: bool) -> Result<(), String> {
        if min_version_given && self.min_version == MinVersion::Tls12 && self.profile == Profile::Modern {
            return Err("--tls-profile=modern serves TLS 1.3 only, but --tls-min-version=1.2 asks for TLS 1.2 too \
                 (allowed: --tls-min-version=1.3 with modern, or --tls-profile=intermediate)"
                .into());
        }
        let tls12 = rustls::version::TLS12.version;
        if self.tls12() && !self.groups.iter().any(|g| kx_group(g).usable_for_version(tls12)) {
            return Err(format!(
                "--tls-groups {} work with TLS 1.3 only, so a TLS 1.2 client could agree on none \
                 (allowed: add X25519, P-256 or P-384, or set --tls-min-version=1.3)",
                self.groups.join(",")
            ));
        }
        // Whatever rustls itself would refuse (a version without a suite or a group for it) fails here,
        // at start, rather than at the first handshake.
        let offer = self.offer();
        ServerConfig::builder_with_provider(offer.provider)
            .with_protocol_versions(offer.versions)
            .map(|_| ())
            .map_err(|e| format!("the TLS library cannot serve this --tls-min-version/--tls-profile/--tls-groups: {e}"))
    }

    pub fn offer(&self) -> Offer {
        use aws_lc_rs::cipher_suite::*;
        let tls13: [SupportedCipherSuite; 3] =
            [TLS13_AES_128_GCM_SHA256, TLS13_AES_256_GCM_SHA384, TLS13_CHACHA20_POLY1305_SHA256];
        // Mozilla intermediate's TLS 1.2 suites in its order, less the DHE ones rustls does not implement.
        let tls12: [SupportedCipherSuite; 6] = [
            TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ];
        let mut cipher_suites = tls13.to_vec();
        if self.tls12() {
            cipher_suites.extend(tls12);
        }
        let provider = CryptoProvider {
            cipher_suites,
            kx_groups: self.groups.iter().map(|g| kx_group(g)).collect(),
            ..aws_lc_rs::default_provider()
        };
        Offer { provider: Arc::new(provider), versions: if self.tls12() { TLS12_AND_13 } else { TLS13_ONLY } }
    }
}

/// A negotiated version as access lines name it (nginx's `$ssl_protocol`).
pub fn version_name(v: Option<ProtocolVersion>) -> &'static str {
    match v {
        Some(ProtocolVersion::TLSv1_3) => "TLSv1.3",
        Some(ProtocolVersion::TLSv1_2) => "TLSv1.2",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(o: &Offer) -> (Vec<String>, Vec<String>) {
        let suites = o.provider.cipher_suites.iter().map(|s| format!("{:?}", s.suite())).collect();
        let groups = o.provider.kx_groups.iter().map(|g| format!("{:?}", g.name())).collect();
        (suites, groups)
    }

    #[test]
    fn the_default_is_what_was_served_before_the_flags() {
        let o = TlsPolicy::default().offer();
        assert_eq!(o.versions.len(), 2);
        let (suites, groups) = names(&o);
        assert_eq!(suites.len(), 9, "{suites:?}");
        assert!(suites.iter().all(|s| !s.contains("CBC") && (s.starts_with("TLS13_") || s.contains("ECDHE"))));
        assert_eq!(groups, ["X25519MLKEM768", "X25519", "secp256r1", "secp384r1"]);
        // The provider's own default order, hybrid post-quantum first.
        let dflt: Vec<String> =
            aws_lc_rs::default_provider().kx_groups.iter().map(|g| format!("{:?}", g.name())).collect();
        assert_eq!(groups, dflt);
        TlsPolicy::default().check(false).unwrap();
    }

    #[test]
    fn modern_and_min_13_serve_tls13_only() {
        for p in [
            TlsPolicy { profile: Profile::Modern, ..TlsPolicy::default() },
            TlsPolicy { min_version: MinVersion::Tls13, ..TlsPolicy::default() },
        ] {
            p.check(false).unwrap();
            let o = p.offer();
            assert_eq!(o.versions.len(), 1);
            assert!(names(&o).0.iter().all(|s| s.starts_with("TLS13_")));
        }
    }

    #[test]
    fn groups_parse_in_order_with_aliases() {
        assert_eq!(parse_groups("x25519, prime256v1,P-384").unwrap(), ["X25519", "P-256", "P-384"]);
        assert_eq!(parse_groups("X25519MLKEM768").unwrap(), ["X25519MLKEM768"]);
        for bad in ["P-521", "X448", "", "X25519,,P-256", "ffdhe2048"] {
            let e = parse_groups(bad).unwrap_err();
            assert!(e.contains("allowed") && e.contains("X25519MLKEM768,SecP256r1MLKEM768,X25519,P-256"), "{bad}: {e}");
        }
        assert!(parse_groups("X25519,x25519").unwrap_err().contains("twice"));
    }

    #[test]
    fn bad_values_and_combinations_are_refused() {
        assert!(MinVersion::parse("1.1").unwrap_err().contains("1.2|1.3"));
        assert!(Profile::parse("old").unwrap_err().contains("intermediate|modern"));
        let modern = TlsPolicy { profile: Profile::Modern, ..TlsPolicy::default() };
        assert!(modern.check(true).unwrap_err().contains("--tls-min-version=1.2"));
        let pq_only = TlsPolicy { groups: vec!["MLKEM768", "X25519MLKEM768"], ..TlsPolicy::default() };
        let e = pq_only.check(false).unwrap_err();
        assert!(e.contains("--tls-groups MLKEM768,X25519MLKEM768") && e.contains("--tls-min-version=1.3"), "{e}");
        TlsPolicy { min_version: MinVersion::Tls13, ..pq_only }.check(true).unwrap();
    }
}
