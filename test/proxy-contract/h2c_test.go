package proxycontract

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestH2CUpstream: with --upstream-protocol=h2c the proxy speaks HTTP/2 with
// prior knowledge to the app (gRPC apps), whatever the client speaks; the
// client's Host arrives as the :authority, the forwarded headers as usual.
func TestH2CUpstream(t *testing.T) {
	p := startProxy(t, proxyOpts{args: []string{"--upstream-protocol=h2c"}})
	for _, h2 := range []bool{false, true} {
		req, _ := http.NewRequest("GET", p.url("/h2c?x=1"), nil)
		req.Host = "grpc.example.test"
		resp, out := do(t, p.client(t, h2), req)
		s := seenBody(t, out)
		if resp.StatusCode != 200 || s.Proto != "HTTP/2.0" || s.URI != "/h2c?x=1" || s.Host != "grpc.example.test" ||
			s.Header.Get("X-Forwarded-Proto") != "https" || s.Header.Get("X-Forwarded-For") != "127.0.0.1" {
			t.Errorf("h2=%v: %d, the app saw %s %s Host %q, headers %v", h2, resp.StatusCode, s.Proto, s.URI, s.Host, s.Header)
		}
	}
}

// TestH2CBidirectionalStreamAndTrailers: a gRPC-shaped call through an h2c
// upstream: the response starts before the request body ends, each message
// comes back before the next is sent, TE: trailers reaches the app, and the
// app's trailers reach the client.
func TestH2CBidirectionalStreamAndTrailers(t *testing.T) {
	p := startProxy(t, proxyOpts{args: []string{"--upstream-protocol=h2c"}})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequestWithContext(ctx, "POST", p.url("/bidi"), pr)
	req.Header.Set("Te", "trailers")
	req.Header.Set("Content-Type", "application/grpc+text")
	resp, err := p.client(t, true).Do(req)
	if err != nil {
		t.Fatalf("no response headers while the request body is open: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Seen-Proto") != "HTTP/2.0" || resp.Header.Get("X-Seen-Te") != "trailers" {
		t.Fatalf("status %d, the app saw %s with TE %q", resp.StatusCode, resp.Header.Get("X-Seen-Proto"), resp.Header.Get("X-Seen-Te"))
	}
	br := bufio.NewReader(resp.Body)
	const n = 3
	for i := range n {
		if _, err := fmt.Fprintf(pw, "ping %d\n", i); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		line, err := br.ReadString('\n')
		if want := fmt.Sprintf("echo ping %d\n", i); err != nil || line != want {
			t.Fatalf("message %d came back as %q (%v), want %q", i, line, err, want)
		}
	}
	pw.Close()
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Fatalf("after the last message: %q, %v", rest, err)
	}
	if st, msg := resp.Trailer.Get("Grpc-Status"), resp.Trailer.Get("Grpc-Message"); st != "0" || msg != fmt.Sprintf("%d messages", n) {
		t.Errorf("trailers %v, want Grpc-Status 0 and Grpc-Message %q", resp.Trailer, fmt.Sprintf("%d messages", n))
	}
}
