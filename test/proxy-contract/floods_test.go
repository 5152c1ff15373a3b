package proxycontract

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// podMemoryLimit is the proxy container's default memory limit in the pod
// (components/podSpec.ts).
const podMemoryLimit = 64 << 20

// idleFlood is how many idle TLS connections the flood opens: at least three
// times the cap, and enough to OOM-kill a proxy without one (2,500 did).
const idleFlood = 3000

// TestFloodsInAPodSizedMemoryCgroup: the proxy with its default flags, in a
// memory cgroup at the pod's default limit, flooded at once with idle TLS
// connections (over three times its connection cap), slow request heads, large
// request heads that stall just under --max-header-bytes, handshakes that
// stall halfway, and an HTTP/2 connection opening and cancelling streams as
// fast as it can (rapid reset). It must not be OOM-killed (a proxy without a
// connection cap is, at about 2,300 idle connections); a keep-alive
// client connected before the flood is served throughout, and new
// connections wait (in the listen backlog, never refused or reset) and are
// served once the flood's connections time out. Afterwards the memory the
// flood took is given back.
func TestFloodsInAPodSizedMemoryCgroup(t *testing.T) {
	cg := newMemCgroup(t, podMemoryLimit)
	p := startProxy(t, proxyOpts{cgroup: cg.procs(), args: []string{"--log-level=info"}})
	m := p.metrics(t)
	maxConns := int(m.value("proxy_max_connections"))
	idleRSS := m.value("process_resident_memory_bytes")
	t.Logf("cap %d connections, idle RSS %.1f MiB", maxConns, idleRSS/(1<<20))
	if maxConns < 100 || maxConns > idleFlood/3 {
		t.Errorf("proxy_max_connections %d under a %d MiB limit: want it sized to the limit (100-%d)", maxConns, podMemoryLimit>>20, idleFlood/3)
	}

	keepAlive := newClient(t, p.tlsConfig(), false)
	keepAlive.Transport.(*http.Transport).MaxConnsPerHost = 1
	if resp, _ := get(t, keepAlive, p.url("/before")); resp.StatusCode != 200 {
		t.Fatalf("before the flood: %d", resp.StatusCode)
	}

	stop := make(chan struct{})
	var floods sync.WaitGroup
	flood := func(name string, f func() string) {
		floods.Add(1)
		go func() {
			defer floods.Done()
			t.Logf("%s: %s", name, f())
		}()
	}
	flood("rapid reset", func() string {
		summary, goaway := rapidReset(p, 5000)
		if goaway != "ENHANCE_YOUR_CALM" {
			t.Errorf("rapid reset: the connection was not ended with GOAWAY ENHANCE_YOUR_CALM (%s)", summary)
		}
		return summary
	})
	flood("large stalled heads", func() string { return holdConns(p, 100, stop, stalledHead(30<<10)) })
	flood("slow heads", func() string { return holdConns(p, 200, stop, slowHead(stop)) })
	flood("stalled handshakes", func() string { return holdConns(p, 100, stop, nil) })
	flood("idle TLS", func() string { return holdConns(p, idleFlood, stop, idleTLS) })

	// The normal clients, during the flood and for a while after it.
	var kaLat, newLat latencies
	deadline := time.Now().Add(25 * time.Second)
	var normal sync.WaitGroup
	normal.Add(2)
	go func() {
		defer normal.Done()
		for time.Now().Before(deadline) {
			start := time.Now()
			resp, err := keepAlive.Get(p.url("/keep-alive"))
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if !kaLat.add(t, "keep-alive request", start, err, resp) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	go func() {
		defer normal.Done()
		for time.Now().Before(deadline) {
			start := time.Now()
			c := &http.Client{Timeout: 25 * time.Second, Transport: &http.Transport{TLSClientConfig: p.tlsConfig(), DisableKeepAlives: true}}
			resp, err := c.Get(p.url("/new-connection"))
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if !newLat.add(t, "request on a new connection", start, err, resp) {
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
	}()
	normal.Wait()
	close(stop)
	floods.Wait()

	t.Logf("keep-alive client: %s; new connections: %s", kaLat.summary(), newLat.summary())
	if kaLat.max() > 2*time.Second {
		t.Errorf("a keep-alive request took %s during the flood", kaLat.max())
	}
	if !p.running() {
		t.Fatalf("the proxy exited during the flood (code %d)", p.code)
	}
	if n := cg.oomKills(t); n != 0 {
		t.Fatalf("the OOM killer killed %d process(es) in the cgroup", n)
	}
	m = p.metrics(t)
	t.Logf("cgroup peak %.1f MiB of %d; proxy_connection_limit_waits_total %.0f, proxy_tls_handshake_errors_total %.0f",
		float64(cg.peak())/(1<<20), podMemoryLimit>>20, m.value("proxy_connection_limit_waits_total"), m.value("proxy_tls_handshake_errors_total"))
	if m.value("proxy_connection_limit_waits_total") == 0 {
		t.Errorf("the flood never reached the connection cap")
	}
	// The trimmer runs every 5 s once connections have closed.
	var rss float64
	waitFor(t, 20*time.Second, "RSS back near its idle figure after the flood", func() bool {
		rss = p.metrics(t).value("process_resident_memory_bytes")
		return rss < idleRSS+8<<20
	})
	t.Logf("RSS after the flood %.1f MiB (idle %.1f MiB)", rss/(1<<20), idleRSS/(1<<20))
}

// latencies collects one normal client's request times; every request must
// succeed with 200 (the client stops at its first failure).
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(t *testing.T, what string, start time.Time, err error, resp *http.Response) bool {
	d := time.Since(start)
	if err != nil {
		t.Errorf("%s failed after %s: %v", what, d.Round(time.Millisecond), err)
		return false
	}
	if resp.StatusCode != 200 {
		t.Errorf("%s: %d", what, resp.StatusCode)
		return false
	}
	l.mu.Lock()
	l.all = append(l.all, d)
	l.mu.Unlock()
	return true
}

func (l *latencies) max() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var m time.Duration
	for _, d := range l.all {
		m = max(m, d)
	}
	return m
}

func (l *latencies) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.all) == 0 {
		return "no requests"
	}
	s := append([]time.Duration(nil), l.all...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return fmt.Sprintf("%d ok, median %s, max %s", len(s), s[len(s)/2].Round(time.Millisecond), s[len(s)-1].Round(time.Millisecond))
}

// holdConns opens n connections to the proxy, 64 at a time, and keeps them
// until stop. after, if not nil, runs on each connection once its TCP
// connection is up and returns what the connection holds open (or nil for
// a connection that failed); a nil after leaves it at a half-sent
// ClientHello.
func holdConns(p *proxy, n int, stop <-chan struct{}, after func(p *proxy, c net.Conn) net.Conn) string {
	var held []net.Conn
	var mu sync.Mutex
	var failed atomic.Int64
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
opening:
	for range n {
		select {
		case <-stop:
			break opening
		case sem <- struct{}{}:
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			c, err := net.DialTimeout("tcp", p.addr, 5*time.Second)
			if err != nil {
				failed.Add(1)
				return
			}
			if after == nil {
				// A TLS record header announcing 16 KiB of handshake, and a few bytes of it.
				_, _ = c.Write([]byte{22, 3, 1, 0x40, 0, 1, 0, 0x3f})
			} else if c = after(p, c); c == nil {
				failed.Add(1)
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}()
	}
	wg.Wait()
	<-stop
	for _, c := range held {
		c.Close()
	}
	return fmt.Sprintf("%d of %d connections held, %d not served (waiting in the backlog until the client gave up, or closed by a timeout)", len(held), n, failed.Load())
}

// idleTLS completes the handshake (if the proxy gets to it within 5 s) and
// sends nothing.
func idleTLS(p *proxy, c net.Conn) net.Conn {
	cfg := p.tlsConfig()
	cfg.NextProtos = []string{"http/1.1"}
	tc := tls.Client(c, cfg)
	_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
	if err := tc.Handshake(); err != nil {
		c.Close()
		return nil
	}
	_ = tc.SetDeadline(time.Time{})
	return tc
}

// stalledHead sends a request head of about size bytes without its end.
func stalledHead(size int) func(p *proxy, c net.Conn) net.Conn {
	return func(p *proxy, c net.Conn) net.Conn {
		tc := idleTLS(p, c)
		if tc == nil {
			return nil
		}
		_, _ = io.WriteString(tc, "GET /big HTTP/1.1\r\nHost: localhost\r\nX-Big: "+strings.Repeat("a", size))
		return tc
	}
}

// slowHead sends a request head a byte a second, until stop.
func slowHead(stop <-chan struct{}) func(p *proxy, c net.Conn) net.Conn {
	return func(p *proxy, c net.Conn) net.Conn {
		tc := idleTLS(p, c)
		if tc == nil {
			return nil
		}
		go func() {
			head := "GET /slow HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + strings.Repeat("s", 100)
			for i := 0; i < len(head); i++ {
				select {
				case <-stop:
					return
				case <-time.After(time.Second):
				}
				if _, err := io.WriteString(tc, head[i:i+1]); err != nil {
					return
				}
			}
		}()
		return tc
	}
}

// rapidReset opens streams on one HTTP/2 connection and resets each at once
// (CVE-2023-44487's pattern), up to n, and reports how far it got and the
// error code of the GOAWAY that ended the connection ("" if none came).
func rapidReset(p *proxy, n int) (summary, goawayCode string) {
	cfg := p.tlsConfig()
	cfg.NextProtos = []string{"h2"}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", p.addr, cfg)
	if err != nil {
		return "no connection: " + err.Error(), ""
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		return err.Error(), ""
	}
	fr := http2.NewFramer(c, c)
	_ = fr.WriteSettings()
	var goaway atomic.Value
	go func() {
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				return
			}
			if g, ok := f.(*http2.GoAwayFrame); ok {
				goaway.Store(g.ErrCode.String())
			}
		}
	}()
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", "localhost"}, {":path", "/reset"}} {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	sent := 0
	for id := uint32(1); sent < n; id += 2 {
		err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block.Bytes(), EndStream: true, EndHeaders: true})
		if err == nil {
			err = fr.WriteRSTStream(id, http2.ErrCodeCancel)
		}
		if err != nil {
			break
		}
		sent++
	}
	time.Sleep(200 * time.Millisecond)
	g, _ := goaway.Load().(string)
	return fmt.Sprintf("%d streams opened and reset; GOAWAY %q", sent, g), g
}
