//! The upstream HTTP/1.1 connections of client connections. A client connection keeps the upstream
//! connections its requests used for its next requests: no pool lookup, no hashed pool key, no task
//! per request to return a connection to a pool. An HTTP/1.1 client's requests come one after another
//! (hyper reads the next head only once the last response is sent), so it keeps one, and a request
//! waits for it to finish the previous response; an HTTP/2 client's streams are concurrent, so it
//! keeps several, and a stream takes one that is ready now (else an idle one, else a new one). When the
//! client connection closes, its upstream connections join the idle ones that new client connections
//! take before dialing. Upgrades and h2c go through hyper-util's pool.
//!
//! As with that pool: at most --upstream-max-idle-conns idle connections (kept or shared; others
//! are closed), none reused after 90 s idle, and a request that a reused connection could not start
//! (the app had closed it) is sent again on a new one. A kept connection the app closes stops counting
//! at once (its connection task uncounts it), so connections an idle client connection still holds
//! after the app closed them never crowd out live ones.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use http::{Request, Response, Uri};
use hyper::body::Incoming;
use hyper::client::conn::http1::{Builder, SendRequest};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use tower_service::Service;

use crate::access::RequestBody;
use crate::log::error_chain;

/// Opens the upstream connections client connections keep.
pub struct Dialer {
    connector: HttpsConnector<HttpConnector>,
    /// The upstream URL (scheme and authority: the TLS server name of an `https://` upstream).
    target: Uri,
    builder: Builder,
    idle: Arc<Idle>,
}

/// The idle connections: their count, and those no client connection keeps (newest last).
struct Idle {
    count: AtomicUsize,
    shared: Mutex<Vec<Kept>>,
    max: usize,
    max_time: Duration,
}

/// An upstream connection, and whether it counts as idle (kept by a slot or shared).
struct Conn {
    sender: SendRequest<RequestBody>,
    counted: Arc<AtomicBool>,
}

struct Kept {
    conn: Conn,
    since: Instant,
}

impl Idle {
    /// Counts the connection as idle, if there is room and the app has not closed it.
    fn admit(&self, c: &Conn) -> bool {
        if self.count.fetch_add(1, Relaxed) >= self.max {
            self.count.fetch_sub(1, Relaxed);
            return false;
        }
        c.counted.store(true, SeqCst);
        // Its task may have ended before the store, missing it: a closed sender shows that.
        if c.sender.is_closed() {
            self.uncount(&c.counted);
            return false;
        }
        true
    }

    /// Stops counting a connection, once: the holder that takes or drops it and its connection task
    /// (when the app closes it) may both try.
    fn uncount(&self, counted: &AtomicBool) {
        if counted.swap(false, SeqCst) {
            self.count.fetch_sub(1, Relaxed);
        }
    }

    fn usable(&self, k: &Kept) -> bool {
        self.usable_at(k, Instant::now())
    }

    fn usable_at(&self, k: &Kept, now: Instant) -> bool {
        !k.conn.sender.is_closed() && now.saturating_duration_since(k.since) <= self.max_time
    }

    /// Closes the shared connections idle too long.
    fn expire(&self) {
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        shared.retain(|k| {
            let usable = self.usable(k);
            if !usable {
                self.uncount(&k.conn.counted);
            }
            usable
        });
    }
}

/// A client connection's upstream connections, kept between its requests (HTTP/1.1: at most one).
pub struct Slot {
    kept: Mutex<Vec<Kept>>,
    /// HTTP/2: the requests are concurrent streams.
    concurrent: bool,
    idle: Arc<Idle>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let kept = self.kept.get_mut().unwrap_or_else(|e| e.into_inner());
        if kept.is_empty() {
            return;
        }
        // Their last responses are done (or were abandoned, which closes the connection).
        let mut shared = self.idle.shared.lock().unwrap_or_else(|e| e.into_inner());
        for k in kept.drain(..) {
            if self.idle.usable(&k) {
                shared.push(k);
            } else {
                self.idle.uncount(&k.conn.counted);
            }
        }
    }
}

impl Dialer {
    pub fn new(connector: HttpsConnector<HttpConnector>, target: Uri, max: usize, max_time: Duration) -> Self {
        let idle = Arc::new(Idle { count: AtomicUsize::new(0), shared: Mutex::default(), max, max_time });
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(expire_every(Arc::downgrade(&idle), max_time / 2));
        }
        Self { connector, target, builder: Builder::new(), idle }
    }

    /// `concurrent`: for an HTTP/2 client connection.
    pub fn slot(&self, concurrent: bool) -> Slot {
        Slot { kept: Mutex::default(), concurrent, idle: self.idle.clone() }
    }

    /// Sends `req` (origin-form URI, headers rewritten) on the slot's connection, an idle one, or a
    /// new one. `now`: when the request started, the clock reading the idle times are measured with
    /// (one read per request instead of three): a kept connection's idle time is then counted from its
    /// last request's start, longer by that request's duration, so none is reused after 90 s idle.
    pub async fn send(
        &self,
        slot: &Slot,
        mut req: Request<RequestBody>,
        now: Instant,
    ) -> Result<Response<Incoming>, String> {
        let mut reused = self.take(slot, now).await;
        loop {
            let fresh = reused.is_none();
            let mut conn = match reused.take() {
                Some(c) => c,
                None => self.dial().await?,
            };
            match conn.sender.try_send_request(req).await {
                Ok(resp) => {
                    self.keep(slot, conn, now);
                    return Ok(resp);
                }
                Err(mut e) => match e.take_message() {
                    // Not started on a connection the app had closed: once more on a new one.
                    Some(r) if !fresh => req = r,
                    _ => return Err(format!("client error (SendRequest): {}", error_chain(e.error()))),
                },
            }
        }
    }

    /// The slot's connection, else a shared idle one, once it is ready for a request (it is at the
    /// end of its previous response's body).
    async fn take(&self, slot: &Slot, now: Instant) -> Option<Conn> {
        let mut kept = self.kept(slot, now);
        loop {
            let k = match kept.take() {
                Some(k) => k,
                None => self.idle.shared.lock().unwrap_or_else(|e| e.into_inner()).pop()?,
            };
            self.idle.uncount(&k.conn.counted);
            if !self.idle.usable_at(&k, now) {
                continue;
            }
            let mut conn = k.conn;
            if conn.sender.ready().await.is_ok() {
                return Some(conn);
            }
        }
    }

    /// HTTP/1.1: the slot's connection, whose previous response may still be ending (`take` waits).
    /// HTTP/2: one of the slot's connections that is ready now; the others carry other streams'
    /// responses, and those no longer usable are closed.
    fn kept(&self, slot: &Slot, now: Instant) -> Option<Kept> {
        let mut kept = slot.kept.lock().unwrap_or_else(|e| e.into_inner());
        if !slot.concurrent {
            return kept.pop();
        }
        let mut i = kept.len();
        while i > 0 {
            i -= 1;
            if !self.idle.usable_at(&kept[i], now) {
                self.idle.uncount(&kept.swap_remove(i).conn.counted);
            } else if kept[i].conn.sender.is_ready() {
                return Some(kept.swap_remove(i));
            }
        }
        None
    }

    /// Keeps the connection of a response just received for the slot's next request.
    fn keep(&self, slot: &Slot, conn: Conn, now: Instant) {
        if !self.idle.admit(&conn) {
            return; // dropping the sender closes the connection once its response is done
        }
        let mut kept = slot.kept.lock().unwrap_or_else(|e| e.into_inner());
        if !slot.concurrent {
            if let Some(old) = kept.pop() {
                self.idle.uncount(&old.conn.counted);
            }
        }
        kept.push(Kept { conn, since: now });
    }

    async fn dial(&self) -> Result<Conn, String> {
        let connect_error =
            |e: &(dyn std::error::Error + 'static)| format!("client error (Connect): {}", error_chain(e));
        let mut connector = self.connector.clone();
        std::future::poll_fn(|cx| connector.poll_ready(cx)).await.map_err(|e| connect_error(&*e))?;
        let io = connector.call(self.target.clone()).await.map_err(|e| connect_error(&*e))?;
        let (sender, conn) = self.builder.handshake(io).await.map_err(|e| connect_error(&e))?;
        let counted = Arc::new(AtomicBool::new(false));
        let (idle, closed) = (Arc::downgrade(&self.idle), counted.clone());
        tokio::spawn(async move {
            let _ = conn.await;
            if let Some(idle) = idle.upgrade() {
                idle.uncount(&closed);
            }
        });
        Ok(Conn { sender, counted })
    }
}

/// Expires idle shared connections until the client is gone.
async fn expire_every(idle: Weak<Idle>, period: Duration) {
    let mut tick = tokio::time::interval(period);
    tick.tick().await;
    loop {
        tick.tick().await;
        match idle.upgrade() {
            Some(idle) => idle.expire(),
            None => return,
        }
    }
}

#[cfg(test)]
mod tests;
