package main

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// upstreamProbe answers "is the app accepting connections?" with a TCP dial,
// cached so that probes and scrapes cost at most one dial per ttl.
type upstreamProbe struct {
	addr    string
	ttl     time.Duration
	timeout time.Duration

	mu      sync.Mutex
	checked time.Time
	err     error
}

func newUpstreamProbe(u *url.URL) *upstreamProbe {
	return &upstreamProbe{addr: upstreamDialAddr(u), ttl: time.Second, timeout: 500 * time.Millisecond}
}

func upstreamDialAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

func (p *upstreamProbe) check(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.checked.IsZero() && time.Since(p.checked) < p.ttl {
		return p.err
	}
	d := net.Dialer{Timeout: p.timeout}
	c, err := d.DialContext(ctx, "tcp", p.addr)
	if err == nil {
		_ = c.Close()
	}
	p.err, p.checked = err, time.Now()
	return err
}

// Health serves /healthz (the process lives) and /readyz (a valid cert is
// loaded, the upstream accepts connections, and we are not draining).
type Health struct {
	certs    *CertStore
	upstream *upstreamProbe
	metrics  *Metrics
	draining atomic.Bool
}

func (h *Health) ready(ctx context.Context) (bool, string) {
	if h.draining.Load() {
		return false, "draining"
	}
	if ok, why := h.certs.Valid(); !ok {
		return false, why
	}
	if err := h.upstream.check(ctx); err != nil {
		return false, "upstream unreachable: " + err.Error()
	}
	return true, ""
}

func (h *Health) serveReady(w http.ResponseWriter, r *http.Request) {
	ok, why := h.ready(r.Context())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		h.metrics.ready.Store(0)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready: " + why + "\n"))
		return
	}
	h.metrics.ready.Store(1)
	_, _ = w.Write([]byte("ready\n"))
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func serveHealthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

func (h *Health) adminMux(m *Metrics) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", serveHealthz)
	mux.HandleFunc("GET /readyz", h.serveReady)
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		ok, _ := h.ready(r.Context())
		m.ready.Store(boolInt(ok))
		m.ServeHTTP(w, r)
	})
	return mux
}
