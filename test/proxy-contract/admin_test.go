package proxycontract

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAdminHealthzAndReadyz(t *testing.T) {
	p := startProxy(t, proxyOpts{})
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := p.adminGet(t, path); code != 200 {
			t.Errorf("%s = %d %q", path, code, body)
		}
	}
}

// TestAdminIsHTTPSWithTheProxyCertificate: by default the admin listener
// serves HTTPS with the same certificate (kubelet probes use scheme HTTPS);
// --admin-tls=false makes it plain HTTP.
func TestAdminIsHTTPSWithTheProxyCertificate(t *testing.T) {
	p := startProxy(t, proxyOpts{})
	st, err := handshake(p.adminAddr, p.tlsConfig())
	if err != nil {
		t.Fatalf("verified TLS to the admin listener: %v", err)
	}
	if !st.PeerCertificates[0].Equal(p.pair.leaf) {
		t.Errorf("admin serves %s, want the proxy's certificate", st.PeerCertificates[0].Subject)
	}
	if p.adminScheme != "https" {
		t.Errorf("admin answered over %s", p.adminScheme)
	}

	plain := startProxy(t, proxyOpts{args: []string{"--admin-tls=false"}})
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + plain.adminAddr + "/healthz")
	if err != nil {
		t.Fatalf("plain HTTP admin: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("plain HTTP /healthz = %d", resp.StatusCode)
	}
	if _, err := handshake(plain.adminAddr, plain.tlsConfig()); err == nil {
		t.Error("--admin-tls=false still speaks TLS")
	}
}

// noClientCertAsked returns a config that records whether the server sent
// a CertificateRequest.
func noClientCertAsked(cfg *tls.Config, asked *bool) *tls.Config {
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		*asked = true
		return &tls.Certificate{}, nil
	}
	return cfg
}

// TestAdminNeverAsksForAClientCertificate: kubelet has none, so even with
// --client-auth=require the admin handshake sends no CertificateRequest.
func TestAdminNeverAsksForAClientCertificate(t *testing.T) {
	ca := newCA(t, "contract-ca")
	pair := ca.server(t)
	vol := newSecretVolume(t, secretFiles(pair, ca.certPEM))
	for _, mode := range []string{"request", "require"} {
		t.Run(mode, func(t *testing.T) {
			p := startProxy(t, proxyOpts{ca: ca, pair: pair, vol: vol, args: []string{"--client-auth=" + mode}})
			for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
				var asked bool
				if _, err := handshake(p.adminAddr, noClientCertAsked(withVersions(p, v, v), &asked)); err != nil || asked {
					t.Errorf("%s: admin handshake %v, client certificate requested: %v", tls.VersionName(v), err, asked)
				}
			}
			if code, _ := p.adminGet(t, "/healthz"); code != 200 {
				t.Errorf("/healthz without a client certificate = %d", code)
			}
		})
	}
}

// wantNotReady: /readyz is 503 "not ready: <reason>" (the reason's wording
// is free), while /healthz stays 200.
func wantNotReady(t *testing.T, p *proxy, why string) {
	t.Helper()
	code, body := p.adminGet(t, "/readyz")
	if code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "not ready: ") {
		t.Errorf("%s: /readyz = %d %q, want 503 \"not ready: ...\"", why, code, body)
	}
	if code, _ := p.adminGet(t, "/healthz"); code != 200 {
		t.Errorf("%s: /healthz = %d, want 200 (liveness)", why, code)
	}
}

func (p *proxy) waitReady(t *testing.T, limit time.Duration) {
	t.Helper()
	waitFor(t, limit, "/readyz 200", func() bool {
		code, _ := p.adminGet(t, "/readyz")
		return code == 200
	})
}

// TestReadyzNeedsTheUpstream: ready needs a TCP connection to the app to
// succeed; readiness follows the app within a few seconds (cached ~1s).
func TestReadyzNeedsTheUpstream(t *testing.T) {
	addr := freeAddr(t)
	p := startProxy(t, proxyOpts{upstream: "http://" + addr})
	wantNotReady(t, p, "app down")
	if v := p.metrics(t).value("proxy_ready"); v != 0 {
		t.Errorf("proxy_ready = %v with the app down", v)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", addr, err)
	}
	newAppOn(t, ln)
	p.waitReady(t, 5*time.Second)
}

// TestReadyzNeedsACertificateInsideItsValidity: an expired or not yet valid
// certificate starts (and serves) but is not ready; a valid one swapped in
// makes it ready.
func TestReadyzNeedsACertificateInsideItsValidity(t *testing.T) {
	ca := newCA(t, "contract-ca")
	for _, tc := range []struct {
		name     string
		from, to time.Time
	}{
		{"expired", time.Now().Add(-2 * time.Hour), time.Now().Add(-time.Hour)},
		{"not yet valid", time.Now().Add(time.Hour), time.Now().Add(2 * time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startProxy(t, proxyOpts{ca: ca, pair: ca.issue(t, certSpec{notBefore: tc.from, notAfter: tc.to})})
			wantNotReady(t, p, tc.name)
			p.vol.update(t, secretFiles(ca.server(t), nil))
			p.waitReady(t, 5*time.Second)
		})
	}
}

// metricTypes is every series family the proxy exports, with its type
// (README "Metrics"). Not pinned: go_goroutines and the go_version label of
// proxy_build_info, which describe the Go runtime; a proxy in another
// language exports its own equivalents.
var metricTypes = map[string]string{
	"proxy_requests_total":                "counter",
	"proxy_request_duration_seconds":      "histogram",
	"proxy_upstream_errors_total":         "counter",
	"proxy_client_canceled_total":         "counter",
	"proxy_tls_handshake_errors_total":    "counter",
	"proxy_cert_expiry_timestamp_seconds": "gauge",
	"proxy_cert_reloads_total":            "counter",
	"proxy_inflight_requests":             "gauge",
	"proxy_upgraded_connections":          "gauge",
	"proxy_open_connections":              "gauge",
	"proxy_accepted_connections_total":    "counter",
	"proxy_max_connections":               "gauge",
	"proxy_connection_limit_waits_total":  "counter",
	"proxy_tls_handshakes_in_progress":    "gauge",
	"proxy_ready":                         "gauge",
	"process_resident_memory_bytes":       "gauge",
	"proxy_build_info":                    "gauge",
}

func TestMetricsNamesAndTypes(t *testing.T) {
	p := startProxy(t, proxyOpts{})
	get(t, p.client(t, false), p.url("/"))
	resp, body := get(t, p.adminClient(t), p.adminScheme+"://"+p.adminAddr+"/metrics")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || !strings.Contains(ct, "version=0.0.4") {
		t.Errorf("Content-Type %q, want the Prometheus text format 0.0.4", ct)
	}
	m := parseMetrics(t, body)
	for name, typ := range metricTypes {
		if m.types[name] != typ {
			t.Errorf("# TYPE %s is %q, want %q", name, m.types[name], typ)
		}
		if !m.has(name) {
			t.Errorf("no series of %s", name)
		}
	}
	for _, s := range []string{
		`proxy_requests_total{code="200"}`, `proxy_cert_reloads_total{result="success"}`, `proxy_cert_reloads_total{result="failure"}`,
		`proxy_request_duration_seconds_bucket{le="+Inf"}`, "proxy_request_duration_seconds_sum", "proxy_request_duration_seconds_count",
	} {
		if _, ok := m.values[s]; !ok {
			t.Errorf("no series %s", s)
		}
	}
}

// has reports whether any series of family name exists.
func (m metricSet) has(name string) bool {
	for s := range m.values {
		base, _, _ := strings.Cut(s, "{")
		if base == name || strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(base, "_bucket"), "_sum"), "_count") == name {
			return true
		}
	}
	return false
}

// buckets returns the histogram's buckets by upper bound, in order.
func (m metricSet) buckets(name string) (les []float64, counts []float64) {
	byLE := map[float64]float64{}
	for s, v := range m.values {
		rest, ok := strings.CutPrefix(s, name+`_bucket{le="`)
		if !ok {
			continue
		}
		le, err := strconv.ParseFloat(strings.TrimSuffix(rest, `"}`), 64)
		if err == nil {
			byLE[le] = v
		}
	}
	for le := range byLE {
		les = append(les, le)
	}
	sort.Float64s(les)
	for _, le := range les {
		counts = append(counts, byLE[le])
	}
	return les, counts
}

// TestMetricsValues: what each series says follows what a client did.
func TestMetricsValues(t *testing.T) {
	p := startProxy(t, proxyOpts{})
	m0 := p.metrics(t)
	for s, want := range map[string]float64{
		`proxy_cert_reloads_total{result="success"}`: 1, `proxy_cert_reloads_total{result="failure"}`: 0,
		"proxy_cert_expiry_timestamp_seconds": float64(p.pair.leaf.NotAfter.Unix()),
		"proxy_ready":                         1, "proxy_inflight_requests": 0, "proxy_upgraded_connections": 0,
	} {
		if got := m0.value(s); got != want {
			t.Errorf("at start %s = %v, want %v", s, got, want)
		}
	}
	if m0.value("process_resident_memory_bytes") <= 0 {
		t.Error("process_resident_memory_bytes not positive")
	}

	c := p.client(t, false)
	for range 5 {
		get(t, c, p.url("/"))
	}
	get(t, c, p.url("/status/404"))
	get(t, c, p.url("/status/503")) // the app's own 503 is not an upstream error
	// A client has its response before the proxy has counted the request: wait for the count to settle.
	var m metricSet
	waitFor(t, 5*time.Second, "the last request counted", func() bool {
		m = p.metrics(t)
		return m.value("proxy_inflight_requests") == 0 && m.value("proxy_request_duration_seconds_count")-m0.value("proxy_request_duration_seconds_count") == 7
	})
	delta := func(s string) float64 { return m.value(s) - m0.value(s) }
	for s, want := range map[string]float64{
		`proxy_requests_total{code="200"}`: 5, `proxy_requests_total{code="404"}`: 1, `proxy_requests_total{code="503"}`: 1,
		"proxy_request_duration_seconds_count": 7, "proxy_upstream_errors_total": 0,
	} {
		if got := delta(s); got != want {
			t.Errorf("%s grew by %v, want %v", s, got, want)
		}
	}
	les, counts := m.buckets("proxy_request_duration_seconds")
	if len(les) < 2 || les[0] != 0.0005 || !slices.Contains(les, 10) || !math.IsInf(les[len(les)-1], 1) {
		t.Errorf("duration buckets %v, want 0.0005 … 10 and +Inf", les)
	}
	for i := 1; i < len(counts); i++ {
		if counts[i] < counts[i-1] {
			t.Errorf("buckets not cumulative: %v", counts)
		}
	}
	if len(counts) > 0 && counts[len(counts)-1] != m.value("proxy_request_duration_seconds_count") {
		t.Errorf("+Inf bucket %v != count %v", counts[len(counts)-1], m.value("proxy_request_duration_seconds_count"))
	}
	if m.value("proxy_request_duration_seconds_sum") <= 0 {
		t.Error("duration sum not positive")
	}
	if m.value("proxy_open_connections") < 1 || delta("proxy_accepted_connections_total") < 1 {
		t.Errorf("open %v, accepted +%v with a keep-alive connection open", m.value("proxy_open_connections"), delta("proxy_accepted_connections_total"))
	}

	// Failed handshakes: a bare TCP connect and a TLS 1.1 client.
	before := m.value("proxy_tls_handshake_errors_total")
	conn, err := net.Dial("tcp", p.addr)
	must(t, err)
	conn.Close()
	_, _ = handshake(p.addr, withVersions(p, tls.VersionTLS11, tls.VersionTLS11))
	waitFor(t, 5*time.Second, "2 handshake errors counted", func() bool {
		return p.metrics(t).value("proxy_tls_handshake_errors_total")-before == 2
	})

	// In flight: a request the app holds.
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := c.Get(p.url("/gate/inflight")); err == nil {
			resp.Body.Close()
		}
	}()
	p.app.waitArrived(t, "inflight")
	if v := p.metrics(t).value("proxy_inflight_requests"); v != 1 {
		t.Errorf("proxy_inflight_requests = %v with one request held", v)
	}
	p.app.release("inflight")
	<-done
	waitFor(t, 5*time.Second, "inflight back to 0", func() bool { return p.metrics(t).value("proxy_inflight_requests") == 0 })

	// An upgraded connection, while open and after.
	before101 := p.metrics(t).value(`proxy_requests_total{code="101"}`)
	ws, br := p.dialTLS(t)
	rawUpgrade(t, ws, br)
	waitFor(t, 5*time.Second, "proxy_upgraded_connections 1", func() bool { return p.metrics(t).value("proxy_upgraded_connections") == 1 })
	ws.Close()
	waitFor(t, 5*time.Second, "upgrade ended and counted as 101", func() bool {
		m := p.metrics(t)
		return m.value("proxy_upgraded_connections") == 0 && m.value(`proxy_requests_total{code="101"}`)-before101 == 1
	})

	// A client that leaves before the app answers is not an upstream error.
	m1 := p.metrics(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", p.url("/gate/leaver"), nil)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	p.app.waitArrived(t, "leaver")
	cancel()
	waitFor(t, 5*time.Second, "client_canceled counted", func() bool {
		return p.metrics(t).value("proxy_client_canceled_total")-m1.value("proxy_client_canceled_total") == 1
	})
	if d := p.metrics(t).value("proxy_upstream_errors_total") - m1.value("proxy_upstream_errors_total"); d != 0 {
		t.Errorf("a client leaving counted %v upstream errors", d)
	}
}

// rawUpgrade does a WebSocket handshake to the app's /upgrade on c.
func rawUpgrade(t testing.TB, c net.Conn, br *bufio.Reader) {
	t.Helper()
	const key = "x3JJHMbDL1EzLkh9GBhXDw=="
	fmt.Fprintf(c, "GET /upgrade HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", key)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("upgrade: %v", err)
		}
		if strings.HasPrefix(line, "HTTP/1.1 ") && !strings.HasPrefix(line, "HTTP/1.1 101") {
			t.Fatalf("upgrade answered %q", line)
		}
		if strings.HasPrefix(line, "hello ") {
			return // the app's first message: the tunnel is up
		}
	}
}
