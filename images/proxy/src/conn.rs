//! One client connection's life after the TLS handshake: the header-read and idle timeouts, the GOAWAY
//! of a drain, and the graceful and forced ends of a shutdown.
//!
//! hyper's own `header_read_timeout` also runs while a keep-alive connection waits for its next request,
//! which would make it an idle timeout of 10 s; Go's semantics, which the flags document, are separate:
//! --read-header-timeout from a request's first byte (or the connection's start) to its last header
//! byte, --idle-timeout between requests. So the connection's IO counts bytes and the handler counts
//! requests, and the driver below keeps the two deadlines.

//!
//! Per request this costs a few atomics and no lock or wake-up: HTTP/1.1's handler, its response body
//! and the connection's IO all run inside the driver's own poll of the connection, so the driver reads
//! the deadline after each poll. HTTP/2 streams run in tasks of their own; the end of a connection's
//! last stream wakes the driver through `changed`.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Acquire, Ordering::Relaxed, Ordering::Release};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::{Instant, Sleep};

use crate::drain::Drain;

/// `head_since` of a head whose first bytes the driver's current poll read (no instant yet).
const HEAD_UNSTAMPED: u64 = u64::MAX;

/// What a connection's driver needs to know of its requests.
pub struct ConnState {
    /// HTTP/1.1: bytes between requests are the next request's head (HTTP/2 has no such thing).
    h1: bool,
    /// The origin of the two instants below, which are kept as nanoseconds since it.
    base: Instant,
    /// Requests whose response has not been sent completely.
    active: AtomicUsize,
    /// When the connection became idle.
    idle_since: AtomicU64,
    /// When the next request's first byte came, plus one; 0 until it does; `HEAD_UNSTAMPED` when it
    /// came in the driver's current poll.
    head_since: AtomicU64,
    /// HTTP/2: a stream task ended the last request.
    changed: Notify,
    /// Set by a handler during a drain: send GOAWAY (HTTP/2) once this response is on its way.
    pub goaway: Notify,
}

impl ConnState {
    pub fn new(h1: bool) -> Self {
        // Until the first request (HTTP/2: stream), the header timeout runs from the start: a connection
        // that sends no request is closed like one that sends half a head, so it cannot hold its place
        // under the connection cap for the whole idle timeout.
        Self {
            h1,
            base: Instant::now(),
            active: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
            head_since: AtomicU64::new(1),
            changed: Notify::new(),
            goaway: Notify::new(),
        }
    }

    fn since_base(&self, t: Instant) -> u64 {
        t.saturating_duration_since(self.base).as_nanos() as u64
    }

    pub fn request_started(&self) {
        self.active.fetch_add(1, Relaxed);
        self.head_since.store(0, Relaxed);
    }

    /// `now`: when the request's response was sent.
    pub fn request_ended(&self, now: std::time::Instant) {
        // Stored first: the driver reads them only while no request is active.
        self.idle_since.store(self.since_base(Instant::from_std(now)), Relaxed);
        self.head_since.store(0, Relaxed);
        if self.active.fetch_sub(1, Release) == 1 && !self.h1 {
            self.changed.notify_one();
        }
    }

    /// The clock is read only at the end of the driver's poll (`deadlines`), and only if the head is
    /// still incomplete then: a keep-alive request's head usually comes whole, and its handler starts
    /// in the same poll.
    fn bytes_read(&self) {
        if self.h1 && self.active.load(Relaxed) == 0 && self.head_since.load(Relaxed) == 0 {
            self.head_since.store(HEAD_UNSTAMPED, Relaxed);
        }
    }

    /// The instants the connection should be closed at if nothing happens before: its head's
    /// deadline, or else its idle one.
    fn deadlines(&self, header: Option<Duration>, idle: Option<Duration>) -> (Option<Instant>, Option<Instant>) {
        if self.active.load(Acquire) > 0 {
            return (None, None);
        }
        let at = |nanos: u64, t: Duration| self.base + Duration::from_nanos(nanos) + t;
        match self.head_since.load(Relaxed) {
            0 => (None, idle.map(|t| at(self.idle_since.load(Relaxed), t))),
            HEAD_UNSTAMPED => {
                let now = self.since_base(Instant::now());
                self.head_since.store(now + 1, Relaxed);
                (header.map(|t| at(now, t)), None)
            }
            head => (header.map(|t| at(head - 1, t)), None),
        }
    }
}

/// Ready when a connection that has sent no request yet has waited `header` since it started.
pub async fn first_request_deadline(state: &ConnState, header: Option<Duration>) {
    match header {
        Some(t) => tokio::time::sleep_until(state.base + t).await,
        None => std::future::pending().await,
    }
}

/// The client's IO, telling `ConnState` when bytes arrive.
pub struct Watched<T> {
    inner: T,
    state: std::sync::Arc<ConnState>,
    /// A byte read by `wait_for_request`, given back by the next read.
    first: Option<u8>,
}

impl<T> Watched<T> {
    pub fn new(inner: T, state: std::sync::Arc<ConnState>) -> Self {
        Self { inner, state, first: None }
    }
}

impl<T: AsyncRead + Unpin> Watched<T> {
    /// Waits for the first byte of a request, which the next read gives back; false at end of stream
    /// or on an error. HTTP/1.1 connections get their HTTP server only then: hyper allocates its
    /// buffers up front (8 KiB to write, 8 KiB to read), most of what a connection that completed its
    /// handshake and sent nothing would otherwise cost (bench/ANALYSIS.md, "Memory per connection").
    pub async fn wait_for_request(&mut self) -> bool {
        use tokio::io::AsyncReadExt;
        let mut byte = [0u8; 1];
        let got = matches!(self.read(&mut byte).await, Ok(1));
        self.first = got.then_some(byte[0]);
        got
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if let Some(b) = self.first
            && buf.remaining() > 0
        {
            buf.put_slice(&[b]);
            self.first = None;
            return Poll::Ready(Ok(()));
        }
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

/// A timer that lags behind its deadline: the idle deadline moves forward with every request, and
/// instead of moving the timer each time, the timer stays at the earlier instant and, when it fires,
/// moves to the deadline of then (a keep-alive connection's timer fires about once per timeout, not
/// reset and polled once per request). A deadline earlier than the timer moves it at once.
struct Deadline<'a> {
    sleep: Pin<&'a mut Sleep>,
    armed: Option<Instant>,
    /// The timer was polled with the task's current waker.
    current: bool,
}

impl<'a> Deadline<'a> {
    fn new(sleep: Pin<&'a mut Sleep>) -> Self {
        Self { sleep, armed: None, current: false }
    }

    /// Whether `at` (if any) has passed; makes sure the timer wakes the task by then.
    fn poll(&mut self, at: Option<Instant>, cx: &mut Context<'_>) -> bool {
        let Some(at) = at else { return false };
        if let Some(armed) = self.armed
            && armed <= at
            && self.current
            && !self.sleep.is_elapsed()
        {
            return false; // it wakes the task at `armed`, no later than `at`
        }
        if self.armed != Some(at) {
            self.sleep.as_mut().reset(at);
            self.armed = Some(at);
        }
        self.current = true;
        self.sleep.as_mut().poll(cx).is_ready()
    }
}

/// Runs `conn` to its end: closed at a timeout (the header timeout until the first request, and for
/// HTTP/1.1 whenever a request head is half-sent), told to finish at a drain's GOAWAY or at the
/// shutdown, dropped at the deadline.
pub async fn drive<C: Graceful>(
    conn: C,
    state: &ConnState,
    drain: &Drain,
    header: Option<Duration>,
    idle: Option<Duration>,
) {
    let mut conn = pin!(conn);
    let (mut force, mut graceful) = (pin!(drain.force.cancelled()), pin!(drain.graceful.cancelled()));
    let (mut goaway, mut changed) = (pin!(state.goaway.notified()), pin!(state.changed.notified()));
    let (head_sleep, idle_sleep) = (pin!(tokio::time::sleep(Duration::ZERO)), pin!(tokio::time::sleep(Duration::ZERO)));
    let (mut head_timer, mut idle_timer) = (Deadline::new(head_sleep), Deadline::new(idle_sleep));
    let mut finishing = false;
    // The waker the drain's futures were last polled with: they wake it when the drain moves on, and
    // polling them (which takes their locks) is needed only then or for another waker.
    let mut registered: Option<Waker> = None;
    poll_fn(|cx| {
        let fresh = !registered.as_ref().is_some_and(|w| w.will_wake(cx.waker()));
        if (fresh || drain.forcing()) && force.as_mut().poll(cx).is_ready() {
            return Poll::Ready(());
        }
        if !finishing && (fresh || drain.finishing()) && graceful.as_mut().poll(cx).is_ready() {
            finishing = true;
            conn.as_mut().graceful();
        }
        if fresh {
            registered = Some(cx.waker().clone());
            (head_timer.current, idle_timer.current) = (false, false);
        }
        if !state.h1 {
            if !finishing && goaway.as_mut().poll(cx).is_ready() {
                finishing = true;
                conn.as_mut().graceful();
            }
            while changed.as_mut().poll(cx).is_ready() {
                changed.set(state.changed.notified());
            }
        }
        if conn.as_mut().poll(cx).is_ready() {
            return Poll::Ready(());
        }
        if finishing {
            return Poll::Pending;
        }
        let (head_at, idle_at) = state.deadlines(header, idle);
        // Dropping the connection closes it.
        if head_timer.poll(head_at, cx) || idle_timer.poll(idle_at, cx) { Poll::Ready(()) } else { Poll::Pending }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn the_byte_waited_for_comes_back_before_the_rest() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut io = Watched::new(server, std::sync::Arc::new(ConnState::new(true)));
        client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        assert!(io.wait_for_request().await);
        let mut got = vec![0u8; 16];
        io.read_exact(&mut got).await.unwrap();
        assert_eq!(got, b"GET / HTTP/1.1\r\n");
        drop(client);
        assert!(!io.wait_for_request().await);
    }
}
