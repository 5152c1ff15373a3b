//! Lingering close. When we end a connection the client is still writing to (a 431 for a head over
//! --max-header-bytes, a header timeout, a TLS alert), closing a socket with unread bytes makes the
//! kernel answer with RST: the client's next write fails ("broken pipe") and the response we just
//! sent may be dropped unread. So, as nginx's `lingering_close` and Go's `closeWriteAndWait` do, a
//! connection the client has not closed sends FIN when it is dropped, then reads and discards what
//! still arrives, bounded in time and bytes, before the socket closes.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use crate::admission::Admitted;

/// How long a closed connection keeps reading: enough for a client on a slow link to finish a
/// request of a few MiB and read our answer, short enough that closed connections do not pile up.
const LINGER_TIME: Duration = Duration::from_secs(2);
/// Bytes discarded at most while lingering (--max-header-bytes is at most 64 MiB; a client still
/// sending after 16 MiB gets a reset).
const LINGER_BYTES: usize = 16 << 20;
/// The discard buffer: small, since a flood of cut connections may all linger at once.
const LINGER_BUF: usize = 2 << 10;

/// A client's TCP stream that lingers when dropped, unless the client closed it first. It keeps the
/// connection's place under the connection cap until the socket is closed.
pub struct Lingering {
    tcp: Option<TcpStream>,
    admitted: Option<Admitted>,
    /// The client sent FIN or RST: nothing more will come, so closing at once is clean.
    peer_closed: bool,
}

impl Lingering {
    pub fn new(tcp: TcpStream, admitted: Admitted) -> Self {
        Self { tcp: Some(tcp), admitted: Some(admitted), peer_closed: false }
    }

    pub fn set_nodelay(&self) {
        if let Some(tcp) = &self.tcp {
            let _ = tcp.set_nodelay(true);
        }
    }

    /// Reads the first bytes without taking them (see `plaintext`).
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        match &self.tcp {
            Some(tcp) => tcp.peek(buf).await,
            None => Ok(0),
        }
    }

    fn tcp(&mut self) -> Pin<&mut TcpStream> {
        Pin::new(self.tcp.as_mut().expect("the stream is taken only on drop"))
    }
}

impl Drop for Lingering {
    fn drop(&mut self) {
        if self.peer_closed {
            return;
        }
        if let (Some(tcp), Ok(rt)) = (self.tcp.take(), tokio::runtime::Handle::try_current()) {
            rt.spawn(linger(tcp, self.admitted.take()));
        }
    }
}

async fn linger(mut tcp: TcpStream, _admitted: Option<Admitted>) {
    // Already done if the TLS layer closed its side; harmless if so.
    let _ = tcp.shutdown().await;
    let mut buf = vec![0u8; LINGER_BUF];
    let discard = async {
        let mut left = LINGER_BYTES;
        while left > 0 {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    };
    let _ = tokio::time::timeout(LINGER_TIME, discard).await;
}

impl AsyncRead for Lingering {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let (before, room) = (buf.filled().len(), buf.remaining() > 0);
        let r = self.tcp().poll_read(cx, buf);
        match &r {
            Poll::Ready(Ok(())) if room && buf.filled().len() == before => self.peer_closed = true,
            Poll::Ready(Err(_)) => self.peer_closed = true,
            _ => {}
        }
        r
    }
}

impl AsyncWrite for Lingering {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.tcp().poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        b: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.tcp().poll_write_vectored(cx, b)
    }
    fn is_write_vectored(&self) -> bool {
        true
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.tcp().poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.tcp().poll_shutdown(cx)
    }
}
