package proxycontract

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestUpstreamConnectionsAreReused (README "Proxying", Upstream): a client
// connection's requests go on the upstream connections its earlier requests
// used, over HTTP/1.1 and over HTTP/2, where concurrent streams keep as many
// as they used at once; and when the client connection closes, the next
// client connection takes them before dialing.
func TestUpstreamConnectionsAreReused(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "http1", true: "h2"}[h2], func(t *testing.T) {
			p := startProxy(t, proxyOpts{})
			dialed := countDials(p)
			c := p.client(t, h2)
			for range 5 {
				if resp, _ := get(t, c, p.url("/")); resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d", resp.StatusCode)
				}
			}
			if got := dialed(); got != 1 {
				t.Errorf("5 requests one after another: %d upstream connections, want 1", got)
			}
			if h2 {
				// Four streams at once need four connections; four more find them.
				burst(t, p, c, "a", 4)
				if got := dialed(); got != 4 {
					t.Errorf("a burst of 4 streams: %d upstream connections in all, want 4", got)
				}
				burst(t, p, c, "b", 4)
				if got := dialed(); got != 4 {
					t.Errorf("a second burst of 4 streams: %d upstream connections in all, want still 4", got)
				}
			}
			c.Transport.(*http.Transport).CloseIdleConnections()
			waitFor(t, 10*time.Second, "the client connection closed at the proxy", func() bool {
				return p.metrics(t).value("proxy_open_connections") == 0
			})
			dialed = countDials(p)
			next := p.client(t, h2)
			if h2 {
				burst(t, p, next, "c", 4)
			} else {
				get(t, next, p.url("/"))
			}
			if got := dialed(); got != 0 {
				t.Errorf("a new client connection: %d new upstream connections, want 0", got)
			}
		})
	}
}

// TestHTTP2StreamsDoNotWaitForEachOthersUpstream: a stream whose response
// is still streaming keeps its upstream connection busy; another stream of
// the same client connection goes on another one at once instead of waiting
// for that response to end.
func TestHTTP2StreamsDoNotWaitForEachOthersUpstream(t *testing.T) {
	p := startProxy(t, proxyOpts{})
	c := p.client(t, true)
	get(t, c, p.url("/")) // the connection is kept: the held stream below reuses it
	held := getInBackground(c, p.url("/gate/held?kind=chunked"))
	p.app.waitArrived(t, "held")
	dialed := countDials(p)
	start := time.Now()
	resp, body := get(t, c, p.url("/beside"))
	if took := time.Since(start); resp.StatusCode != http.StatusOK || took > 5*time.Second {
		t.Errorf("a stream beside a held response: %d after %s, want 200 at once", resp.StatusCode, took)
	}
	if seen := seenBody(t, body); seen.URI != "/beside" {
		t.Errorf("the app saw %q", seen.URI)
	}
	if got := dialed(); got != 1 {
		t.Errorf("the stream beside: %d new upstream connections, want 1 (the held one is busy)", got)
	}
	p.app.release("held")
	if got := <-held; got != firstPart+restPart {
		t.Errorf("the held response: %q", truncate(got, 100))
	}
}

// countDials returns a function giving the connections to the app that
// carried their first request since countDials was called (a scrape of
// /metrics dials the app for proxy_ready, but sends no request).
func countDials(p *proxy) func() int {
	before := p.app.usedConns()
	return func() int {
		n := 0
		for c := range p.app.usedConns() {
			if !before[c] {
				n++
			}
		}
		return n
	}
}

// burst sends n concurrent requests on c that the app holds until all
// arrived.
func burst(t *testing.T, p *proxy, c *http.Client, name string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	ids := make([]string, n)
	for i := range n {
		ids[i] = name + string(rune('0'+i))
		wg.Go(func() {
			if resp, err := c.Get(p.url("/gate/" + ids[i])); err == nil {
				resp.Body.Close()
			}
		})
	}
	p.app.waitArrived(t, ids...)
	for _, id := range ids {
		p.app.release(id)
	}
	wg.Wait()
}
