package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"sync"
	"syscall"
	"time"
)

// fastTransport is a synchronous HTTP/1.1 client for the one plain-HTTP
// upstream, used for requests without a body (GET, HEAD, DELETE, ... — the
// bulk of traffic). It writes the request and reads the response on the
// handler's own goroutine over a pooled keep-alive connection.
//
// Why not only http.Transport: per request it hands the work to two more
// goroutines (writeLoop, readLoop) over channels and a select, and readLoop
// peeks for the next response with an extra read syscall. On one core that
// bookkeeping was the largest user-space cost after TLS itself
// (docs/benchmark.md). Everything else — request bodies (which must stream
// while an early response is read), Upgrade (WebSocket), Expect:
// 100-continue, https upstreams — goes to the standard Transport.
type fastTransport struct {
	fallback    *http.Transport
	dialer      *net.Dialer
	addr        string
	maxIdle     int
	idleTimeout time.Duration

	mu   sync.Mutex
	idle []*upConn // LIFO: the most recently used connection is the warmest
}

// staleCheckAfter: an idle connection older than this is probed (one
// non-blocking peek) before reuse, so that an app closing idle keep-alive
// connections (Node.js does after 5 s) does not cost a retry. Connections
// for non-idempotent requests are always probed.
const staleCheckAfter = time.Second

type upConn struct {
	conn      net.Conn
	br        *bufio.Reader
	bw        *bufio.Writer
	idleSince time.Time
}

func newFastTransport(fallback *http.Transport, addr string, maxIdle int) *fastTransport {
	return &fastTransport{
		fallback:    fallback,
		dialer:      &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second},
		addr:        addr,
		maxIdle:     maxIdle,
		idleTimeout: fallback.IdleConnTimeout,
	}
}

func (t *fastTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" || (req.Body != nil && req.Body != http.NoBody) ||
		hasHeader(req.Header, "Upgrade") || hasHeader(req.Header, "Expect") {
		return t.fallback.RoundTrip(req)
	}
	for attempt := 0; ; attempt++ {
		// Idempotent requests are resent if a reused connection turns out
		// dead; others cannot be, so their connection is probed first.
		c, reused, err := t.getConn(req.Context(), !idempotent(req.Method))
		if err != nil {
			return nil, err
		}
		resp, readAny, err := t.roundTripOn(c, req)
		if err == nil {
			return resp, nil
		}
		_ = c.conn.Close()
		// A keep-alive connection the app closed just before our request:
		// nothing came back, so an idempotent request is safely resent once.
		if reused && !readAny && attempt == 0 && idempotent(req.Method) && req.Context().Err() == nil {
			continue
		}
		return nil, err
	}
}

func idempotent(method string) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return false
}

func (t *fastTransport) roundTripOn(c *upConn, req *http.Request) (resp *http.Response, readAny bool, err error) {
	ctx := req.Context()
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Unix(1, 0)) })
	fail := func(err error) (*http.Response, bool, error) {
		stop()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, readAny, ctxErr
		}
		return nil, readAny, err
	}
	if err := writeRequest(c.bw, req); err != nil {
		return fail(err)
	}
	if err := c.bw.Flush(); err != nil {
		return fail(err)
	}
	yieldBeforeRead() // the app has not answered yet (yield.go)
	for {
		if _, err := c.br.Peek(1); err != nil {
			return fail(err)
		}
		readAny = true
		resp, err = http.ReadResponse(c.br, req)
		if err != nil {
			return fail(err)
		}
		if resp.StatusCode >= 100 && resp.StatusCode < 200 {
			if resp.StatusCode == http.StatusSwitchingProtocols {
				return fail(errors.New("unexpected 101 for a request without Upgrade"))
			}
			// 1xx informational (e.g. 103 Early Hints): hand it to
			// ReverseProxy's trace hook, which forwards it, and read on.
			if trace := httptrace.ContextClientTrace(ctx); trace != nil && trace.Got1xxResponse != nil {
				if err := trace.Got1xxResponse(resp.StatusCode, textproto.MIMEHeader(resp.Header)); err != nil {
					return fail(err)
				}
			}
			continue
		}
		break
	}
	b := &upBody{t: t, c: c, stop: stop, keep: !resp.Close && !req.Close}
	if resp.Body == http.NoBody || resp.ContentLength == 0 {
		b.release(true)
		resp.Body = http.NoBody
		return resp, readAny, nil
	}
	b.rc = resp.Body
	resp.Body = b
	return resp, readAny, nil
}

// upBody returns the connection to the pool once the body was read to EOF,
// and closes it if the reader stops early or anything fails.
type upBody struct {
	t    *fastTransport
	c    *upConn
	rc   io.ReadCloser
	stop func() bool
	keep bool
	done bool
}

func (b *upBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.release(true)
	} else if err != nil {
		b.release(false)
	}
	return n, err
}

func (b *upBody) Close() error {
	if !b.done {
		b.release(false)
	}
	return nil
}

func (b *upBody) release(reuse bool) {
	b.done = true
	// stop reports false if the request context already fired and set a
	// deadline on the connection: that connection is not reusable.
	if !b.stop() || !reuse || !b.keep {
		_ = b.c.conn.Close()
		return
	}
	b.t.putConn(b.c)
}

func (t *fastTransport) getConn(ctx context.Context, probe bool) (*upConn, bool, error) {
	now := time.Now()
	for {
		t.mu.Lock()
		n := len(t.idle)
		if n == 0 {
			t.mu.Unlock()
			break
		}
		c := t.idle[n-1]
		t.idle[n-1] = nil
		t.idle = t.idle[:n-1]
		t.mu.Unlock()
		age := now.Sub(c.idleSince)
		if age > t.idleTimeout || ((probe || age > staleCheckAfter) && !alive(c.conn)) {
			_ = c.conn.Close()
			continue
		}
		return c, true, nil
	}
	conn, err := t.dialer.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, false, err
	}
	return &upConn{conn: conn, br: bufio.NewReaderSize(conn, 16<<10), bw: bufio.NewWriterSize(conn, 8<<10)}, false, nil
}

func (t *fastTransport) putConn(c *upConn) {
	if c.br.Buffered() > 0 { // the app sent more than one response: not ours to keep
		_ = c.conn.Close()
		return
	}
	c.idleSince = time.Now()
	t.mu.Lock()
	var evict *upConn
	if len(t.idle) >= t.maxIdle {
		evict = t.idle[0]
		copy(t.idle, t.idle[1:])
		t.idle = t.idle[:len(t.idle)-1]
	}
	t.idle = append(t.idle, c)
	t.mu.Unlock()
	if evict != nil {
		_ = evict.conn.Close()
	}
}

// CloseIdleConnections closes pooled connections (both pools).
func (t *fastTransport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	t.mu.Unlock()
	for _, c := range idle {
		_ = c.conn.Close()
	}
	t.fallback.CloseIdleConnections()
}

// alive peeks at an idle connection without blocking: EOF or unexpected
// bytes (say, a 408 the app sent before closing) mean it is unusable.
func alive(conn net.Conn) bool {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	ok = false
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		// nil error means EOF (n == 0) or stray bytes (n > 0): both dead.
		_, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		ok = rerr == syscall.EAGAIN || rerr == syscall.EWOULDBLOCK
		return true
	})
	return err == nil && ok
}
