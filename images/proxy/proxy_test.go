package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestProxyPreservesHostAndSetsForwardedHeaders(t *testing.T) {
	h := startProxy(t, harnessOpts{})
	req, _ := http.NewRequest("GET", h.url+"/some/path", nil)
	req.Host = "app.example.test"
	req.Header.Set("Connection", "X-Hop")
	req.Header.Set("X-Hop", "must-not-reach-upstream")
	resp, err := h.client(false).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "hello from upstream /some/path" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	for hdr, want := range map[string]string{
		"X-Seen-Host":     "app.example.test",
		"X-Seen-XFF":      "127.0.0.1",
		"X-Seen-XF-Proto": "https",
		"X-Seen-XF-Host":  "app.example.test",
		"X-Seen-Hop":      "",
		"X-Seen-Proto":    "HTTP/1.1",
	} {
		if got := resp.Header.Get(hdr); got != want {
			t.Errorf("%s = %q, want %q", hdr, got, want)
		}
	}
}

func TestHTTP2ViaALPN(t *testing.T) {
	h := startProxy(t, harnessOpts{})
	resp, err := h.client(true).Get(h.url + "/h2")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Proto != "HTTP/2.0" || resp.TLS.NegotiatedProtocol != "h2" {
		t.Fatalf("proto %s alpn %q, want HTTP/2.0 via h2", resp.Proto, resp.TLS.NegotiatedProtocol)
	}
	if resp.Header.Get("X-Seen-Proto") != "HTTP/1.1" || resp.Header.Get("X-Seen-XF-Proto") != "https" {
		t.Fatalf("upstream saw proto %q xf-proto %q", resp.Header.Get("X-Seen-Proto"), resp.Header.Get("X-Seen-XF-Proto"))
	}
	// And HTTP/1.1 still negotiates when the client offers only that.
	resp, err = h.client(false).Get(h.url + "/h1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Proto != "HTTP/1.1" {
		t.Fatalf("proto %s, want HTTP/1.1", resp.Proto)
	}
}

func TestWebSocketUpgradeThroughProxy(t *testing.T) {
	h := startProxy(t, harnessOpts{})
	conn, err := tls.Dial("tcp", h.srv.Addr().String(), h.tlsConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", key)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != wsAccept(key) {
		t.Fatalf("status %d accept %q", resp.StatusCode, resp.Header.Get("Sec-WebSocket-Accept"))
	}
	for i := range 3 {
		msg := fmt.Sprintf("ping %d", i)
		if _, err := io.WriteString(conn, msg); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(br, buf); err != nil {
			t.Fatal(err)
		}
		if string(buf) != msg {
			t.Fatalf("echo %q, want %q", buf, msg)
		}
	}
	waitFor(t, 5*time.Second, "upgraded gauge", func() bool {
		v, _ := metricValue(h.metrics(), "proxy_upgraded_connections")
		return v == "1"
	})
	conn.Close()
	waitFor(t, 5*time.Second, "101 counted after close", func() bool {
		v, _ := metricValue(h.metrics(), `proxy_requests_total{code="101"}`)
		return v == "1"
	})
}

func TestStreamingResponseIsFlushedImmediately(t *testing.T) {
	h := startProxy(t, harnessOpts{})
	for _, h2 := range []bool{false, true} {
		resp, err := h.client(h2).Get(h.url + "/stream")
		if err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(resp.Body)
		line, err := br.ReadString('\n')
		if err != nil || line != "data: event 0\n" {
			t.Fatalf("first line %q, %v", line, err)
		}
		first := time.Now()
		rest, _ := io.ReadAll(br)
		resp.Body.Close()
		if !strings.Contains(string(rest), "data: event 2") {
			t.Fatalf("stream incomplete: %q", rest)
		}
		// The upstream pauses 150ms between events. Had the proxy buffered,
		// the first event would arrive together with the last.
		if gap := time.Since(first); gap < 200*time.Millisecond {
			t.Fatalf("h2=%v: first event arrived only %s before the end: not flushed", h2, gap)
		}
	}
}

func TestUpstreamDownGives502ThenRecoversImmediately(t *testing.T) {
	addr := freePort(t)
	h := startProxy(t, harnessOpts{upstream: "http://" + addr})
	c := h.client(false)

	code, body, hdr := h.get(c, h.url+"/")
	if code != http.StatusBadGateway || body != upstreamDownBody || len(body) > 64 {
		t.Fatalf("got %d %q, want 502 with a short body", code, body)
	}
	if strings.Contains(body, addr) || hdr.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("502 body leaks upstream address or wrong type: %q %q", body, hdr.Get("Content-Type"))
	}

	// Bring the app up on the same port: the very next request succeeds.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", addr, err)
	}
	app := &http.Server{Handler: upstreamHandler()}
	go app.Serve(ln)
	t.Cleanup(func() { app.Close() })

	code, body, _ = h.get(c, h.url+"/back")
	if code != 200 || body != "hello from upstream /back" {
		t.Fatalf("after recovery got %d %q", code, body)
	}
	m := h.metrics()
	if v, _ := metricValue(m, "proxy_upstream_errors_total"); v != "1" {
		t.Fatalf("proxy_upstream_errors_total = %q, want 1", v)
	}
	if v, _ := metricValue(m, `proxy_requests_total{code="502"}`); v != "1" {
		t.Fatalf(`requests{code="502"} = %q`, v)
	}

	// App goes away again: idle pooled connections must not turn into
	// anything but a prompt 502.
	app.Close()
	code, _, _ = h.get(c, h.url+"/")
	if code != http.StatusBadGateway {
		t.Fatalf("after app stop got %d, want 502", code)
	}
}

func TestMaxHeaderBytesEnforced(t *testing.T) {
	h := startProxy(t, harnessOpts{args: []string{"--max-header-bytes=4KiB"}})
	req, _ := http.NewRequest("GET", h.url+"/", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 16<<10))
	resp, err := h.client(false).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d, want 431", resp.StatusCode)
	}
}

func TestAccessLogOptional(t *testing.T) {
	off := startProxy(t, harnessOpts{})
	off.get(off.client(false), off.url+"/quiet")
	on := startProxy(t, harnessOpts{args: []string{"--access-log"}})
	on.get(on.client(false), on.url+"/loud")
	// The line is written after the response went out: poll for it.
	waitFor(t, 5*time.Second, "access log line", func() bool {
		l := on.logs.String()
		return strings.Contains(l, `"msg":"request"`) && strings.Contains(l, `"path":"/loud"`) && strings.Contains(l, `"status":200`)
	})
	if strings.Contains(off.logs.String(), `"path":"/quiet"`) {
		t.Fatal("access log written with --access-log=false")
	}
}
