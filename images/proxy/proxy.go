package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// upstreamDownBody is the whole 502 body: short, and says nothing about the
// upstream's address.
const upstreamDownBody = "502 Bad Gateway: upstream unavailable\n"

// newTransport is the pool to the upstream. Go's default keeps only 2 idle
// connections per host, which under load turns most requests into new
// upstream connections and TIME_WAIT sockets.
func newTransport(cfg *Config) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 nil, // never send sidecar traffic through HTTP_PROXY
		DialContext:           d.DialContext,
		MaxIdleConns:          cfg.UpstreamMaxIdleConns,
		MaxIdleConnsPerHost:   cfg.UpstreamMaxIdleConns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
		DisableCompression:    true, // pass Accept-Encoding through untouched
		ForceAttemptHTTP2:     false,
		WriteBufferSize:       32 << 10,
		ReadBufferSize:        32 << 10,
	}
}

// bufferPool recycles ReverseProxy's 32 KiB copy buffers. It pools array
// pointers: converting the slice back to one is free, where putting &buf
// (a *[]byte) allocated on every response.
type bufferPool struct{ p sync.Pool }

const copyBufSize = 32 << 10

func (b *bufferPool) Get() []byte {
	if v, ok := b.p.Get().(*[copyBufSize]byte); ok {
		return v[:]
	}
	return make([]byte, copyBufSize)
}

func (b *bufferPool) Put(buf []byte) {
	if cap(buf) >= copyBufSize {
		b.p.Put((*[copyBufSize]byte)(buf[:copyBufSize]))
	}
}

// newReverseProxy forwards to target, keeping the client's Host and adding
// X-Forwarded-For/-Host/-Proto, and X-Forwarded-Client-Cert (clientcert.go). ReverseProxy itself strips hop-by-hop
// headers and handles Upgrade (WebSocket) by hijacking.
//
// Flushing: every chunk read from the upstream is written to the client at
// once (statusRecorder.Write flushes), which is what FlushInterval -1
// promises. We do not set -1 itself: for every response it arms a zero-delay
// timer whose goroutine flushes the headers on their own, costing a
// goroutine, an extra TLS record and an extra write syscall per request
// (measured: 3 writes per request instead of 2, about -25% req/s; see
// docs/benchmark.md). ReverseProxy still switches to -1 by itself for
// text/event-stream and unknown-length (chunked) responses, so SSE headers
// go out before the first event.
func newReverseProxy(target *url.URL, transport http.RoundTripper, m *Metrics, log *slog.Logger) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
			r.SetXForwarded()
			setClientCert(r.In, r.Out.Header)
		},
		Transport:     transport,
		FlushInterval: 0,
		BufferPool:    &bufferPool{},
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
				// The client left; nobody reads a response.
				m.clientCanceled.Add(1)
				log.Debug("client canceled", "path", r.URL.Path, "error", err.Error())
				w.WriteHeader(499)
				return
			}
			m.upstreamErrors.Add(1)
			log.Warn("upstream error", "method", r.Method, "path", r.URL.Path, "error", err.Error())
			h := w.Header()
			h.Set("Content-Type", "text/plain; charset=utf-8")
			h.Set("Cache-Control", "no-store")
			h.Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte(upstreamDownBody))
		},
	}
}

// statusRecorder captures the status code for metrics and the access log.
// Unwrap lets http.ResponseController reach Flush and Hijack underneath.
type statusRecorder struct {
	http.ResponseWriter
	code    int
	written int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 && code >= 200 || code == http.StatusSwitchingProtocols {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Write passes the chunk on and flushes it: nothing waits in a buffer for
// more upstream data (see newReverseProxy).
func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.written += int64(n)
	if err == nil {
		s.Flush()
	}
	return n, err
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

var recorderPool = sync.Pool{New: func() any { return new(statusRecorder) }}

// instrument counts, times and optionally logs every request, and tracks the
// in-flight count that graceful shutdown waits on (Server.Shutdown does not
// wait for hijacked connections; this does).
type instrument struct {
	next      http.Handler
	m         *Metrics
	log       *slog.Logger
	accessLog bool
	wg        sync.WaitGroup
	// closeConns: answer with Connection: close (an early drain, see drain.go)
	closeConns atomic.Bool
}

func (in *instrument) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	in.wg.Add(1)
	defer in.wg.Done()
	in.m.inflight.Add(1)
	start := time.Now()
	rec := recorderPool.Get().(*statusRecorder)
	rec.ResponseWriter, rec.code, rec.written = w, 0, 0
	upgrade := hasHeader(r.Header, "Upgrade")
	if upgrade {
		in.m.upgradedConnections.Add(1)
	}

	if in.closeConns.Load() && !upgrade {
		// An early drain (GET /drain): this connection's client is asked to go elsewhere after this response
		// (HTTP/1.1 closes it, HTTP/2 sends GOAWAY). Unlike SetKeepAlivesEnabled(false), idle connections are not
		// closed under a client that may be sending on them right now.
		w.Header().Set("Connection", "close")
	}
	in.next.ServeHTTP(rec, r)

	if upgrade {
		in.m.upgradedConnections.Add(-1)
	}
	d := time.Since(start)
	code := rec.code
	if code == 0 {
		// ReverseProxy writes a successful 101 straight to the hijacked conn.
		code = http.StatusOK
		if upgrade {
			code = http.StatusSwitchingProtocols
		}
	}
	in.m.inflight.Add(-1)
	in.m.observe(code, d)
	if in.accessLog {
		in.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("remote", r.RemoteAddr),
			slog.String("proto", r.Proto),
			slog.String("method", r.Method),
			slog.String("host", r.Host),
			slog.String("path", r.URL.Path),
			slog.Int("status", code),
			slog.Int64("bytes", rec.written),
			slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		)
	}
	rec.ResponseWriter = nil
	recorderPool.Put(rec)
}

// hasHeader reports whether h has a non-empty value for key, which must be
// in canonical form. Header.Get canonicalizes its key on every call, which
// showed up in profiles; headers parsed by net/http are already canonical.
func hasHeader(h http.Header, key string) bool {
	v := h[key]
	return len(v) > 0 && v[0] != ""
}
