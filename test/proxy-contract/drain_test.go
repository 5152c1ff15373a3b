package proxycontract

import (
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// heldRequest is a request the app holds at gate id, run in the background.
type heldRequest struct {
	done chan struct{}
	code int
	body string
	err  error
	at   time.Time // when it ended
}

func hold(t *testing.T, p *proxy, c *http.Client, id string) *heldRequest {
	t.Helper()
	h := &heldRequest{done: make(chan struct{})}
	go func() {
		defer close(h.done)
		defer func() { h.at = time.Now() }()
		resp, err := c.Get(p.url("/gate/" + id))
		if err != nil {
			h.err = err
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		h.code, h.body, h.err = resp.StatusCode, string(b), err
	}()
	p.app.waitArrived(t, id)
	return h
}

func (h *heldRequest) wait(t *testing.T, limit time.Duration) {
	t.Helper()
	select {
	case <-h.done:
	case <-time.After(limit):
		t.Fatalf("the held request did not end within %s", limit)
	}
}

func accepts(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
	}
	return err == nil
}

// TestDrainOnSIGTERM: /readyz fails at once while requests are still served
// (told to close their connection) for --drain-delay; then the listener
// closes; a request in flight finishes; the process exits 0.
func TestDrainOnSIGTERM(t *testing.T) {
	const drain = 2 * time.Second
	p := startProxy(t, proxyOpts{args: []string{"--drain-delay=" + drain.String(), "--shutdown-timeout=10s"}})
	keepAlive := p.client(t, false)
	get(t, keepAlive, p.url("/warm"))
	held := hold(t, p, p.client(t, false), "drain")

	start := time.Now()
	p.signal(syscall.SIGTERM)
	waitFor(t, time.Second, "/readyz failing after SIGTERM", func() bool {
		code, body := p.adminGet(t, "/readyz")
		return code == http.StatusServiceUnavailable && strings.HasPrefix(body, "not ready: ")
	})
	for name, c := range map[string]*http.Client{"keep-alive connection": keepAlive, "new connection": p.client(t, false)} {
		resp, _ := get(t, c, p.url("/during-drain"))
		if resp.StatusCode != 200 || !resp.Close {
			t.Errorf("%s during the drain delay: %d, Connection: close %v; want 200 and close", name, resp.StatusCode, resp.Close)
		}
	}
	if v := p.metrics(t).value("proxy_ready"); v != 0 {
		t.Errorf("proxy_ready = %v while draining", v)
	}
	waitFor(t, drain+3*time.Second, "the listener to close", func() bool { return !accepts(p.addr) })
	if el := time.Since(start); el < drain-200*time.Millisecond {
		t.Errorf("listener closed %s after SIGTERM, before --drain-delay=%s", el, drain)
	}
	select {
	case <-held.done:
		t.Fatalf("the in-flight request ended with the drain delay: %d %v", held.code, held.err)
	default:
	}
	p.app.release("drain")
	held.wait(t, 5*time.Second)
	if held.err != nil || held.code != 200 || held.body != "released drain" {
		t.Errorf("in-flight request: %d %q %v", held.code, held.body, held.err)
	}
	if code := p.waitExit(t, 5*time.Second); code != 0 {
		t.Errorf("exit code %d after draining", code)
	}
	p.waitLog(t, time.Second, "a clean shutdown", 1, msgIs("shutdown complete", "forced", "false"))
}

// TestShutdownTimeoutEndsWhatIsLeft: after --shutdown-timeout, a request
// still in flight and an upgraded connection are closed; until then the
// upgraded connection works. The process still exits 0.
func TestShutdownTimeoutEndsWhatIsLeft(t *testing.T) {
	const timeout = time.Second
	p := startProxy(t, proxyOpts{args: []string{"--drain-delay=0s", "--shutdown-timeout=" + timeout.String()}})
	held := hold(t, p, p.client(t, false), "forever")
	ws, br := p.dialTLS(t)
	rawUpgrade(t, ws, br)

	start := time.Now()
	p.signal(syscall.SIGTERM)
	time.Sleep(100 * time.Millisecond)
	if _, err := io.WriteString(ws, "still here"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len("still here"))
	if _, err := io.ReadFull(br, buf); err != nil || string(buf) != "still here" {
		t.Fatalf("upgraded connection during the shutdown timeout: %q %v", buf, err)
	}
	held.wait(t, timeout+5*time.Second)
	if held.err == nil && held.code == 200 {
		t.Errorf("the held request succeeded: %q", held.body)
	}
	if el := held.at.Sub(start); el < timeout-300*time.Millisecond {
		t.Errorf("the held request was cut %s after SIGTERM, before --shutdown-timeout=%s", el, timeout)
	}
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); err == nil {
		t.Error("the upgraded connection is still open after the shutdown timeout")
	}
	if code := p.waitExit(t, 5*time.Second); code != 0 {
		t.Errorf("exit code %d after a forced shutdown", code)
	}
	p.waitLog(t, time.Second, "a forced shutdown", 1, msgIs("shutdown complete", "forced", "true"))
}

// TestShutdownWaitsForAnUpgradedConnection: an open WebSocket keeps the
// process draining (up to --shutdown-timeout); when the client closes it
// the process exits at once.
func TestShutdownWaitsForAnUpgradedConnection(t *testing.T) {
	p := startProxy(t, proxyOpts{args: []string{"--drain-delay=0s", "--shutdown-timeout=20s"}})
	ws, br := p.dialTLS(t)
	rawUpgrade(t, ws, br)
	p.signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		t.Fatal("exited with an upgraded connection open")
	case <-time.After(700 * time.Millisecond):
	}
	ws.Close()
	if code := p.waitExit(t, 3*time.Second); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

// TestSecondSignalSkipsTheDrainDelay: SIGINT drains like SIGTERM; a second
// signal ends the rest of the delay.
func TestSecondSignalSkipsTheDrainDelay(t *testing.T) {
	p := startProxy(t, proxyOpts{args: []string{"--drain-delay=30s"}})
	p.signal(syscall.SIGINT)
	waitFor(t, time.Second, "/readyz failing after SIGINT", func() bool {
		code, _ := p.adminGet(t, "/readyz")
		return code == http.StatusServiceUnavailable
	})
	if resp, _ := get(t, p.client(t, false), p.url("/during-drain")); resp.StatusCode != 200 {
		t.Errorf("request during the drain delay: %d", resp.StatusCode)
	}
	p.signal(syscall.SIGTERM)
	if code := p.waitExit(t, 3*time.Second); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

// TestDrainEndpointBeforeSIGTERM: GET /drain on the admin port (the app
// container's preStop hook) starts the drain while the proxy keeps serving:
// every response carries Connection: close, /readyz keeps passing (the pod
// stays a "serving" endpoint kube-proxy can fall back to), and the answer
// comes after --drain-delay. The SIGTERM that follows does not wait for
// the drain delay again, and the listener stays open until it comes.
func TestDrainEndpointBeforeSIGTERM(t *testing.T) {
	const drain = 2 * time.Second
	p := startProxy(t, proxyOpts{args: []string{"--drain-delay=" + drain.String(), "--shutdown-timeout=5s"}})
	keepAlive := p.client(t, false)
	get(t, keepAlive, p.url("/warm"))

	start := time.Now()
	drained := make(chan int, 1)
	go func() {
		code, _ := p.adminGet(t, "/drain")
		drained <- code
	}()
	time.Sleep(200 * time.Millisecond) // the drain has begun
	if code, _ := p.adminGet(t, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz during the drain before SIGTERM: %d, want 200", code)
	}
	for name, c := range map[string]*http.Client{"keep-alive connection": keepAlive, "new connection": p.client(t, false)} {
		resp, _ := get(t, c, p.url("/during-drain"))
		if resp.StatusCode != 200 || !resp.Close {
			t.Errorf("%s during the drain: %d, Connection: close %v; want 200 and close", name, resp.StatusCode, resp.Close)
		}
	}
	select {
	case code := <-drained:
		if el := time.Since(start); el < drain-200*time.Millisecond || code != 200 {
			t.Errorf("GET /drain answered %d after %s, want 200 after --drain-delay=%s", code, el, drain)
		}
	case <-time.After(drain + 3*time.Second):
		t.Fatal("GET /drain did not answer")
	}
	if !accepts(p.addr) {
		t.Fatal("the listener closed before SIGTERM")
	}
	if code, _ := p.adminGet(t, "/drain"); code != 200 {
		t.Errorf("a second GET /drain: %d, want 200 at once", code)
	}

	term := time.Now()
	p.signal(syscall.SIGTERM)
	if code := p.waitExit(t, 5*time.Second); code != 0 {
		t.Errorf("exit code %d after draining", code)
	}
	if el := time.Since(term); el > drain-500*time.Millisecond {
		t.Errorf("exited %s after SIGTERM: the drain delay was spent again", el)
	}
}
