//! Readiness: a certificate inside its validity window is loaded, the app accepts TCP connections, and
//! no SIGTERM drain has begun. The app check is a bare connect, cached so that probes and scrapes cost
//! at most one dial a second.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::drain::Drain;
use crate::tls::CertStore;

const PROBE_TTL: Duration = Duration::from_secs(1);
const PROBE_TIMEOUT: Duration = Duration::from_millis(500);

pub struct Health {
    pub certs: Arc<CertStore>,
    pub drain: Arc<Drain>,
    upstream_addr: String,
    last: Mutex<Option<(Instant, Result<(), String>)>>,
}

impl Health {
    pub fn new(certs: Arc<CertStore>, drain: Arc<Drain>, upstream_addr: String) -> Self {
        Self { certs, drain, upstream_addr, last: Mutex::new(None) }
    }

    /// Ok when ready, else the reason.
    pub async fn ready(&self) -> Result<(), String> {
        if self.drain.shutting_down() {
            return Err("draining".into());
        }
        self.certs.valid()?;
        self.upstream().await.map_err(|e| format!("upstream unreachable: {e}"))
    }

    async fn upstream(&self) -> Result<(), String> {
        let mut last = self.last.lock().await;
        if let Some((at, r)) = &*last {
            if at.elapsed() < PROBE_TTL {
                return r.clone();
            }
        }
        let r = match tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect(&self.upstream_addr)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(format!("dial {}: {e}", self.upstream_addr)),
            Err(_) => Err(format!("dial {}: timed out after {PROBE_TIMEOUT:?}", self.upstream_addr)),
        };
        *last = Some((Instant::now(), r.clone()));
        r
    }
}
