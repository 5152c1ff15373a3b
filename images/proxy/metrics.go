package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

// Metrics are plain atomics rendered in the Prometheus text exposition format
// (version 0.0.4). A dozen series do not justify client_golang, which would
// add ~2 MB to a ~6 MB static binary and a per-request map lookup on the hot
// path; the text format is small and stable.
type Metrics struct {
	requests    [600]atomic.Uint64 // by status code; index 0 = other
	durBuckets  [len(durationBuckets) + 1]atomic.Uint64
	durSumNanos atomic.Uint64
	durCount    atomic.Uint64

	upstreamErrors      atomic.Uint64
	clientCanceled      atomic.Uint64
	tlsHandshakeErrors  atomic.Uint64
	certReloadSuccess   atomic.Uint64
	certReloadFailure   atomic.Uint64
	certExpiry          atomic.Int64
	inflight            atomic.Int64
	openConns           atomic.Int64
	acceptedConns       atomic.Uint64
	ready               atomic.Int64
	upgradedConnections atomic.Int64
}

// Upper bounds of the latency histogram, in seconds.
var durationBuckets = [...]float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

var durationBucketNanos = func() (n [len(durationBuckets)]int64) {
	for i, b := range durationBuckets {
		n[i] = int64(b * 1e9)
	}
	return n
}()

func (m *Metrics) observe(code int, d time.Duration) {
	if code < 100 || code >= len(m.requests) {
		code = 0
	}
	m.requests[code].Add(1)
	i := 0
	for i < len(durationBucketNanos) && int64(d) > durationBucketNanos[i] {
		i++
	}
	m.durBuckets[i].Add(1)
	if d > 0 {
		m.durSumNanos.Add(uint64(d))
	}
	m.durCount.Add(1)
}

func (m *Metrics) certReloads(ok bool) {
	if ok {
		m.certReloadSuccess.Add(1)
	} else {
		m.certReloadFailure.Add(1)
	}
}

func (m *Metrics) setCertExpiry(t time.Time) { m.certExpiry.Store(t.Unix()) }

// ServeHTTP renders all series.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	var buf bytes.Buffer
	m.WriteTo(&buf)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}

// WriteTo writes the exposition text.
func (m *Metrics) WriteTo(out io.Writer) (int64, error) {
	w := bufio.NewWriter(out)
	head := func(name, typ, help string) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}

	head("proxy_requests_total", "counter", "Proxied requests by HTTP status code (code=\"other\" for out-of-range codes).")
	for code := range m.requests {
		if n := m.requests[code].Load(); n > 0 {
			label := strconv.Itoa(code)
			if code == 0 {
				label = "other"
			}
			fmt.Fprintf(w, "proxy_requests_total{code=%q} %d\n", label, n)
		}
	}

	head("proxy_request_duration_seconds", "histogram", "Time from request headers read to handler return.")
	var cum uint64
	for i, b := range durationBuckets {
		cum += m.durBuckets[i].Load()
		fmt.Fprintf(w, "proxy_request_duration_seconds_bucket{le=%q} %d\n", formatFloat(b), cum)
	}
	cum += m.durBuckets[len(durationBuckets)].Load()
	fmt.Fprintf(w, "proxy_request_duration_seconds_bucket{le=\"+Inf\"} %d\n", cum)
	fmt.Fprintf(w, "proxy_request_duration_seconds_sum %s\n", formatFloat(float64(m.durSumNanos.Load())/1e9))
	fmt.Fprintf(w, "proxy_request_duration_seconds_count %d\n", m.durCount.Load())

	counter := func(name, help string, v uint64) {
		head(name, "counter", help)
		fmt.Fprintf(w, "%s %d\n", name, v)
	}
	gauge := func(name, help string, v int64) {
		head(name, "gauge", help)
		fmt.Fprintf(w, "%s %d\n", name, v)
	}
	counter("proxy_upstream_errors_total", "Requests answered 502 because the upstream failed (refused, reset, timed out).", m.upstreamErrors.Load())
	counter("proxy_client_canceled_total", "Requests whose client went away before the upstream answered.", m.clientCanceled.Load())
	counter("proxy_tls_handshake_errors_total", "Client connections closed without a completed TLS handshake.", m.tlsHandshakeErrors.Load())
	head("proxy_cert_reloads_total", "counter", "Certificate loads, by result; a failed reload keeps the previous certificate.")
	fmt.Fprintf(w, "proxy_cert_reloads_total{result=\"success\"} %d\n", m.certReloadSuccess.Load())
	fmt.Fprintf(w, "proxy_cert_reloads_total{result=\"failure\"} %d\n", m.certReloadFailure.Load())
	gauge("proxy_cert_expiry_timestamp_seconds", "NotAfter of the served certificate, Unix seconds.", m.certExpiry.Load())
	gauge("proxy_inflight_requests", "Requests being proxied, upgraded connections included.", m.inflight.Load())
	gauge("proxy_upgraded_connections", "Upgraded (e.g. WebSocket) connections open.", m.upgradedConnections.Load())
	gauge("proxy_open_connections", "Client connections open on the proxy listener.", m.openConns.Load())
	counter("proxy_accepted_connections_total", "Client connections accepted on the proxy listener.", m.acceptedConns.Load())
	gauge("proxy_ready", "1 when /readyz succeeds.", m.ready.Load())

	gauge("go_goroutines", "Number of goroutines that currently exist.", int64(runtime.NumGoroutine()))
	if rss, ok := residentBytes(); ok {
		gauge("process_resident_memory_bytes", "Resident memory size in bytes.", rss)
	}
	head("proxy_build_info", "gauge", "Build information.")
	fmt.Fprintf(w, "proxy_build_info{go_version=%q} 1\n", runtime.Version())
	return 0, w.Flush()
}

func formatFloat(f float64) string {
	if math.IsInf(f, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// residentBytes reads the RSS from /proc/self/statm (Linux only).
func residentBytes() (int64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * int64(os.Getpagesize()), true
}
