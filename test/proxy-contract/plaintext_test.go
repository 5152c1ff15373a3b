package proxycontract

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// plainRequest sends request over plain TCP to the TLS port and returns the
// answer, and whether the proxy then closed the connection with FIN (EOF)
// rather than a reset.
func plainRequest(t *testing.T, p *proxy, request string) (*http.Response, string, error) {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.addr, 3*time.Second)
	must(t, err)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatalf("write: %v", err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("%q: no HTTP answer: %v", request, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	must(t, err)
	_, closeErr := br.ReadByte()
	return resp, string(b), closeErr
}

// TestPlainHTTPOnTheTLSPort: a plain-HTTP request on the TLS port gets a
// 308 to the same Host (its port kept) and path over https, or a 400 with a
// clear body when it names no Host, and the connection is closed, not
// reset; TLS on the same port is unaffected, and a plain-HTTP connection
// that stalls is closed at --tls-handshake-timeout like a stalled handshake.
func TestPlainHTTPOnTheTLSPort(t *testing.T) {
	p := startProxy(t, proxyOpts{args: []string{"--tls-handshake-timeout=500ms"}})
	before := p.metrics(t).value("proxy_tls_handshake_errors_total")
	for _, tc := range []struct{ request, location string }{
		{"GET /a/b?x=1 HTTP/1.1\r\nHost: app.example.test:8443\r\n\r\n", "https://app.example.test:8443/a/b?x=1"},
		{"DELETE /items/7 HTTP/1.1\r\nHost: app.example.test\r\n\r\n", "https://app.example.test/items/7"},
		{"POST /form HTTP/1.1\r\nHost: 127.0.0.1:8443\r\nContent-Length: 5\r\n\r\nhello", "https://127.0.0.1:8443/form"},
	} {
		resp, _, closeErr := plainRequest(t, p, tc.request)
		if resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != tc.location {
			t.Errorf("%q: %d Location %q, want 308 %q", tc.request, resp.StatusCode, resp.Header.Get("Location"), tc.location)
		}
		if !errors.Is(closeErr, io.EOF) {
			t.Errorf("%q: after the answer, %v, want the connection closed (EOF)", tc.request, closeErr)
		}
	}
	resp, body, closeErr := plainRequest(t, p, "GET /x HTTP/1.0\r\n\r\n")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "HTTPS") || !strings.Contains(body, "Host") {
		t.Errorf("no Host: %d %q, want 400 saying the port speaks HTTPS and no Host was named", resp.StatusCode, body)
	}
	if errors.Is(closeErr, syscall.ECONNRESET) {
		t.Errorf("no Host: the connection was reset")
	}

	// A real browser's way: Go's client following nothing, then TLS as usual.
	c := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if r, err := c.Get("http://" + p.addr + "/page"); err != nil || r.StatusCode != http.StatusPermanentRedirect ||
		r.Header.Get("Location") != "https://"+p.addr+"/page" {
		t.Errorf("http:// GET: %v %v", r, err)
	} else {
		r.Body.Close()
	}
	if resp, _ := get(t, p.client(t, false), p.url("/tls")); resp.StatusCode != http.StatusOK {
		t.Errorf("TLS after plain HTTP: %d", resp.StatusCode)
	}

	// A plain head that never ends holds its connection only for the handshake timeout.
	sc, err := net.Dial("tcp", p.addr)
	must(t, err)
	defer sc.Close()
	start := time.Now()
	_, _ = io.WriteString(sc, "GET / HTTP/1.1\r\nHost: stall")
	if d := closedAfter(t, sc, start, 5*time.Second); d > 3*time.Second {
		t.Errorf("a stalled plain-HTTP head was closed after %s, want about 500ms", d)
	}
	// Each plain connection counts as a connection without a TLS handshake (README "Metrics").
	if got := p.metrics(t).value("proxy_tls_handshake_errors_total") - before; got != 6 {
		t.Errorf("proxy_tls_handshake_errors_total grew by %v, want 6", got)
	}
}
