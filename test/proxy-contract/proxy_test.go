package proxycontract

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRequestReachesTheAppUnchanged: method, request-target (path and query,
// percent-encoding included), body and end-to-end headers arrive as sent,
// over HTTP/1.1 and HTTP/2.
func TestRequestReachesTheAppUnchanged(t *testing.T) {
	p := startProxy(t, proxyOpts{})
	body := []byte("a body \x00\xff with binary bytes")
	for _, h2 := range []bool{false, true} {
		c := p.client(t, h2)
		for _, tc := range []struct {
			method, target string
			body           []byte
		}{
			{"GET", "/", nil},
			{"GET", "/a/b/c?x=1&y=two&y=three", nil},
			{"GET", "/enc%2Fslash/sp%20ace/%C3%A9?q=%2F%26&empty=&flag", nil},
			{"DELETE", "/items/7", nil},
			{"OPTIONS", "/opts", nil},
			{"POST", "/submit?v=1", body},
			{"PUT", "/items/7", body},
			{"PATCH", "/items/7", body},
			{"PURGE", "/cache/x", nil}, // an extension method
		} {
			req, err := http.NewRequest(tc.method, p.url(tc.target), bytes.NewReader(tc.body))
			must(t, err)
			if tc.body == nil {
				req.Body, req.ContentLength = nil, 0
			}
			req.Header.Set("X-End-To-End", "e2e-value")
			req.Header.Add("X-Multi", "one")
			req.Header.Add("X-Multi", "two")
			req.Header.Set("Content-Type", "application/x-test")
			resp, out := do(t, c, req)
			if resp.StatusCode != 200 {
				t.Fatalf("h2=%v %s %s: status %d", h2, tc.method, tc.target, resp.StatusCode)
			}
			s := seenBody(t, out)
			if s.Method != tc.method || s.URI != tc.target || s.BodySHA256 != sha256Hex(tc.body) ||
				s.Header.Get("X-End-To-End") != "e2e-value" || strings.Join(s.Header.Values("X-Multi"), ",") != "one,two" ||
				s.Header.Get("Content-Type") != "application/x-test" {
				t.Errorf("h2=%v %s %s (%d bytes): the app saw %s %s, %d bytes (sha %s…), headers %v", h2, tc.method, tc.target,
					len(tc.body), s.Method, s.URI, s.BodyLen, s.BodySHA256[:8], s.Header)
			}
		}
		// HEAD: no body comes back, the request still arrives as sent.
		req, _ := http.NewRequest("HEAD", p.url("/head?x=1"), nil)
		if resp, out := do(t, c, req); resp.StatusCode != 200 || out != "" {
			t.Errorf("h2=%v HEAD: %d with %d body bytes", h2, resp.StatusCode, len(out))
		}
		if s := p.app.lastSeen(t); s.Method != "HEAD" || s.URI != "/head?x=1" {
			t.Errorf("h2=%v HEAD: the app saw %s %s", h2, s.Method, s.URI)
		}
	}
}

// TestHostAndForwardedHeaders: the client's Host reaches the app; the
// X-Forwarded-For, X-Forwarded-Host and X-Forwarded-Proto headers describe
// this hop only (client address, the Host, https) and replace whatever the
// client sent under those names; a client's Forwarded header is dropped.
//
// images/proxy/README.md says X-Forwarded-For is "appended", but the Go
// proxy (httputil.ReverseProxy with Rewrite and SetXForwarded, which starts
// from the outbound headers that Rewrite has already cleared) replaces it:
// the app never sees a client-chosen X-Forwarded-For. This pins what the
// binary does.
func TestHostAndForwardedHeaders(t *testing.T) {
	p := startProxy(t, proxyOpts{})
	for _, tc := range []struct {
		name    string
		headers string // raw request header lines
		wantXFF string
	}{
		{"plain", "", "127.0.0.1"},
		{"client XFF", "X-Forwarded-For: 203.0.113.7\r\n", "127.0.0.1"},
		{"two XFF lines", "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-For: 198.51.100.9, 192.0.2.1\r\n", "127.0.0.1"},
		{"spoofed host and proto", "X-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: http\r\nForwarded: for=192.0.2.60;proto=http\r\n", "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, br := p.dialTLS(t)
			_, out := rawRequest(t, c, br, "GET /fwd HTTP/1.1\r\nHost: app.example.test:8443\r\n"+tc.headers+"\r\n")
			s := seenBody(t, out)
			want := map[string]string{
				"Host": "app.example.test:8443", "X-Forwarded-For": tc.wantXFF,
				"X-Forwarded-Host": "app.example.test:8443", "X-Forwarded-Proto": "https", "Forwarded": "",
			}
			got := map[string]string{
				"Host": s.Host, "X-Forwarded-For": strings.Join(s.Header.Values("X-Forwarded-For"), ", "),
				"X-Forwarded-Host":  strings.Join(s.Header.Values("X-Forwarded-Host"), ", "),
				"X-Forwarded-Proto": strings.Join(s.Header.Values("X-Forwarded-Proto"), ", "), "Forwarded": s.Header.Get("Forwarded"),
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("the app saw %s %q, want %q", k, got[k], w)
				}
			}
		})
	}
	// Over HTTP/2 the :authority is the Host.
	req, _ := http.NewRequest("GET", p.url("/fwd2"), nil)
	req.Host = "h2.example.test"
	_, out := do(t, p.client(t, true), req)
	if s := seenBody(t, out); s.Host != "h2.example.test" || s.Header.Get("X-Forwarded-Host") != "h2.example.test" ||
		s.Header.Get("X-Forwarded-Proto") != "https" || s.Header.Get("X-Forwarded-For") != "127.0.0.1" {
		t.Errorf("over h2 the app saw Host %q and %v", s.Host, s.Header)
	}
}

// TestHopByHopHeadersAreStripped, both ways, on bodyless and body-carrying
// requests: the standard hop-by-hop headers and every header named in
// Connection stay on their hop; end-to-end headers pass.
func TestHopByHopHeadersAreStripped(t *testing.T) {
	p := startProxy(t, proxyOpts{})
	hop := "Connection: keep-alive, X-Hop-A, x-hop-b\r\nX-Hop-A: 1\r\nX-Hop-B: 2\r\nKeep-Alive: timeout=5\r\n" +
		"Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\nTE: gzip\r\nUpgrade: h2c\r\n" +
		"X-End-To-End: kept\r\n"
	stripped := []string{"X-Hop-A", "X-Hop-B", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "Te", "Upgrade"}
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			c, br := p.dialTLS(t)
			reqBody := ""
			if method == "POST" {
				reqBody = "Content-Length: 4\r\n\r\nbody"
			} else {
				reqBody = "\r\n"
			}
			_, out := rawRequest(t, c, br, method+" /hop HTTP/1.1\r\nHost: localhost\r\n"+hop+reqBody)
			s := seenBody(t, out)
			for _, h := range stripped {
				if v := s.Header.Values(h); len(v) > 0 {
					t.Errorf("the app saw hop-by-hop %s: %q", h, v)
				}
			}
			if conn := strings.ToLower(s.Header.Get("Connection")); strings.Contains(conn, "hop") {
				t.Errorf("the app saw Connection: %q", conn)
			}
			if s.Header.Get("X-End-To-End") != "kept" {
				t.Errorf("end-to-end header lost: %v", s.Header)
			}

			resp, out := rawRequest(t, c, br, method+" /hop-response HTTP/1.1\r\nHost: localhost\r\n"+reqBody)
			if out != "hop" || resp.Header.Get("X-End-To-End") != "kept" {
				t.Errorf("response: %q, headers %v", out, resp.Header)
			}
			for _, h := range []string{"X-Resp-Hop", "Keep-Alive", "Proxy-Authenticate"} {
				if v := resp.Header.Values(h); len(v) > 0 {
					t.Errorf("the client got hop-by-hop %s: %q", h, v)
				}
			}
			if strings.Contains(strings.ToLower(resp.Header.Get("Connection")), "x-resp-hop") {
				t.Errorf("the client got Connection: %q", resp.Header.Get("Connection"))
			}
		})
	}
	// And over HTTP/2, where the client can send none of them, the app's
	// still do not reach it.
	resp, _ := get(t, p.client(t, true), p.url("/hop-response"))
	if resp.Header.Get("X-Resp-Hop") != "" || resp.Header.Get("Keep-Alive") != "" || resp.Header.Get("X-End-To-End") != "kept" {
		t.Errorf("h2 response headers %v", resp.Header)
	}
}

// TestUpgradeWorksBothWays: a WebSocket handshake (and any other Upgrade)
// gets the app's 101, then bytes flow both ways, the app speaking first.
func TestUpgradeWorksBothWays(t *testing.T) {
	p := startProxy(t, proxyOpts{})
	const key = "dGhlIHNhbXBsZSBub25jZQ=="
	for _, tc := range []struct{ proto, extra string }{
		{"websocket", "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n"},
		{"x-custom/1", ""},
	} {
		t.Run(tc.proto, func(t *testing.T) {
			c, br := p.dialTLS(t)
			fmt.Fprintf(c, "GET /upgrade HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: %s\r\n%s\r\n", tc.proto, tc.extra)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusSwitchingProtocols || !strings.EqualFold(resp.Header.Get("Upgrade"), tc.proto) {
				t.Fatalf("status %d, Upgrade %q", resp.StatusCode, resp.Header.Get("Upgrade"))
			}
			if tc.proto == "websocket" && resp.Header.Get("Sec-WebSocket-Accept") != wsAccept(key) {
				t.Fatalf("Sec-WebSocket-Accept %q", resp.Header.Get("Sec-WebSocket-Accept"))
			}
			hello, err := br.ReadString('\n')
			if err != nil || hello != "hello "+tc.proto+"\n" {
				t.Fatalf("app's first message %q, %v", hello, err)
			}
			big := make([]byte, 256<<10)
			_, _ = rand.Read(big)
			for _, msg := range [][]byte{[]byte("ping 1"), []byte("ping 2"), big} {
				go func() { _, _ = c.Write(msg) }()
				got := make([]byte, len(msg))
				if _, err := io.ReadFull(br, got); err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("echo of %d bytes: %v (equal %v)", len(msg), err, bytes.Equal(got, msg))
				}
			}
		})
	}
}

// TestStreamingIsNotBuffered: the first part of an SSE, chunked or
// Content-Length response reaches the client while the app still holds the
// rest; the test opens the gate only after reading it.
func TestStreamingIsNotBuffered(t *testing.T) {
	p := startProxy(t, proxyOpts{})
	for _, h2 := range []bool{false, true} {
		for _, kind := range []string{"sse", "chunked", "length"} {
			t.Run(fmt.Sprintf("%s/h2=%v", kind, h2), func(t *testing.T) {
				id := fmt.Sprintf("stream-%s-%v", kind, h2)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, "GET", p.url("/gate/"+id+"?kind="+kind), nil)
				resp, err := p.client(t, h2).Do(req)
				if err != nil {
					t.Fatalf("no response headers while the app holds the body: %v", err)
				}
				defer resp.Body.Close()
				first := make([]byte, len(firstPart))
				if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != firstPart {
					t.Fatalf("first part %q, %v (held back until the app finished?)", first, err)
				}
				p.app.release(id)
				rest, err := io.ReadAll(resp.Body)
				if err != nil || string(rest) != restPart {
					t.Fatalf("rest %q, %v", rest, err)
				}
				if kind == "sse" && resp.Header.Get("Content-Type") != "text/event-stream" {
					t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
				}
			})
		}
	}
}

// TestLargeUploadStreams: a 32 MiB request body (chunked, with a
// Content-Length, and over HTTP/2) arrives whole, and starts arriving at the
// app before the client has sent it all.
func TestLargeUploadStreams(t *testing.T) {
	p := startProxy(t, proxyOpts{})
	const size = 32 << 20
	payload := make([]byte, size)
	_, _ = rand.Read(payload)
	want := sha256Hex(payload)
	for _, tc := range []struct {
		name      string
		h2, known bool
	}{{"chunked", false, false}, {"content-length", false, true}, {"h2", true, false}} {
		t.Run(tc.name, func(t *testing.T) {
			p.app.mu.Lock()
			delete(p.app.arrived, "upload")
			p.app.mu.Unlock()
			pr, pw := io.Pipe()
			go func() {
				// 1 MiB, then wait for the app to have seen bytes: a proxy
				// that buffers the whole body deadlocks here (and fails).
				if _, err := pw.Write(payload[:1<<20]); err != nil {
					return
				}
				deadline := time.Now().Add(10 * time.Second)
				for !p.app.hasArrived("upload") {
					if time.Now().After(deadline) {
						pw.CloseWithError(fmt.Errorf("the app got no byte of the body within 10s"))
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
				_, _ = pw.Write(payload[1<<20:])
				pw.Close()
			}()
			req, _ := http.NewRequest("POST", p.url("/upload"), pr)
			if tc.known {
				req.ContentLength = size
			}
			resp, out := do(t, p.client(t, tc.h2), req)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, out)
			}
			s := seenBody(t, out)
			if s.BodyLen != size || s.BodySHA256 != want {
				t.Fatalf("the app got %d bytes (sha %s), want %d (sha %s)", s.BodyLen, s.BodySHA256, size, want)
			}
			if tc.known && s.ContentLength != size {
				t.Errorf("the app saw Content-Length %d, want %d", s.ContentLength, size)
			}
		})
	}
}

// upstreamDownBody is the whole 502 body (README "Proxying"): short, and it
// names no upstream address.
const upstreamDownBody = "502 Bad Gateway: upstream unavailable\n"

// TestUpstreamDownIs502AndRecoversAtOnce: a refused or reset connection to
// the app is a 502 with the short body, counted; once the app listens again
// the very next request succeeds, with no restart and no backoff.
func TestUpstreamDownIs502AndRecoversAtOnce(t *testing.T) {
	addr := freeAddr(t)
	p := startProxy(t, proxyOpts{upstream: "http://" + addr})
	for _, h2 := range []bool{false, true} {
		c := p.client(t, h2)
		before := p.metrics(t).value("proxy_upstream_errors_total")
		for _, method := range []string{"GET", "POST"} {
			req, _ := http.NewRequest(method, p.url("/down"), strings.NewReader("x"))
			resp, body := do(t, c, req)
			// Other headers of the error page (Cache-Control, nosniff) are
			// not part of the contract; the status, a text body and its
			// bytes are.
			if resp.StatusCode != http.StatusBadGateway || body != upstreamDownBody ||
				!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
				t.Fatalf("h2=%v %s with the app refusing: %d %q (%s)", h2, method, resp.StatusCode, body, resp.Header.Get("Content-Type"))
			}
		}
		if got := p.metrics(t).value("proxy_upstream_errors_total") - before; got != 2 {
			t.Errorf("proxy_upstream_errors_total grew by %v, want 2", got)
		}
	}

	// The app resets every connection.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", addr, err)
	}
	resets := make(chan struct{})
	go func() {
		defer close(resets)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = bufio.NewReader(c).ReadString('\n')
			_ = c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}
	}()
	if resp, body := get(t, p.client(t, false), p.url("/reset")); resp.StatusCode != http.StatusBadGateway || body != upstreamDownBody {
		t.Fatalf("with the app resetting: %d %q", resp.StatusCode, body)
	}
	ln.Close()
	<-resets

	// The app is back on the same port: the next request is served.
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", addr, err)
	}
	back := newAppOn(t, ln)
	for _, h2 := range []bool{false, true} {
		if resp, body := get(t, p.client(t, h2), p.url("/back")); resp.StatusCode != 200 || seenBody(t, body).URI != "/back" {
			t.Fatalf("h2=%v first request after the app came back: %d %q", h2, resp.StatusCode, body)
		}
	}
	_ = back
}
