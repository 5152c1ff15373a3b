//! One client connection's life after the TLS handshake: the header-read and idle timeouts, the GOAWAY
//! of a drain, and the graceful and forced ends of a shutdown.
//!
//! hyper's own `header_read_timeout` also runs while a keep-alive connection waits for its next request,
//! which would make it an idle timeout of 10 s; Go's semantics, which the flags document, are separate:
//! --read-header-timeout from a request's first byte (or the connection's start) to its last header
//! byte, --idle-timeout between requests. So the connection's IO counts bytes and the handler counts
//! requests, and the driver below keeps the two deadlines.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::drain::Drain;

/// What a connection's driver needs to know of its requests.
pub struct ConnState {
    /// HTTP/1.1: bytes between requests are the next request's head (HTTP/2 has no such thing).
    h1: bool,
    /// Requests whose response has not been sent completely.
    active: AtomicUsize,
    /// When the connection became idle, and when the next request's first byte came (if it did).
    idle: Mutex<(Instant, Option<Instant>)>,
    changed: Notify,
    /// Set by a handler during a drain: send GOAWAY (HTTP/2) once this response is on its way.
    pub goaway: Notify,
}

impl ConnState {
    pub fn new(h1: bool) -> Self {
        let now = Instant::now();
        // HTTP/1.1: until the first request, its head is awaited, so the header timeout runs from the start.
        let idle = Mutex::new((now, h1.then_some(now)));
        Self { h1, active: AtomicUsize::new(0), idle, changed: Notify::new(), goaway: Notify::new() }
    }

    pub fn request_started(&self) {
        if self.active.fetch_add(1, Relaxed) == 0 {
            self.idle.lock().unwrap_or_else(|e| e.into_inner()).1 = None;
        }
    }

    pub fn request_ended(&self) {
        if self.active.fetch_sub(1, Relaxed) == 1 {
            *self.idle.lock().unwrap_or_else(|e| e.into_inner()) = (Instant::now(), None);
            self.changed.notify_one();
        }
    }

    fn bytes_read(&self) {
        if self.h1 && self.active.load(Relaxed) == 0 {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            if idle.1.is_none() {
                idle.1 = Some(Instant::now());
                self.changed.notify_one();
            }
        }
    }

    /// The instant the connection should be closed at, if nothing happens before.
    fn deadline(&self, header_timeout: Option<Duration>, idle_timeout: Option<Duration>) -> Option<Instant> {
        if self.active.load(Relaxed) > 0 {
            return None;
        }
        match *self.idle.lock().unwrap_or_else(|e| e.into_inner()) {
            (_, Some(head)) => header_timeout.map(|t| head + t),
            (since, None) => idle_timeout.map(|t| since + t),
        }
    }
}

/// The client's IO, telling `ConnState` when bytes arrive.
pub struct Watched<T> {
    inner: T,
    state: std::sync::Arc<ConnState>,
}

impl<T> Watched<T> {
    pub fn new(inner: T, state: std::sync::Arc<ConnState>) -> Self {
        Self { inner, state }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.state.bytes_read();
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        b: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, b)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A hyper connection that can be asked to finish what it is doing and close.
pub trait Graceful: Future {
    fn graceful(self: Pin<&mut Self>);
}

impl<I, S, B> Graceful for hyper::server::conn::http1::UpgradeableConnection<I, S>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::HttpService<hyper::body::Incoming, ResBody = B>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: hyper::body::Body + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn graceful(self: Pin<&mut Self>) {
        self.graceful_shutdown()
    }
}

impl<I, S, B, E> Graceful for hyper::server::conn::http2::Connection<I, S, E>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
    S: hyper::service::HttpService<hyper::body::Incoming, ResBody = B>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: hyper::body::Body + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    E: hyper::rt::bounds::Http2ServerConnExec<S::Future, B>,
{
    fn graceful(self: Pin<&mut Self>) {
        self.graceful_shutdown()
    }
}

/// Runs `conn` to its end: closed at a timeout (header timeout only for HTTP/1.1, where a request head
/// can be half-sent), told to finish at a drain's GOAWAY or at the shutdown, dropped at the deadline.
pub async fn drive<C: Graceful>(
    conn: C,
    state: &ConnState,
    drain: &Drain,
    header: Option<Duration>,
    idle: Option<Duration>,
) {
    tokio::pin!(conn);
    let mut finishing = false;
    loop {
        let deadline = if finishing { None } else { state.deadline(header, idle) };
        tokio::select! {
            _ = &mut conn => return,
            _ = drain.force.cancelled() => return,
            _ = drain.graceful.cancelled(), if !finishing => {
                finishing = true;
                conn.as_mut().graceful();
            }
            _ = state.goaway.notified(), if !finishing => {
                finishing = true;
                conn.as_mut().graceful();
            }
            _ = state.changed.notified() => {}
            _ = sleep_until(deadline) => {
                if state.deadline(header, idle).is_some_and(|d| d <= Instant::now()) {
                    return; // dropping the connection closes it
                }
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
