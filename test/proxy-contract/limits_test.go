package proxycontract

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMaxHeaderBytes: request headers larger than --max-header-bytes are
// answered 431 (its body is the server library's; only the status is the
// contract); smaller ones pass. Over HTTP/1.1: an HTTP/2 client learns the
// limit from SETTINGS_MAX_HEADER_LIST_SIZE and refuses to send, which is
// the client's doing. The over-limit request is sent several times: the
// proxy answers before it has read the whole head, and unless it lingers
// (reads on after its FIN) the kernel resets the connection, failing the
// client's write or dropping the 431 in about a third of the attempts.
func TestMaxHeaderBytes(t *testing.T) {
	const overAttempts = 10
	for _, tc := range []struct {
		name       string
		args       []string
		fits, over int // header bytes
	}{
		{"4KiB", []string{"--max-header-bytes=4KiB"}, 1 << 10, 16 << 10},
		{"default 32KiB", nil, 24 << 10, 64 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startProxy(t, proxyOpts{args: tc.args})
			for _, n := range []int{tc.fits, tc.over} {
				attempts := 1
				if n == tc.over {
					attempts = overAttempts
				}
				for i := range 2 * attempts {
					split := []int{1, 8}[i%2] // one big header, or several adding up
					c, br := p.dialTLS(t)
					var hdrs strings.Builder
					for i := range split {
						fmt.Fprintf(&hdrs, "X-Big-%d: %s\r\n", i, strings.Repeat("a", n/split))
					}
					resp, _ := rawRequest(t, c, br, "GET /big HTTP/1.1\r\nHost: localhost\r\n"+hdrs.String()+"\r\n")
					want := http.StatusOK
					if n == tc.over {
						want = http.StatusRequestHeaderFieldsTooLarge
					}
					if resp.StatusCode != want {
						t.Errorf("%d header bytes in %d headers: %d, want %d", n, split, resp.StatusCode, want)
					}
				}
			}
		})
	}
}

// closedAfter reads from c until it fails and reports how long after start
// the proxy closed it (whatever it wrote first, e.g. a 408, is skipped).
// A read deadline of limit means "not closed".
func closedAfter(t *testing.T, c net.Conn, start time.Time, limit time.Duration) time.Duration {
	t.Helper()
	_ = c.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the connection was still open %s later", limit)
	}
	return time.Since(start)
}

// TestReadHeaderTimeout: a connection that does not finish its request
// headers within --read-header-timeout is closed; a request whose headers
// came in time may send its body slowly.
func TestReadHeaderTimeout(t *testing.T) {
	const timeout = 500 * time.Millisecond
	p := startProxy(t, proxyOpts{args: []string{"--read-header-timeout=" + timeout.String()}})
	c, _ := p.dialTLS(t)
	if _, err := io.WriteString(c, "GET /slow-headers HTTP/1.1\r\nHost: localhost\r\nX-Partial: "); err != nil {
		t.Fatal(err)
	}
	if el := closedAfter(t, c, time.Now(), timeout+3*time.Second); el < timeout-200*time.Millisecond {
		t.Errorf("closed after %s, before --read-header-timeout=%s", el, timeout)
	}

	c, br := p.dialTLS(t)
	if _, err := io.WriteString(c, "POST /slow-body HTTP/1.1\r\nHost: localhost\r\nContent-Length: 9\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"one", "two"} {
		time.Sleep(timeout * 4 / 5)
		if _, err := io.WriteString(c, part); err != nil {
			t.Fatalf("writing the body slowly: %v", err)
		}
	}
	resp, body := rawRequest(t, c, br, "six")
	if resp.StatusCode != 200 || seenBody(t, body).BodyLen != 9 {
		t.Errorf("slow body after timely headers: %d %q", resp.StatusCode, truncate(body, 100))
	}
}

// TestIdleTimeout: a keep-alive connection idle for --idle-timeout is
// closed; until then it is reused, and a response slower than the idle
// timeout is not cut. Over HTTP/1.1 (the stdlib client cannot show when a
// server ends an idle HTTP/2 connection).
func TestIdleTimeout(t *testing.T) {
	const timeout = 500 * time.Millisecond
	p := startProxy(t, proxyOpts{args: []string{"--idle-timeout=" + timeout.String()}})
	c, br := p.dialTLS(t)
	for range 3 {
		if resp, _ := rawRequest(t, c, br, "GET /keep HTTP/1.1\r\nHost: localhost\r\n\r\n"); resp.StatusCode != 200 || resp.Close {
			t.Fatalf("keep-alive request: %d, close %v", resp.StatusCode, resp.Close)
		}
		time.Sleep(timeout / 3)
	}
	if el := closedAfter(t, c, time.Now(), timeout+3*time.Second); el < timeout-timeout/3-200*time.Millisecond {
		t.Errorf("closed %s after the last response, before --idle-timeout=%s", el, timeout)
	}

	held := hold(t, p, p.client(t, false), "slower-than-idle")
	time.Sleep(2 * timeout)
	p.app.release("slower-than-idle")
	held.wait(t, 5*time.Second)
	if held.err != nil || held.code != 200 {
		t.Errorf("a response slower than the idle timeout: %d %v", held.code, held.err)
	}
}

// TestMaxConnectionsHoldsNewOnesInTheBacklog: at --max-connections the proxy
// stops accepting. A new connection is not refused: it waits in the listen
// backlog, its handshake unanswered, and is served as soon as an open
// connection closes; the wait is counted.
func TestMaxConnectionsHoldsNewOnesInTheBacklog(t *testing.T) {
	p := startProxy(t, proxyOpts{args: []string{"--max-connections=2"}})
	first, _ := p.dialTLS(t)
	second, br := p.dialTLS(t)
	if resp, _ := rawRequest(t, second, br, "GET /open HTTP/1.1\r\nHost: localhost\r\n\r\n"); resp.StatusCode != 200 {
		t.Fatalf("within the cap: %d", resp.StatusCode)
	}
	third, err := net.DialTimeout("tcp", p.addr, 5*time.Second)
	if err != nil {
		t.Fatalf("a connection beyond the cap was refused, not held in the backlog: %v", err)
	}
	defer third.Close()
	tc := tls.Client(third, p.tlsConfig())
	handshake := make(chan error, 1)
	go func() { handshake <- tc.Handshake() }()
	select {
	case err := <-handshake:
		t.Fatalf("a third connection was served beyond --max-connections=2 (handshake: %v)", err)
	case <-time.After(700 * time.Millisecond):
	}
	m := p.metrics(t)
	if open, waits := m.value("proxy_open_connections"), m.value("proxy_connection_limit_waits_total"); open != 2 || waits < 1 {
		t.Errorf("at the cap: proxy_open_connections %v (want 2), proxy_connection_limit_waits_total %v (want >= 1)", open, waits)
	}
	first.Close()
	select {
	case err := <-handshake:
		if err != nil {
			t.Fatalf("the waiting connection's handshake, once there was room: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting connection was not served after a connection closed")
	}
	if resp, _ := rawRequest(t, tc, bufio.NewReader(tc), "GET /third HTTP/1.1\r\nHost: localhost\r\n\r\n"); resp.StatusCode != 200 {
		t.Errorf("the connection that waited: %d", resp.StatusCode)
	}
}

// TestTLSHandshakeTimeout: a client that connects and stalls in its
// handshake (nothing sent, or half a ClientHello) is closed after
// --tls-handshake-timeout, however long --read-header-timeout is.
func TestTLSHandshakeTimeout(t *testing.T) {
	const timeout = 500 * time.Millisecond
	p := startProxy(t, proxyOpts{args: []string{"--tls-handshake-timeout=" + timeout.String(), "--read-header-timeout=1m"}})
	for name, sent := range map[string][]byte{"nothing": nil, "half a ClientHello": {22, 3, 1, 0x02, 0, 1, 0, 1}} {
		c, err := net.Dial("tcp", p.addr)
		must(t, err)
		defer c.Close()
		start := time.Now()
		if _, err := c.Write(sent); err != nil {
			t.Fatal(err)
		}
		if el := closedAfter(t, c, start, timeout+3*time.Second); el < timeout-100*time.Millisecond {
			t.Errorf("%s sent: closed after %s, before --tls-handshake-timeout=%s", name, el, timeout)
		}
	}
}

// TestConnectionsWithoutARequestAreClosedAtTheHeaderTimeout: a connection
// that completes its handshake and sends no request (HTTP/1.1), or only the
// HTTP/2 preface and SETTINGS without a stream, is closed after
// --read-header-timeout, not kept for --idle-timeout.
func TestConnectionsWithoutARequestAreClosedAtTheHeaderTimeout(t *testing.T) {
	const timeout = 500 * time.Millisecond
	p := startProxy(t, proxyOpts{args: []string{"--read-header-timeout=" + timeout.String(), "--idle-timeout=1m"}})
	for _, proto := range []string{"http/1.1", "h2"} {
		cfg := p.tlsConfig()
		cfg.NextProtos = []string{proto}
		c, _ := dialWith(t, p.addr, cfg)
		start := time.Now()
		if proto == "h2" {
			// The client preface and an empty SETTINGS frame.
			if _, err := io.WriteString(c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00"); err != nil {
				t.Fatal(err)
			}
		}
		if el := closedAfter(t, c, start, timeout+3*time.Second); el < timeout-100*time.Millisecond {
			t.Errorf("%s: closed after %s, before --read-header-timeout=%s", proto, el, timeout)
		}
	}
}
