//! Helpers for the integration tests: a throwaway CA, a Secret-like --tls-dir, a plain-HTTP app, the
//! proxy binary as a child process, and a TLS client that speaks raw HTTP/1.1.
#![allow(dead_code)] // each test file uses a part

use std::io::Read;
use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

pub struct Pair {
    pub cert_pem: String,
    pub key_pem: String,
    pub der: Vec<u8>,
}

impl Ca {
    pub fn new() -> Self {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(vec![]).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name.push(DnType::CommonName, "integration-ca");
        Self { cert: p.self_signed(&key).unwrap(), key }
    }

    /// A leaf for `localhost` (and, when given, client-auth use with this CN and O).
    pub fn issue(&self, cn: &str, org: Option<&str>, sans: &[&str]) -> Pair {
        let key = KeyPair::generate().unwrap();
        let mut names = vec!["localhost".to_string()];
        names.extend(sans.iter().map(|s| s.to_string()));
        let mut p = CertificateParams::new(names).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        if let Some(o) = org {
            p.distinguished_name.push(DnType::OrganizationName, o);
        }
        let cert = p.signed_by(&key, &self.cert, &self.key).unwrap();
        Pair { cert_pem: cert.pem(), key_pem: key.serialize_pem(), der: cert.der().to_vec() }
    }

    pub fn client_config(&self, alpn: &[&[u8]]) -> rustls::ClientConfig {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from(self.cert.der().to_vec())).unwrap();
        let mut c =
            rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();
        c.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        c
    }
}

/// A temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("proxy-it-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn write_pair(&self, p: &Pair) {
        std::fs::write(self.0.join("tls.key"), &p.key_pem).unwrap();
        std::fs::write(self.0.join("tls.crt"), &p.cert_pem).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn free_addr() -> String {
    StdListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string()
}

/// A plain-HTTP app on 127.0.0.1 that answers every request with its head, as the proxy sent it.
pub async fn echo_app() -> String {
    let ln = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = ln.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((mut c, _)) = ln.accept().await {
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match c.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).to_lowercase();
                let resp =
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}", head.len());
                let _ = c.write_all(resp.as_bytes()).await;
            });
        }
    });
    addr
}

/// The proxy binary as a child; killed on drop. Its stderr is collected.
pub struct Proc {
    pub child: Child,
    pub stderr: Arc<Mutex<String>>,
}

impl Proc {
    pub fn start(args: &[String]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_proxy"))
            .args(args)
            .env_remove("PROXY_LISTEN")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let (mut pipe, sink) = (child.stderr.take().unwrap(), stderr.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Self { child, stderr }
    }

    pub fn signal(&self, sig: i32) {
        unsafe { libc::kill(self.child.id() as i32, sig) };
    }

    /// Waits up to `limit` for the exit code.
    pub fn wait(&mut self, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(st) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(50)); // let the stderr thread drain the pipe
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A started proxy in front of `upstream`, with its listener and admin addresses.
pub struct Running {
    pub proc: Proc,
    pub addr: String,
    pub admin: String,
}

pub async fn start_proxy(ca: &Ca, dir: &TempDir, upstream: &str, extra: &[&str]) -> Running {
    let (addr, admin) = (free_addr(), free_addr());
    let mut args = vec![
        format!("--listen={addr}"),
        format!("--admin-listen={admin}"),
        format!("--upstream=http://{upstream}"),
        format!("--tls-dir={}", dir.0.display()),
        "--drain-delay=0s".to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let proc = Proc::start(&args);
    let start = Instant::now();
    loop {
        if let Ok(r) =
            request(ca, &admin, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await
        {
            if r.starts_with("HTTP/1.1 200") {
                return Running { proc, addr, admin };
            }
        }
        assert!(start.elapsed() < Duration::from_secs(10), "proxy did not start: {}", proc.stderr());
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// One raw HTTP/1.1 exchange over TLS (the request should say `Connection: close`); the response as text.
pub async fn request(ca: &Ca, addr: &str, raw: &str) -> std::io::Result<String> {
    let (text, _) = request_with_cert(ca, addr, raw).await?;
    Ok(text)
}

/// Like `request`, also returning the leaf certificate the server presented.
pub async fn request_with_cert(ca: &Ca, addr: &str, raw: &str) -> std::io::Result<(String, Vec<u8>)> {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(ca.client_config(&[b"http/1.1"])));
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let mut tls = connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await?;
    let leaf = tls.get_ref().1.peer_certificates().and_then(|c| c.first()).map(|c| c.to_vec()).unwrap_or_default();
    tls.write_all(raw.as_bytes()).await?;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut out)).await;
    Ok((String::from_utf8_lossy(&out).into_owned(), leaf))
}
