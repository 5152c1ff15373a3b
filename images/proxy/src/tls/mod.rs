//! TLS for both listeners: rustls with the aws-lc-rs provider, the policy of `--tls-min-version`,
//! `--tls-profile` and `--tls-groups` (`policy`), and a certificate store that reloads the Secret volume
//! without dropping sessions.

pub mod certs;
pub mod policy;
mod store;
mod watch;

use std::sync::Arc;

use rustls::crypto::{CryptoProvider, aws_lc_rs};

use policy::Offer;
use rustls::server::{
    ClientHello, NoServerSessionStorage, ProducesTickets, ResolvesServerCert, ServerSessionMemoryCache,
    StoresServerSessions,
};
use rustls::server::{WebPkiClientVerifier, danger::ClientCertVerifier};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig};

pub use store::{Bundle, CertStore};
pub use watch::watch;

use crate::config::ClientAuth;

/// The default policy's provider (Mozilla "intermediate", hybrid post-quantum groups first), for the TLS
/// client to an `https://` upstream.
pub fn provider() -> Arc<CryptoProvider> {
    policy::TlsPolicy::default().offer().provider
}

/// State every certificate generation shares, so that a reload does not invalidate TLS sessions: one
/// ticket key (TLS 1.2 tickets and TLS 1.3 PSKs) and one session-ID cache. `None` with
/// --tls-session-resumption=false: no tickets, no cache, every connection a full handshake.
pub struct Sessions(Option<(Arc<dyn ProducesTickets>, Arc<dyn StoresServerSessions>)>);

impl Sessions {
    pub fn new(resumption: bool) -> Result<Self, String> {
        if !resumption {
            return Ok(Self(None));
        }
        let ticketer = aws_lc_rs::Ticketer::new().map_err(|e| format!("TLS session tickets: {e}"))?;
        Ok(Self(Some((ticketer, ServerSessionMemoryCache::new(1024)))))
    }
}

/// Serves one certified key to every handshake of one generation.
#[derive(Debug)]
struct Fixed(Arc<CertifiedKey>);

impl ResolvesServerCert for Fixed {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// Which listener a config is for.
#[derive(Clone, Copy)]
pub enum Listener {
    /// The proxy: h2 and http/1.1 through ALPN, client certificates as --client-auth says.
    Proxy(ClientAuth),
    /// The admin listener: HTTP/1.1 only, and never a CertificateRequest (kubelet has no client certificate).
    Admin,
}

/// A server config for one certificate generation.
pub fn server_config(
    offer: &Offer,
    sessions: &Sessions,
    key: Arc<CertifiedKey>,
    client_roots: Option<Arc<RootCertStore>>,
    listener: Listener,
) -> Result<Arc<ServerConfig>, String> {
    let provider = &offer.provider;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(offer.versions)
        .map_err(|e| format!("TLS config: {e}"))?;
    let verifier: Arc<dyn ClientCertVerifier> = match (listener, client_roots) {
        (Listener::Proxy(mode @ (ClientAuth::Request | ClientAuth::Require)), Some(roots)) => {
            let b = WebPkiClientVerifier::builder_with_provider(roots, provider.clone());
            let b = if mode == ClientAuth::Request { b.allow_unauthenticated() } else { b };
            b.build().map_err(|e| format!("client certificate verifier: {e}"))?
        }
        _ => WebPkiClientVerifier::no_client_auth(),
    };
    let mut cfg = builder.with_client_cert_verifier(verifier).with_cert_resolver(Arc::new(Fixed(key)));
    cfg.alpn_protocols = match listener {
        Listener::Proxy(_) => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        Listener::Admin => vec![b"http/1.1".to_vec()],
    };
    match &sessions.0 {
        Some((ticketer, cache)) => (cfg.ticketer, cfg.session_storage) = (ticketer.clone(), cache.clone()),
        None => {
            // The builder's ticketer never issues tickets; without storage there are no session IDs and no
            // stateful TLS 1.3 tickets either, so none are sent.
            cfg.session_storage = Arc::new(NoServerSessionStorage {});
            cfg.send_tls13_tickets = 0;
        }
    }
    // No 0-RTT: early data could be replayed, and the app cannot tell.
    cfg.max_early_data_size = 0;
    Ok(Arc::new(cfg))
}
