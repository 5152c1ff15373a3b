package proxycontract

import (
	"bufio"
	"crypto/tls"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rateLimitedBody is the whole body of a 429 (README "Limits").
const rateLimitedBody = "429 Too Many Requests: rate limit exceeded\n"

// tally sends n GETs on one keep-alive HTTP/1.1 connection from local (""
// for any address) with extra header lines, and counts the 200s and the
// 429s. Every response must be read whole on the same connection: an
// over-limit request gets its answer, never a reset. It also returns how
// long the n requests took, which bounds how many tokens could refill.
func tally(t *testing.T, p *proxy, local string, n int, extra string) (ok, limited int, took time.Duration) {
	t.Helper()
	d := &net.Dialer{Timeout: 3 * time.Second}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	cfg := p.tlsConfig()
	cfg.NextProtos = []string{"http/1.1"}
	c, err := tls.DialWithDialer(d, "tcp", p.addr, cfg)
	if err != nil {
		t.Fatalf("dial from %q: %v", local, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	start := time.Now()
	for i := range n {
		resp, body := rawRequest(t, c, br, "GET /limited HTTP/1.1\r\nHost: localhost\r\n"+extra+"\r\n")
		switch resp.StatusCode {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			limited++
			secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
			if err != nil || secs != 1 {
				t.Errorf("request %d: Retry-After %q, want 1 (seconds until the next token at 1 per second)", i, resp.Header.Get("Retry-After"))
			}
			if body != rateLimitedBody {
				t.Errorf("request %d: 429 body %q", i, body)
			}
		default:
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
	}
	return ok, limited, time.Since(start)
}

// wantServed checks that a burst of burst tokens at 1 per second served
// what it should have: the burst, plus at most one token per second the
// requests took.
func wantServed(t *testing.T, what string, ok, burst int, took time.Duration) {
	t.Helper()
	if max := burst + int(took/time.Second); ok < burst || ok > max {
		t.Errorf("%s: %d requests served in %s, want %d to %d", what, ok, took.Round(time.Millisecond), burst, max)
	}
}

// TestPodRateLimit: --rate-limit-rps/--rate-limit-burst is one token bucket
// for every client: beyond the burst, requests get 429 with Retry-After (on
// the same keep-alive connection, over HTTP/1.1 and HTTP/2), counted in
// proxy_rate_limited_requests_total{scope="pod"} and proxy_requests_total;
// a token comes back each second; the admin listener is never limited.
func TestPodRateLimit(t *testing.T) {
	p := startProxy(t, proxyOpts{args: []string{"--rate-limit-rps=1", "--rate-limit-burst=3"}})
	ok, limited, took := tally(t, p, "", 8, "")
	wantServed(t, "HTTP/1.1", ok, 3, took)

	// Another connection, over HTTP/2, shares the pod's bucket: of three requests in a row at most one
	// finds a token (one comes back each second; the three take far less).
	h2 := p.client(t, true)
	h2Limited := 0
	for range 3 {
		resp, body := get(t, h2, p.url("/limited-h2"))
		switch {
		case resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "1" && body == rateLimitedBody:
			h2Limited++
		case resp.StatusCode != http.StatusOK:
			t.Errorf("HTTP/2 after the burst: %d %q, Retry-After %q", resp.StatusCode, body, resp.Header.Get("Retry-After"))
		}
	}
	if h2Limited < 2 {
		t.Errorf("HTTP/2 after the burst: %d of 3 requests limited, want at least 2", h2Limited)
	}
	limited += h2Limited
	// Uploads refused before their body was read: the 429 arrives, the client's writes do not fail.
	uploadsLimited := 0
	for range 3 {
		req, _ := http.NewRequest("POST", p.url("/upload"), strings.NewReader(strings.Repeat("u", 1<<20)))
		switch resp, body := do(t, p.client(t, false), req); {
		case resp.StatusCode == http.StatusTooManyRequests && body == rateLimitedBody:
			uploadsLimited++
		case resp.StatusCode != http.StatusOK:
			t.Errorf("a 1 MiB upload over the limit: %d %q", resp.StatusCode, truncate(body, 100))
		}
	}
	if uploadsLimited < 2 {
		t.Errorf("uploads after the burst: %d of 3 limited, want at least 2", uploadsLimited)
	}
	limited += uploadsLimited
	for range 20 {
		if code, _ := p.adminGet(t, "/healthz"); code != http.StatusOK {
			t.Fatalf("/healthz under the rate limit: %d", code)
		}
	}
	m := p.metrics(t)
	if got := m.value(`proxy_rate_limited_requests_total{scope="pod"}`); got != float64(limited) {
		t.Errorf(`proxy_rate_limited_requests_total{scope="pod"} = %v, want %d`, got, limited)
	}
	if got := m.value(`proxy_rate_limited_requests_total{scope="client"}`); got != 0 {
		t.Errorf(`proxy_rate_limited_requests_total{scope="client"} = %v, want 0`, got)
	}
	if m.types["proxy_rate_limited_requests_total"] != "counter" {
		t.Errorf("proxy_rate_limited_requests_total has type %q", m.types["proxy_rate_limited_requests_total"])
	}
	if got := m.value(`proxy_requests_total{code="429"}`); got != float64(limited) {
		t.Errorf(`proxy_requests_total{code="429"} = %v, want %d`, got, limited)
	}

	// A second later the bucket has a token again.
	time.Sleep(1100 * time.Millisecond)
	if resp, _ := get(t, p.client(t, false), p.url("/after-a-second")); resp.StatusCode != http.StatusOK {
		t.Errorf("a second after the burst: %d, want 200", resp.StatusCode)
	}
}

// TestClientRateLimit: --client-rate-limit-rps/-burst is a bucket per TCP
// peer address: a client over its limit gets 429 whatever X-Forwarded-For
// or X-Real-IP it claims, while another address (127.0.0.2, also loopback)
// is served from its own bucket; counted under scope="client".
func TestClientRateLimit(t *testing.T) {
	p := startProxy(t, proxyOpts{args: []string{"--client-rate-limit-rps=1", "--client-rate-limit-burst=2"}})
	ok, limited, took := tally(t, p, "127.0.0.1", 5, "")
	wantServed(t, "127.0.0.1", ok, 2, took)
	spoofOK, spoofLimited, _ := tally(t, p, "127.0.0.1", 3, "X-Forwarded-For: 198.51.100.7\r\nX-Real-IP: 198.51.100.8\r\nForwarded: for=198.51.100.9\r\n")
	if spoofOK > 1 {
		t.Errorf("with spoofed address headers, %d of 3 requests were served: the limit must go by the TCP peer", spoofOK)
	}
	ok2, limited2, took2 := tally(t, p, "127.0.0.2", 4, "")
	wantServed(t, "127.0.0.2, its own bucket", ok2, 2, took2)
	m := p.metrics(t)
	want := float64(limited + spoofLimited + limited2)
	if got := m.value(`proxy_rate_limited_requests_total{scope="client"}`); got != want {
		t.Errorf(`proxy_rate_limited_requests_total{scope="client"} = %v, want %v`, got, want)
	}
	if got := m.value(`proxy_rate_limited_requests_total{scope="pod"}`); got != 0 {
		t.Errorf(`proxy_rate_limited_requests_total{scope="pod"} = %v, want 0`, got)
	}
}

// TestRateLimitsOffByDefault: without the flags, a burst of requests is all
// served and the counters read 0.
func TestRateLimitsOffByDefault(t *testing.T) {
	p := startProxy(t, proxyOpts{})
	if ok, limited, _ := tally(t, p, "", 50, ""); ok != 50 || limited != 0 {
		t.Errorf("no limit set: %d served, %d limited of 50", ok, limited)
	}
	m := p.metrics(t)
	for _, scope := range []string{"pod", "client"} {
		series := `proxy_rate_limited_requests_total{scope="` + scope + `"}`
		if v, ok := m.values[series]; !ok || v != 0 {
			t.Errorf("%s: %v (present %v), want 0", series, v, ok)
		}
	}
	if strings.Contains(m.text, `code="429"`) {
		t.Error("429s counted without a limit")
	}
}
