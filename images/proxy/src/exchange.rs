//! One request's accounting, kept until its response has been sent: in-flight gauges, the status and
//! duration metrics, the access log line. Dropped before a response was made means the client left
//! first (HTTP/1.1 connection closed, HTTP/2 stream reset): counted as a cancel, not an upstream error.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};

use crate::access::Pending;
use crate::conn::ConnState;
use crate::log;
use crate::metrics::Metrics;

/// Status recorded for a request whose client left before the upstream answered (nginx's 499).
pub const CLIENT_CLOSED: u16 = 499;

pub struct Exchange {
    metrics: Arc<Metrics>,
    conn: Arc<ConnState>,
    start: Instant,
    /// 0 until a response is made.
    pub code: u16,
    bytes: u64,
    upgraded: bool,
    /// The access line, only with --access-log.
    access: Option<Box<Pending>>,
}

impl Exchange {
    pub fn start(metrics: Arc<Metrics>, conn: Arc<ConnState>, access: Option<Box<Pending>>) -> Self {
        metrics.inflight.fetch_add(1, Relaxed);
        conn.request_started();
        Self { metrics, conn, start: Instant::now(), code: 0, bytes: 0, upgraded: false, access }
    }

    /// When the request reached the handler: the clock reading its other timings may share.
    pub fn started(&self) -> Instant {
        self.start
    }

    /// Marks an upgraded connection, open until this exchange ends (the tunnel holds it).
    pub fn upgraded(&mut self) {
        self.upgraded = true;
        self.metrics.upgraded.fetch_add(1, Relaxed);
    }

    /// With --access-log and a request body: the counter the body adds its bytes to.
    pub fn bytes_in(&self) -> Option<Arc<std::sync::atomic::AtomicU64>> {
        self.access.as_ref().and_then(|a| a.bytes_in.clone())
    }

    /// The app answered (or failed to) now.
    pub fn upstream_done(&mut self) {
        if let Some(a) = self.access.as_mut() {
            a.upstream = Some(self.start.elapsed());
        }
    }
}

impl Drop for Exchange {
    fn drop(&mut self) {
        if self.code == 0 {
            self.code = CLIENT_CLOSED;
            self.metrics.client_canceled.fetch_add(1, Relaxed);
            log::debug("client canceled", &[]);
        }
        if self.upgraded {
            self.metrics.upgraded.fetch_sub(1, Relaxed);
        }
        let end = Instant::now();
        let d = end.saturating_duration_since(self.start);
        self.metrics.inflight.fetch_sub(1, Relaxed);
        self.metrics.observe(self.code, d);
        self.conn.request_ended(end);
        if let Some(a) = &self.access {
            a.write(self.code, self.bytes, d);
        }
    }
}

enum Inner {
    Stream(Incoming),
    Full(Option<Bytes>),
}

/// A response body that carries its exchange until the last frame is sent (or the client goes away).
pub struct ProxyBody {
    inner: Inner,
    exchange: Option<Exchange>,
}

impl ProxyBody {
    pub fn stream(body: Incoming, exchange: Exchange) -> Self {
        Self { inner: Inner::Stream(body), exchange: Some(exchange) }
    }

    pub fn full(bytes: impl Into<Bytes>, exchange: Option<Exchange>) -> Self {
        let b: Bytes = bytes.into();
        Self { inner: Inner::Full((!b.is_empty()).then_some(b)), exchange }
    }

    fn finish(&mut self) {
        self.exchange.take();
    }
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = &mut *self;
        let r = match &mut this.inner {
            Inner::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Inner::Stream(s) => Pin::new(s).poll_frame(cx),
        };
        match &r {
            Poll::Ready(Some(Ok(f))) => {
                if let (Some(d), Some(x)) = (f.data_ref(), this.exchange.as_mut()) {
                    x.bytes += d.len() as u64;
                }
                if this.is_end_stream() {
                    this.finish();
                }
            }
            Poll::Ready(_) => this.finish(),
            Poll::Pending => {}
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            Inner::Full(b) => b.is_none(),
            Inner::Stream(s) => s.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Inner::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            Inner::Stream(s) => s.size_hint(),
        }
    }
}
