//! The certificate store: one validated generation of TLS material behind a lock that handshakes only
//! read, swapped as a whole on reload, and kept when the new files do not validate.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use rustls::ServerConfig;

use super::certs::{self, CA_FILE, CERT_FILE, KEY_FILE, LeafInfo, ReadError};
use super::policy::{Offer, TlsPolicy};
use super::watch::Fingerprint;
use super::{Listener, Sessions, server_config};
use crate::config::ClientAuth;
use crate::{log, metrics::Metrics};

/// One generation: the configs built for it, what it serves, and the files it was read from.
pub struct Bundle {
    pub proxy: Arc<ServerConfig>,
    pub admin: Arc<ServerConfig>,
    pub leaf: LeafInfo,
    pub client_ca: bool,
    pub fingerprint: Fingerprint,
}

pub struct CertStore {
    dir: PathBuf,
    client_auth: ClientAuth,
    offer: Offer,
    sessions: Sessions,
    metrics: Arc<Metrics>,
    current: RwLock<Arc<Bundle>>,
    reloading: Mutex<()>,
}

impl CertStore {
    /// Loads `dir` once; an error (one line naming the file) means the process cannot start.
    pub fn new(
        dir: &Path,
        client_auth: ClientAuth,
        resumption: bool,
        policy: &TlsPolicy,
        metrics: Arc<Metrics>,
    ) -> Result<Self, String> {
        let offer = policy.offer();
        let sessions = Sessions::new(resumption)?;
        let first = load(dir, client_auth, &offer, &sessions).map_err(|e| {
            metrics.cert_reload(false);
            format!("--tls-dir: {e} (want tls.crt and tls.key in PEM, as in a kubernetes.io/tls Secret)")
        })?;
        Ok(Self {
            dir: dir.to_path_buf(),
            client_auth,
            offer,
            sessions,
            metrics,
            current: RwLock::new(Arc::new(first)),
            reloading: Mutex::new(()),
        })
    }

    pub fn current(&self) -> Arc<Bundle> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the served certificate is inside its validity window, and why not.
    pub fn valid(&self) -> Result<(), String> {
        valid_at(&self.current().leaf, now())
    }

    /// Records the startup load, once the process is known to serve.
    pub fn log_startup(&self) {
        self.loaded(&self.current(), "startup");
    }

    /// Re-reads the directory; on any error the current generation keeps serving. Returns whether the
    /// new one was taken.
    pub fn reload(&self, reason: &str) -> bool {
        let _one_at_a_time = self.reloading.lock().unwrap_or_else(|e| e.into_inner());
        let cur = self.current();
        let result = load(&self.dir, self.client_auth, &self.offer, &self.sessions).and_then(|b| {
            let now = now();
            if valid_at(&cur.leaf, now).is_ok() && now > b.leaf.not_after {
                return Err(format!(
                    "{}: new certificate expired at {}, keeping the current one",
                    self.dir.join(CERT_FILE).display(),
                    certs::rfc3339(b.leaf.not_after)
                ));
            }
            Ok(b)
        });
        match result {
            Ok(b) => {
                let b = Arc::new(b);
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = b.clone();
                self.loaded(&b, reason);
                true
            }
            Err(e) => {
                self.metrics.cert_reload(false);
                log::error(
                    "certificate reload failed, keeping the current certificate",
                    &[("reason", reason.into()), ("error", e.into()), ("serial", cur.leaf.serial_hex.clone().into())],
                );
                false
            }
        }
    }

    fn loaded(&self, b: &Bundle, reason: &str) {
        self.metrics.cert_reload(true);
        self.metrics.set_cert_expiry(b.leaf.not_after);
        log::info(
            "certificate loaded",
            &[
                ("reason", reason.into()),
                ("serial", b.leaf.serial_hex.clone().into()),
                ("not_after", certs::rfc3339(b.leaf.not_after).into()),
                ("subject", b.leaf.subject_cn.clone().into()),
                ("dns_names", b.leaf.dns_names.clone().into()),
                ("client_ca", b.client_ca.into()),
            ],
        );
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn valid_at(leaf: &LeafInfo, now: i64) -> Result<(), String> {
    if now > leaf.not_after {
        return Err(format!("certificate expired at {}", certs::rfc3339(leaf.not_after)));
    }
    if now < leaf.not_before {
        return Err(format!("certificate not valid before {}", certs::rfc3339(leaf.not_before)));
    }
    Ok(())
}

/// Reads and validates `dir` without touching what is served.
fn load(dir: &Path, client_auth: ClientAuth, offer: &Offer, sessions: &Sessions) -> Result<Bundle, String> {
    let fingerprint = Fingerprint::of(dir);
    let (crt_path, key_path, ca_path) = (dir.join(CERT_FILE), dir.join(KEY_FILE), dir.join(CA_FILE));
    let crt = certs::read_limited(&crt_path).map_err(|e| e.to_string())?;
    let key = certs::read_limited(&key_path).map_err(|e| e.to_string())?;
    let pair = certs::parse_key_pair(&crt, &key, &offer.provider, (&crt_path, &key_path))?;
    let roots = match certs::read_limited(&ca_path) {
        Err(ReadError::NotFound(_)) if client_auth != ClientAuth::None => {
            return Err(format!(
                "{}: not found, but --client-auth={} needs it (allowed without ca.crt: none)",
                ca_path.display(),
                client_auth.as_str()
            ));
        }
        Err(ReadError::NotFound(_)) => None,
        Err(e) => return Err(e.to_string()),
        Ok(pem) => Some(Arc::new(certs::parse_ca(&pem).map_err(|e| format!("{}: {e}", ca_path.display()))?)),
    };
    let proxy = server_config(offer, sessions, pair.certified.clone(), roots.clone(), Listener::Proxy(client_auth))?;
    let admin = server_config(offer, sessions, pair.certified, None, Listener::Admin)?;
    Ok(Bundle { proxy, admin, leaf: pair.leaf, client_ca: roots.is_some(), fingerprint })
}
