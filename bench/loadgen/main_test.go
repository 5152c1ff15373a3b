package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// start configures the generator against a fresh TLS 1.3 test server (Go's: session tickets on) and resets the
// counters; flags are name=value pairs.
func start(t *testing.T, h http.HandlerFunc, flags ...string) {
	t.Helper()
	startServer(t, httptest.NewUnstartedServer(h), flags...)
}

// startServer is start with a server configured by the caller.
func startServer(t *testing.T, srv *httptest.Server, flags ...string) {
	t.Helper()
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS13}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	defaults := []string{"url", srv.URL + "/", "c", "2", "d", "300ms", "warm", "50ms", "resume", "false", "suite", "", "group", "X25519", "hold", "300ms", "metrics", "", "neighbour", "0"}
	all := append(defaults, flags...)
	for i := 0; i < len(all); i += 2 {
		if err := flag.Set(all[i], all[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	nErr.Store(0)
	nFull.Store(0)
	nResumed.Store(0)
	suites, groups, firstErr, scrapeErr = map[string]int{}, map[string]int{}, "", nil
	if err := configure(); err != nil {
		t.Fatal(err)
	}
}

func hello(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("hello from the app\n")) }

func TestFullHandshakesNeverResume(t *testing.T) {
	start(t, hello, "mode", "conn")
	res := run([]int{os.Getpid()})
	if res.Requests == 0 || res.Errors != 0 {
		t.Fatalf("requests %d, errors %d (%s)", res.Requests, res.Errors, res.FirstErrorMsg)
	}
	if res.Resumed != 0 || res.Full < int64(res.Requests) {
		t.Fatalf("full %d, resumed %d for %d requests: the server offers tickets, the client must not use them", res.Full, res.Resumed, res.Requests)
	}
	if len(res.Suites) != 1 || res.Groups["X25519"] == 0 || len(res.Groups) != 1 {
		t.Fatalf("suites %v, groups %v", res.Suites, res.Groups)
	}
	if res.ServerCPUNS <= 0 {
		t.Fatalf("server CPU %d ns: this process served the requests", res.ServerCPUNS)
	}
	if err := check(res); err != nil {
		t.Fatal(err)
	}
}

func TestResumptionsResume(t *testing.T) {
	start(t, hello, "mode", "conn", "resume", "true")
	res := run(nil)
	if res.Requests == 0 || res.Errors != 0 {
		t.Fatalf("requests %d, errors %d (%s)", res.Requests, res.Errors, res.FirstErrorMsg)
	}
	// Each worker's first connection (in the warm-up) is a full one; the measured ones resume.
	if res.Resumed < int64(res.Requests) || res.Full != 0 {
		t.Fatalf("full %d, resumed %d for %d requests", res.Full, res.Resumed, res.Requests)
	}
}

func TestCheckRejectsAnotherSuiteAResumptionOrNoAnswer(t *testing.T) {
	start(t, hello, "mode", "conn", "suite", "TLS_CHACHA20_POLY1305_SHA256")
	if err := check(result{Requests: 1, Suites: map[string]int{"TLS_AES_128_GCM_SHA256": 1}}); err == nil {
		t.Fatal("a suite other than -suite passed")
	}
	flag.Set("suite", "")
	if err := check(result{Requests: 9, Resumed: 1, Full: 9}); err == nil {
		t.Fatal("a resumed connection passed in a full-handshake run")
	}
	if err := check(result{Errors: 3, FirstErrorMsg: "remote error: tls: protocol version not supported"}); err == nil {
		t.Fatal("a run without a single answered request passed")
	}
	if err := check(result{Requests: 9, Full: 9}); err != nil {
		t.Fatal(err)
	}
}

// A server that stalls once for 300 ms while 100 requests/s are offered on one connection: the ~30 requests
// scheduled during the stall are all late, and are counted late from their intended send times. A closed-loop
// client (or one timing from the actual send) would see one slow request and p90 near zero.
func TestOpenLoopCountsTheRequestsAStallHeldBack(t *testing.T) {
	var n atomic.Int64
	stall := func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 30 {
			time.Sleep(300 * time.Millisecond)
		}
		hello(w, r)
	}
	start(t, stall, "mode", "rate", "c", "1", "rate", "100", "d", "1s", "warm", "0s")
	res := run(nil)
	if res.Errors != 0 || res.Requests < 95 || res.Requests > 101 {
		t.Fatalf("requests %d (100 offered), errors %d (%s)", res.Requests, res.Errors, res.FirstErrorMsg)
	}
	if res.P90US < 50_000 || res.P50US > 50_000 || res.MaxUS < 290_000 {
		t.Fatalf("p50 %d µs, p90 %d µs, max %d µs: the stall's backlog is not counted", res.P50US, res.P90US, res.MaxUS)
	}
	// The generator itself was on time whenever its connection was free.
	if res.SendLagP99US > 50_000 {
		t.Fatalf("send lag p99 %d µs", res.SendLagP99US)
	}
}

// idleCounter counts the connections a test server has open (handshake begun, not yet closed).
type idleCounter struct{ open, peak atomic.Int64 }

func (c *idleCounter) track(_ net.Conn, s http.ConnState) {
	switch s {
	case http.StateNew:
		if n := c.open.Add(1); n > c.peak.Load() {
			c.peak.Store(n)
		}
	case http.StateClosed, http.StateHijacked:
		c.open.Add(-1)
	}
}

func TestHoldKeepsEveryConnectionOpenWithoutARequestThenClosesThem(t *testing.T) {
	var served atomic.Int64
	var conns idleCounter
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served.Add(1) }))
	srv.Config.ConnState = conns.track
	startServer(t, srv, "mode", "hold", "c", "150")
	res := run([]int{os.Getpid()})
	if err := check(res); err != nil {
		t.Fatal(err)
	}
	if res.Held != 150 || res.Full != 150 || res.Dropped != 0 || res.Errors != 0 {
		t.Fatalf("held %d, handshakes %d, dropped %d, errors %d (%s)", res.Held, res.Full, res.Dropped, res.Errors, res.FirstErrorMsg)
	}
	if conns.peak.Load() != 150 || served.Load() != 0 {
		t.Fatalf("the server had at most %d connections open and served %d requests; want 150 and none", conns.peak.Load(), served.Load())
	}
	// this process is the server: its RSS was read while it held them
	if res.RSSBeforeKB <= 0 || res.RSSHeldKB <= 0 {
		t.Fatalf("RSS before %d KiB, held %d KiB", res.RSSBeforeKB, res.RSSHeldKB)
	}
	if res.Groups["X25519"] != 150 {
		t.Fatalf("key exchange groups %v: every connection's must be counted", res.Groups)
	}
	deadline := time.Now().Add(5 * time.Second)
	for conns.open.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := conns.open.Load(); n != 0 {
		t.Fatalf("%d connections still open on the server after the hold", n)
	}
}

// A server that ends idle connections (as ours does at --read-header-timeout) must fail the hold: the RSS read at
// its end would not be that of -c open connections.
func TestHoldFailsWhenTheServerClosesConnections(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(hello))
	srv.Config.ReadHeaderTimeout = 50 * time.Millisecond
	startServer(t, srv, "mode", "hold", "c", "20")
	res := run(nil)
	if res.Held != 20 || res.Dropped != 20 {
		t.Fatalf("held %d, dropped %d: want 20 and 20", res.Held, res.Dropped)
	}
	if err := check(res); err == nil {
		t.Fatal("a hold whose connections the server closed passed")
	}
}

// The window's scheduler figures and scrapes: this process is both the server and the "neighbour" here, so its
// CPU time, waits and slices are counted, and /metrics is fetched once when the window opens and once after.
func TestWindowReadsSchedstatTheNeighbourAndTheMetricsBeforeAndAfter(t *testing.T) {
	var scrapes atomic.Int64
	m := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "scrape %d\n", scrapes.Add(1))
	}))
	t.Cleanup(m.Close)
	start(t, hello, "mode", "rate", "rate", "500", "metrics", m.URL+"/metrics", "neighbour", strconv.Itoa(os.Getpid()))
	res := run([]int{os.Getpid()})
	if err := check(res); err != nil {
		t.Fatal(err)
	}
	if res.ServerCPUNS <= 0 || res.ServerSlices <= 0 || res.ServerWaitNS < 0 ||
		res.NeighbourNS < res.ServerCPUNS*9/10 || res.NeighbourNS > res.ServerCPUNS*11/10 {
		t.Fatalf("cpu %d ns, wait %d ns, slices %d, neighbour %d ns", res.ServerCPUNS, res.ServerWaitNS, res.ServerSlices, res.NeighbourNS)
	}
	if res.MetricsBefore != "scrape 1\n" || res.MetricsAfter != "scrape 2\n" {
		t.Fatalf("scrapes %q then %q", res.MetricsBefore, res.MetricsAfter)
	}
}

func TestCheckFailsWhenTheMetricsCannotBeScraped(t *testing.T) {
	start(t, hello, "mode", "rate", "rate", "200", "metrics", "http://127.0.0.1:1/metrics")
	if err := check(run(nil)); err == nil || !strings.Contains(err.Error(), "scraping -metrics") {
		t.Fatalf("check: %v", err)
	}
}
