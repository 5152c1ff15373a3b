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

func TestGracefulShutdownCompletesInFlightRequest(t *testing.T) {
	h := startProxy(t, harnessOpts{args: []string{"--drain-delay=200ms", "--shutdown-timeout=10s"}})
	c := h.client(false)
	h.get(c, h.url+"/warm") // an idle keep-alive connection too

	type result struct {
		code int
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := c.Get(h.url + "/slow?d=800ms")
		if err != nil {
			res <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- result{resp.StatusCode, string(b), err}
	}()
	waitFor(t, 5*time.Second, "request in flight", func() bool {
		v, _ := metricValue(h.metrics(), "proxy_inflight_requests")
		return v == "1"
	})
	start := time.Now()
	h.cancel() // SIGTERM

	r := <-res
	if r.err != nil || r.code != 200 || r.body != "slow done" {
		t.Fatalf("in-flight request: %d %q %v", r.code, r.body, r.err)
	}
	select {
	case err := <-h.done:
		close(h.done)
		if err != nil {
			t.Fatalf("Serve returned %v", err)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("Serve did not return after the drain")
	}
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Fatalf("returned after %s, before the drain delay", el)
	}
	// The listener is closed now.
	if _, err := net.DialTimeout("tcp", h.srv.Addr().String(), time.Second); err == nil {
		t.Fatal("listener still accepting after shutdown")
	}
	if !strings.Contains(h.logs.String(), `"msg":"shutdown complete"`) || !strings.Contains(h.logs.String(), `"forced":false`) {
		t.Fatalf("no clean shutdown log: %s", h.logs.String())
	}
}

func openWebSocket(t *testing.T, h *harness) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := tls.Dial("tcp", h.srv.Addr().String(), h.tlsConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	return conn, br
}

func TestShutdownWaitsForUpgradedConnectionThenClosesIt(t *testing.T) {
	h := startProxy(t, harnessOpts{args: []string{"--shutdown-timeout=700ms"}})
	conn, br := openWebSocket(t, h)
	start := time.Now()
	h.cancel()

	// During the shutdown window the upgraded connection still works.
	time.Sleep(100 * time.Millisecond)
	io.WriteString(conn, "still here")
	buf := make([]byte, 10)
	if _, err := io.ReadFull(br, buf); err != nil || string(buf) != "still here" {
		t.Fatalf("upgraded conn during drain: %q %v", buf, err)
	}
	select {
	case err := <-h.done:
		close(h.done)
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("Serve did not return")
	}
	if el := time.Since(start); el < 700*time.Millisecond {
		t.Fatalf("Serve returned after %s, before --shutdown-timeout, while a WebSocket was open", el)
	}
	// The proxy closed it at the deadline.
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("upgraded connection still open after forced shutdown")
	}
	if !strings.Contains(h.logs.String(), `"forced":true`) {
		t.Fatal("forced shutdown not logged")
	}
}

func TestShutdownReturnsEarlyWhenUpgradedConnectionEnds(t *testing.T) {
	h := startProxy(t, harnessOpts{args: []string{"--shutdown-timeout=20s"}})
	conn, _ := openWebSocket(t, h)
	h.cancel()
	time.Sleep(100 * time.Millisecond)
	conn.Close() // the client finishes on its own
	select {
	case <-h.done:
		close(h.done)
	case <-time.After(8 * time.Second):
		t.Fatal("Serve kept waiting after the upgraded connection closed")
	}
}
