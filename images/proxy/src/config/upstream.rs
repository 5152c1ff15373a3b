//! `--upstream`: the app's base URL, and `--upstream-protocol`.

use http::uri::{Authority, Scheme, Uri};

/// How the proxy speaks to the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpstreamProtocol {
    /// HTTP/1.1 with keep-alive (and upgrades such as WebSocket).
    Http1,
    /// HTTP/2 over plain TCP with prior knowledge (gRPC apps): trailers and bidirectional streams.
    H2c,
}

impl UpstreamProtocol {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "http1" => Ok(Self::Http1),
            "h2c" => Ok(Self::H2c),
            _ => Err("allowed: http1|h2c".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http1 => "http1",
            Self::H2c => "h2c",
        }
    }
}

/// A validated upstream URL: `http://` or `https://`, a host, an optional port and base path, nothing else.
#[derive(Clone, Debug)]
pub struct Upstream {
    pub scheme: Scheme,
    pub authority: Authority,
    /// The path that prefixes every request's path ("" for none), without a trailing slash.
    pub base_path: String,
    /// `host:port` to dial, the scheme's default port filled in.
    pub dial_addr: String,
    pub raw: String,
}

const WANT: &str = "want an absolute http:// or https:// URL with a host, e.g. http://127.0.0.1:8080";

impl Upstream {
    pub fn parse(s: &str) -> Result<Self, String> {
        let uri: Uri = s.parse().map_err(|_| WANT.to_string())?;
        let scheme = uri.scheme().cloned().ok_or(WANT)?;
        if scheme != Scheme::HTTP && scheme != Scheme::HTTPS {
            return Err(WANT.into());
        }
        let authority = uri.authority().cloned().ok_or(WANT)?;
        if authority.as_str().contains('@') || uri.query().is_some() || s.contains('#') {
            return Err("the URL must not contain user info, a query or a fragment".into());
        }
        let host = authority.host();
        if host.is_empty() {
            return Err(WANT.into());
        }
        let port = match authority.as_str().rsplit_once(':') {
            Some((_, p)) if !authority.as_str().ends_with(']') => match p.parse::<u16>() {
                Ok(n) if n >= 1 => n,
                _ => return Err("port must be a number 1-65535".into()),
            },
            _ if scheme == Scheme::HTTPS => 443,
            _ => 80,
        };
        let dial_addr = format!("{host}:{port}");
        let base_path = uri.path().trim_end_matches('/').to_string();
        Ok(Self { scheme, authority, base_path, dial_addr, raw: s.to_string() })
    }

    pub fn is_https(&self) -> bool {
        self.scheme == Scheme::HTTPS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_fills_ports() {
        let u = Upstream::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!((u.dial_addr.as_str(), u.base_path.as_str()), ("127.0.0.1:8080", ""));
        assert_eq!(Upstream::parse("https://app.internal").unwrap().dial_addr, "app.internal:443");
        assert_eq!(Upstream::parse("http://[::1]/base/").unwrap().dial_addr, "[::1]:80");
        assert_eq!(Upstream::parse("http://[::1]/base/").unwrap().base_path, "/base");
    }

    #[test]
    fn rejects() {
        for s in ["127.0.0.1:8080", "ftp://127.0.0.1:21", "http://", "/path", "http://:80"] {
            assert!(Upstream::parse(s).unwrap_err().contains("http://"), "{s}");
        }
        for s in ["http://user:secret@127.0.0.1:8080", "http://127.0.0.1:8080/?q=1", "http://h/#f"] {
            assert!(Upstream::parse(s).unwrap_err().contains("user info, a query"), "{s}");
        }
        assert!(Upstream::parse("http://h:0").unwrap_err().contains("1-65535"));
        assert!(Upstream::parse("http://h:99999").is_err());
    }
}
