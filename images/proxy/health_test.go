package main

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }

func mustConfig(t testing.TB, args ...string) *Config {
	t.Helper()
	cfg, err := ParseConfig(args, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestHealthzAndReadyzOverAdminTLS(t *testing.T) {
	h := startProxy(t, harnessOpts{})
	c := h.client(false)
	if code, body, _ := h.get(c, h.adminURL+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz %d %q", code, body)
	}
	if code, body, _ := h.get(c, h.adminURL+"/readyz"); code != 200 || body != "ready\n" {
		t.Fatalf("/readyz %d %q", code, body)
	}
	if !strings.HasPrefix(h.adminURL, "https://") {
		t.Fatal("admin should be HTTPS by default")
	}
}

func TestAdminPlainHTTP(t *testing.T) {
	h := startProxy(t, harnessOpts{args: []string{"--admin-tls=false"}})
	resp, err := http.Get(h.adminURL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS != nil {
		t.Fatalf("plain admin: %d tls=%v", resp.StatusCode, resp.TLS != nil)
	}
}

func TestReadyzFailsWhileUpstreamUnreachable(t *testing.T) {
	addr := freePort(t)
	h := startProxy(t, harnessOpts{upstream: "http://" + addr})
	c := h.client(false)
	code, body, _ := h.get(c, h.adminURL+"/readyz")
	if code != 503 || !strings.Contains(body, "upstream unreachable") {
		t.Fatalf("/readyz with app down: %d %q", code, body)
	}
	// /healthz only says the process lives.
	if code, _, _ := h.get(c, h.adminURL+"/healthz"); code != 200 {
		t.Fatalf("/healthz = %d with app down", code)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port taken meanwhile: %v", err)
	}
	defer ln.Close()
	// The dial result is cached for ~1s; readiness follows within that.
	waitFor(t, 3*time.Second, "ready after app start", func() bool {
		code, _, _ := h.get(c, h.adminURL+"/readyz")
		return code == 200
	})
}

func TestReadyzFailsWithoutValidCert(t *testing.T) {
	ca := newTestCA(t, "test-ca")
	c, k, _ := ca.issue(t, "localhost", leafOpts{notBefore: time.Now().Add(-2 * time.Hour), notAfter: time.Now().Add(-time.Hour)})
	h := startProxy(t, harnessOpts{ca: ca, files: tlsFiles(c, k, nil)})
	client := h.client(false)
	client.Transport.(*http.Transport).TLSClientConfig.InsecureSkipVerify = true // the served cert is expired
	code, body, _ := h.get(client, h.adminURL+"/readyz")
	if code != 503 || !strings.Contains(body, "expired") {
		t.Fatalf("/readyz with expired cert: %d %q", code, body)
	}
	// A valid replacement makes it ready.
	c2, k2, _ := ca.issue(t, "localhost", leafOpts{})
	kubeletWrite(t, h.dir, tlsFiles(c2, k2, nil))
	waitFor(t, 5*time.Second, "ready after valid cert", func() bool {
		code, _, _ := h.get(client, h.adminURL+"/readyz")
		return code == 200
	})
}

func TestReadyzFailsWhileDraining(t *testing.T) {
	h := startProxy(t, harnessOpts{args: []string{"--drain-delay=30s"}})
	c := h.client(false)
	if code, _, _ := h.get(c, h.adminURL+"/readyz"); code != 200 {
		t.Fatal("not ready before drain")
	}
	h.cancel() // SIGTERM
	waitFor(t, 5*time.Second, "readyz draining", func() bool {
		code, body, _ := h.get(c, h.adminURL+"/readyz")
		return code == 503 && strings.Contains(body, "draining")
	})
	// During the drain delay the proxy still serves traffic.
	if code, _, _ := h.get(c, h.url+"/still"); code != 200 {
		t.Fatalf("request during drain delay = %d", code)
	}
	if v, _ := metricValue(h.metrics(), "proxy_ready"); v != "0" {
		t.Fatalf("proxy_ready = %q during drain", v)
	}
	// A second signal ends the delay; Serve returns promptly.
	h.srv.Hurry()
	if err := h.stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
}

func goVersion() string { return runtime.Version() }

func TestMetricsExposition(t *testing.T) {
	h := startProxy(t, harnessOpts{})
	c := h.client(false)
	for range 5 {
		h.get(c, h.url+"/")
	}
	// One failed handshake: plain TCP connect and close.
	conn, err := net.Dial("tcp", h.srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()

	var m string
	// The client has its response before the proxy's accounting of the request is done: wait for both.
	waitFor(t, 5*time.Second, "handshake error and the last request counted", func() bool {
		m = h.metrics()
		errs, _ := metricValue(m, "proxy_tls_handshake_errors_total")
		inflight, _ := metricValue(m, "proxy_inflight_requests")
		return errs == "1" && inflight == "0"
	})
	leaf := h.srv.certs.Current().Leaf
	want := map[string]string{
		`proxy_requests_total{code="200"}`:                   "5",
		`proxy_request_duration_seconds_count`:               "5",
		`proxy_request_duration_seconds_bucket{le="+Inf"}`:   "5",
		`proxy_upstream_errors_total`:                        "0",
		`proxy_cert_reloads_total{result="success"}`:         "1",
		`proxy_cert_reloads_total{result="failure"}`:         "0",
		`proxy_cert_expiry_timestamp_seconds`:                strconv.FormatInt(leaf.NotAfter.Unix(), 10),
		`proxy_inflight_requests`:                            "0",
		`proxy_ready`:                                        "1",
		`proxy_request_duration_seconds_bucket{le="0.0005"}`: "",
		`proxy_accepted_connections_total`:                   "2",
		`proxy_build_info{go_version="` + goVersion() + `"}`: "1",
	}
	for series, v := range want {
		got, ok := metricValue(m, series)
		if !ok || (v != "" && got != v) {
			t.Errorf("%s = %q (present %v), want %q", series, got, ok, v)
		}
	}
	for _, typ := range []string{
		"# TYPE proxy_requests_total counter",
		"# TYPE proxy_request_duration_seconds histogram",
		"# TYPE proxy_cert_expiry_timestamp_seconds gauge",
	} {
		if !strings.Contains(m, typ) {
			t.Errorf("missing %q", typ)
		}
	}
	if _, ok := metricValue(m, "process_resident_memory_bytes"); !ok {
		t.Error("missing process_resident_memory_bytes")
	}
}
