package proxycontract

import (
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// responseTimeoutBody is the whole body of a 504 (README "Proxying").
const responseTimeoutBody = "504 Gateway Timeout: the upstream did not answer in time\n"

// TestUpstreamResponseTimeout: with --upstream-response-timeout, an app
// that has not sent its response's head in time gets the client a 504 with
// the short body, counted in proxy_upstream_errors_total, over HTTP/1.1 and
// HTTP/2; a response whose head came in time may stream its body for longer;
// the default is no timeout.
func TestUpstreamResponseTimeout(t *testing.T) {
	p := startProxy(t, proxyOpts{args: []string{"--upstream-response-timeout=400ms"}})
	for _, h2 := range []bool{false, true} {
		before := p.metrics(t).value("proxy_upstream_errors_total")
		id := map[bool]string{false: "h1", true: "h2"}[h2]
		start := time.Now()
		resp, body := get(t, p.client(t, h2), p.url("/gate/"+id))
		took := time.Since(start)
		p.app.release(id)
		if resp.StatusCode != http.StatusGatewayTimeout || body != responseTimeoutBody {
			t.Errorf("h2=%v: a held response: %d %q, want 504", h2, resp.StatusCode, body)
		}
		if took < 400*time.Millisecond || took > 3*time.Second {
			t.Errorf("h2=%v: the 504 came after %s, want about 400ms", h2, took)
		}
		if got := p.metrics(t).value("proxy_upstream_errors_total") - before; got != 1 {
			t.Errorf("h2=%v: proxy_upstream_errors_total grew by %v, want 1", h2, got)
		}
	}
	// The head in time, the rest of the body after the timeout: served whole.
	done := getInBackground(p.client(t, false), p.url("/gate/slow-body?kind=chunked"))
	p.app.waitArrived(t, "slow-body")
	time.Sleep(700 * time.Millisecond)
	p.app.release("slow-body")
	if got := <-done; got != firstPart+restPart {
		t.Errorf("a slow body after a timely head: %q", truncate(got, 100))
	}

	// Default: no response timeout (a response held 1.5 s is still served).
	q := startProxy(t, proxyOpts{})
	if code := heldFor(t, q, "held", 1500*time.Millisecond); code != http.StatusOK {
		t.Errorf("default, a response held 1.5s: %d", code)
	}
}

// heldFor sends GET /gate/<id>, has the app hold it for d after it arrived,
// and returns the status the client got.
func heldFor(t *testing.T, p *proxy, id string, d time.Duration) int {
	t.Helper()
	code := make(chan int, 1)
	go func() {
		resp, err := p.client(t, false).Get(p.url("/gate/" + id))
		if err != nil {
			code <- 0
			return
		}
		resp.Body.Close()
		code <- resp.StatusCode
	}()
	p.app.waitArrived(t, id)
	select {
	case c := <-code:
		return c
	case <-time.After(d):
	}
	p.app.release(id)
	return <-code
}

// fullBacklogListener is a 127.0.0.1 listener that never accepts, with a
// listen backlog of 0 filled by connections of its own: further SYNs are
// dropped, so a connection to it neither succeeds nor is refused.
func fullBacklogListener(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	must(t, err)
	t.Cleanup(func() { syscall.Close(fd) })
	must(t, syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	must(t, syscall.Listen(fd, 0))
	sa, err := syscall.Getsockname(fd)
	must(t, err)
	addr := (&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sa.(*syscall.SockaddrInet4).Port}).String()
	for range 8 {
		c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
		if err != nil {
			return addr // this SYN went unanswered: the backlog is full
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Fatalf("the backlog of %s did not fill", addr)
	return ""
}

// TestUpstreamConnectTimeout: an app whose port answers no SYN gets the
// client a 502 (as for an app that refuses) at --upstream-connect-timeout;
// the default (5s) waits longer than that.
func TestUpstreamConnectTimeout(t *testing.T) {
	addr := fullBacklogListener(t)
	p := startProxy(t, proxyOpts{upstream: "http://" + addr, args: []string{"--upstream-connect-timeout=500ms"}})
	for _, h2 := range []bool{false, true} {
		start := time.Now()
		resp, body := get(t, p.client(t, h2), p.url("/connect"))
		took := time.Since(start)
		if resp.StatusCode != http.StatusBadGateway || body != upstreamDownBody {
			t.Errorf("h2=%v: %d %q, want 502", h2, resp.StatusCode, body)
		}
		if took < 500*time.Millisecond || took > 3*time.Second {
			t.Errorf("h2=%v: the 502 came after %s, want about 500ms", h2, took)
		}
	}
	q := startProxy(t, proxyOpts{upstream: "http://" + addr})
	start := time.Now()
	resp, _ := get(t, q.client(t, false), q.url("/connect"))
	if took := time.Since(start); resp.StatusCode != http.StatusBadGateway || took < 4*time.Second || took > 9*time.Second {
		t.Errorf("default connect timeout: %d after %s, want 502 after about 5s", resp.StatusCode, took)
	}
}
