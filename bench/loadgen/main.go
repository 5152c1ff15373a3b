// Command loadgen is bench/run.sh's load generator for what wrk cannot measure honestly:
//
//	-mode rate: open-loop keep-alive HTTP/1.1 at a fixed offered rate. Each of -c connections
//	   sends on its own fixed schedule (connection k at start + k/R + j*c/R, the way wrk2 does);
//	   a request that cannot go out on time (its connection is still waiting for the previous
//	   answer) goes out as soon as it can, and every latency is measured from the request's
//	   intended send time, so a slow server is not hidden by the generator waiting for it
//	   (no coordinated omission). send_lag_p99_us is the generator's own lateness: how late the
//	   sends whose connection was already free went out (a loaded client core, timer slack).
//	-mode conn: one new connection per request (Connection: close), closed loop on -c workers.
//	   Without -resume there is no client session cache at all, so every TLS handshake is a
//	   full one whatever the server offers; with -resume one shared cache, so every connection
//	   after a worker's first offers the server's ticket. Each connection's DidResume is
//	   counted and reported; a resumed connection without -resume is an error (exit 1).
//	-mode hold: opens -c connections (TLS handshake done, no request), at most holdDialers at once, and
//	   keeps them all open for -hold; with -pids, the servers' RSS (VmRSS summed over the listed
//	   processes) is read before opening and at the end of the hold. Then it closes them. A reader on
//	   each connection notices a close by the server; a connection that did not open, or that the
//	   server closed during the hold, is an error (exit 1): the held RSS would not be of -c connections.
//
// Every TLS connection's negotiated suite and key-exchange group are checked against -suite and
// -group (exit 1 on a difference). Go's TLS 1.3 suites cannot be restricted on the client: the
// server's choice is what is checked. With -pids, the server's CPU time (the first field of
// /proc/PID/task/*/schedstat, summed over the listed processes' threads) is read right before and
// after the measured window, after connecting and warming up, so it covers exactly the requests
// counted; the generator's own CPU time (getrusage) over the same window is reported beside it, to show when the
// client rather than the server was the limit. Over the same window, from the same files: the server's time
// runnable but waiting for a CPU (second field) and how often it was scheduled in (third); with -neighbour, that
// process's CPU time (what a busy neighbour on the server's core took); with -metrics, the body of that URL (a
// Prometheus /metrics) fetched when the window opens and after it closes, for the server's own histogram.
// The result is one JSON object on stdout. Standard library only.
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type result struct {
	Mode          string         `json:"mode"`
	Requests      int            `json:"requests"`
	DurationUS    int64          `json:"duration_us"`
	Errors        int64          `json:"errors"`
	OfferedRPS    float64        `json:"offered_rps,omitempty"`
	P50US         int64          `json:"p50_us"`
	P90US         int64          `json:"p90_us"`
	P99US         int64          `json:"p99_us"`
	P999US        int64          `json:"p999_us"`
	MaxUS         int64          `json:"max_us"`
	SendLagP99US  int64          `json:"send_lag_p99_us"` // the generator's own lateness (sends whose connection was free)
	Full          int64          `json:"handshakes_full"`
	Resumed       int64          `json:"handshakes_resumed"`
	Suites        map[string]int `json:"suites,omitempty"`
	Groups        map[string]int `json:"groups,omitempty"`
	ServerCPUNS   int64          `json:"server_cpu_ns"`
	ServerWaitNS  int64          `json:"server_wait_ns"` // runnable but not running (schedstat's second field)
	ServerSlices  int64          `json:"server_slices"`  // times scheduled in (schedstat's third field)
	NeighbourNS   int64          `json:"neighbour_cpu_ns,omitempty"`
	MetricsBefore string         `json:"metrics_before,omitempty"`
	MetricsAfter  string         `json:"metrics_after,omitempty"`
	ClientCPUNS   int64          `json:"client_cpu_ns"` // this generator's own CPU time over the same window
	FirstErrorMsg string         `json:"first_error,omitempty"`
	// -mode hold
	Held        int   `json:"connections_held,omitempty"`    // connections whose handshake completed
	Dropped     int64 `json:"connections_dropped,omitempty"` // of those, closed by the server during the hold
	OpenUS      int64 `json:"open_us,omitempty"`             // time to open them all
	RSSBeforeKB int64 `json:"server_rss_before_kb,omitempty"`
	RSSHeldKB   int64 `json:"server_rss_held_kb,omitempty"`
}

// holdDialers bounds the connections being opened at once in -mode hold, so that no server's listen backlog
// overflows (a dropped SYN costs the client a retransmission a second later).
const holdDialers = 32

var (
	mode      = flag.String("mode", "rate", "rate (open loop, keep-alive), conn (a new connection per request) or hold (idle connections)")
	target    = flag.String("url", "https://127.0.0.1:18443/", "http:// or https:// URL")
	conns     = flag.Int("c", 64, "connections (rate, hold) or workers (conn)")
	hold      = flag.Duration("hold", 5*time.Second, "hold mode: how long all -c connections stay open")
	rate      = flag.Float64("rate", 1000, "offered requests/s in total (rate mode)")
	dur       = flag.Duration("d", 5*time.Second, "measured duration")
	warm      = flag.Duration("warm", time.Second, "warm-up before the measured window (same load, not counted)")
	resume    = flag.Bool("resume", false, "conn mode: keep a client session cache (measure resumptions)")
	suite     = flag.String("suite", "TLS_AES_128_GCM_SHA256", "required TLS suite (empty: any)")
	group     = flag.String("group", "X25519", "key-exchange group offered, and required")
	pidList   = flag.String("pids", "", "comma-separated server PIDs whose schedstat CPU time (hold mode: RSS) is reported")
	neighbour = flag.Int("neighbour", 0, "PID of a process sharing the server's core whose CPU time over the window is reported")
	metrics   = flag.String("metrics", "", "URL fetched when the measured window opens and after it closes (a /metrics)")
	timeout   = flag.Duration("timeout", 10*time.Second, "per-request timeout (a request gets at least half of it, as wrk --timeout 5s)")
	reqBytes  []byte
	addr      string
	tlsCfg    *tls.Config

	mu        sync.Mutex
	suites    = map[string]int{}
	groups    = map[string]int{}
	firstErr  string
	nErr      atomic.Int64
	scrapeErr error
	nFull     atomic.Int64
	nResumed  atomic.Int64
)

func main() {
	flag.Parse()
	if err := configure(); err != nil {
		fatal("%v", err)
	}
	var pids []int
	for _, s := range strings.Split(*pidList, ",") {
		if s = strings.TrimSpace(s); s != "" {
			p, err := strconv.Atoi(s)
			if err != nil {
				fatal("bad -pids %q", *pidList)
			}
			pids = append(pids, p)
		}
	}
	res := run(pids)
	json.NewEncoder(os.Stdout).Encode(res)
	if err := check(res); err != nil {
		fatal("%v", err)
	}
}

// configure sets the request, the address and the TLS client from the flags.
func configure() error {
	u, err := url.Parse(*target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("bad -url %q", *target)
	}
	if *mode != "rate" && *mode != "conn" && *mode != "hold" {
		return fmt.Errorf("unknown -mode %q", *mode)
	}
	addr = u.Host
	closeHdr := ""
	if *mode == "conn" {
		closeHdr = "Connection: close\r\n"
	}
	reqBytes = []byte("GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + addr + "\r\n" + closeHdr + "\r\n")
	tlsCfg = nil
	if u.Scheme == "https" {
		curves := map[string]tls.CurveID{"X25519": tls.X25519, "P-256": tls.CurveP256, "X25519MLKEM768": tls.X25519MLKEM768}
		c, ok := curves[*group]
		if !ok {
			return fmt.Errorf("unknown -group %q", *group)
		}
		tlsCfg = &tls.Config{
			InsecureSkipVerify: true, // the bench's self-signed certificate; the handshake signature is still verified
			MinVersion:         tls.VersionTLS13,
			CurvePreferences:   []tls.CurveID{c},
			NextProtos:         []string{"http/1.1"},
		}
		if *resume {
			tlsCfg.ClientSessionCache = tls.NewLRUClientSessionCache(4 * *conns)
		}
	}
	return nil
}

// run measures once in the configured mode and collects the counters.
func run(pids []int) result {
	var res result
	switch *mode {
	case "rate":
		res = runRate(pids)
	case "conn":
		res = runConn(pids)
	case "hold":
		res = runHold(pids)
	}
	res.Mode = *mode
	res.Errors = nErr.Load()
	res.Full, res.Resumed = nFull.Load(), nResumed.Load()
	mu.Lock()
	res.Suites, res.Groups, res.FirstErrorMsg = suites, groups, firstErr
	mu.Unlock()
	return res
}

// check fails a run in which no request succeeded (hold mode: not every connection was held), whose connections
// negotiated another suite or group than required, or in which a connection resumed a session in a full-handshake run.
func check(res result) error {
	if *mode == "hold" {
		if res.Held < *conns || res.Dropped > 0 {
			return fmt.Errorf("%d of %d connections opened, %d of them closed by the server during the %v hold (%d errors, the first: %s)",
				res.Held, *conns, res.Dropped, *hold, res.Errors, res.FirstErrorMsg)
		}
	} else if res.Requests == 0 {
		return fmt.Errorf("no request succeeded (%d errors, the first: %s)", res.Errors, res.FirstErrorMsg)
	}
	if *metrics != "" && (res.MetricsBefore == "" || res.MetricsAfter == "") {
		return fmt.Errorf("scraping -metrics %s: %v", *metrics, scrapeErr)
	}
	if tlsCfg == nil {
		return nil
	}
	for s := range res.Suites {
		if *suite != "" && s != *suite {
			return fmt.Errorf("negotiated suite %s, want %s (%v)", s, *suite, res.Suites)
		}
	}
	for g := range res.Groups {
		if g != *group {
			return fmt.Errorf("negotiated group %s, want %s (%v)", g, *group, res.Groups)
		}
	}
	if *mode == "conn" && !*resume && res.Resumed > 0 {
		return fmt.Errorf("%d of %d connections resumed a session although the client keeps none", res.Resumed, res.Full+res.Resumed)
	}
	return nil
}

func fatal(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "loadgen: "+f+"\n", a...)
	os.Exit(1)
}

func noteErr(err error) {
	if nErr.Add(1) == 1 {
		mu.Lock()
		firstErr = err.Error()
		mu.Unlock()
	}
}

// schedstat is /proc/PID/task/*/schedstat summed over processes' threads (a thread that exits takes its share).
type schedstat struct{ run, wait, slices int64 } // ns on CPU, ns runnable but waiting, times scheduled in

func readSchedstat(pids []int) schedstat {
	var t schedstat
	for _, p := range pids {
		files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", p))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			var v [3]int64
			if n, _ := fmt.Sscan(string(b), &v[0], &v[1], &v[2]); n == 3 {
				t.run, t.wait, t.slices = t.run+v[0], t.wait+v[1], t.slices+v[2]
			}
		}
	}
	return t
}

// cpuWindow reads the servers' (and the neighbour's) schedstat and scrapes -metrics when the measured window opens
// (a timer at its start), and again when close is called at its end.
type cpuWindow struct {
	pids        []int
	timer       *time.Timer
	mu          sync.Mutex
	server, nb  schedstat
	self        int64
	metricsBody string
}

func openCPUWindow(pids []int, at time.Time) *cpuWindow {
	w := &cpuWindow{pids: pids}
	w.timer = time.AfterFunc(time.Until(at), func() {
		body := scrape() // before the CPU reading: the scrape's own work stays outside the window
		w.mu.Lock()
		defer w.mu.Unlock()
		w.metricsBody, w.server, w.nb, w.self = body, readSchedstat(pids), readSchedstat(neighbourPids()), selfNS()
	})
	return w
}

// close fills r with what the window saw: the servers' CPU, wait and scheduling counts, this process's CPU time,
// the neighbour's CPU time and the two scrapes.
func (w *cpuWindow) close(r *result) {
	server, nb, self := readSchedstat(w.pids), readSchedstat(neighbourPids()), selfNS()
	after := scrape()
	w.timer.Stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	r.ServerCPUNS, r.ServerWaitNS, r.ServerSlices = server.run-w.server.run, server.wait-w.server.wait, server.slices-w.server.slices
	r.ClientCPUNS, r.NeighbourNS = self-w.self, nb.run-w.nb.run
	r.MetricsBefore, r.MetricsAfter = w.metricsBody, after
}

func neighbourPids() []int {
	if *neighbour == 0 {
		return nil
	}
	return []int{*neighbour}
}

// scrape returns the body of -metrics ("" without it, or on an error, which check then reports).
func scrape() string {
	if *metrics == "" {
		return ""
	}
	resp, err := metricsClient.Get(*metrics)
	if err == nil {
		defer resp.Body.Close()
		var b []byte
		if b, err = io.ReadAll(resp.Body); err == nil && resp.StatusCode == http.StatusOK {
			return string(b)
		} else if err == nil {
			err = fmt.Errorf("%s: %s", *metrics, resp.Status)
		}
	}
	mu.Lock()
	scrapeErr = err
	mu.Unlock()
	return ""
}

// metricsClient keeps its connection between the two scrapes (one handshake); the admin port's certificate is the
// bench's self-signed one.
var metricsClient = &http.Client{Timeout: 5 * time.Second,
	Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}

// rssKB sums VmRSS (KiB) of /proc/PID/status over pids.
func rssKB(pids []int) int64 {
	var total int64
	for _, p := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
				v, _ := strconv.ParseInt(f[1], 10, 64)
				total += v
			}
		}
	}
	return total
}

func selfNS() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func flatten(per [][]int64) []int64 {
	var all []int64
	for _, s := range per {
		all = append(all, s...)
	}
	return all
}

type conn struct {
	nc       net.Conn
	br       *bufio.Reader
	deadline time.Time
}

func dial(counted bool) (*conn, error) {
	nc, err := net.DialTimeout("tcp", addr, *timeout)
	if err != nil {
		return nil, err
	}
	if tlsCfg != nil {
		tc := tls.Client(nc, tlsCfg)
		tc.SetDeadline(time.Now().Add(*timeout))
		if err := tc.Handshake(); err != nil {
			nc.Close()
			return nil, err
		}
		st := tc.ConnectionState()
		mu.Lock()
		suites[tls.CipherSuiteName(st.CipherSuite)]++
		groups[curveName(st.CurveID)]++
		mu.Unlock()
		if counted {
			if st.DidResume {
				nResumed.Add(1)
			} else {
				nFull.Add(1)
			}
		}
		nc = tc
	}
	return &conn{nc: nc, br: bufio.NewReaderSize(nc, 16<<10)}, nil
}

func curveName(c tls.CurveID) string {
	switch c {
	case tls.X25519:
		return "X25519"
	case tls.CurveP256:
		return "P-256"
	case tls.X25519MLKEM768:
		return "X25519MLKEM768"
	}
	return c.String()
}

// roundTrip writes the request and reads one 200 response with a Content-Length body.
func (c *conn) roundTrip() error {
	// The deadline moves only once half of it has passed (resetting it costs a timer update, per request
	// that would be a cost of the generator's own): each request gets between -timeout/2 and -timeout.
	if now := time.Now(); c.deadline.Sub(now) < *timeout/2 {
		c.deadline = now.Add(*timeout)
		c.nc.SetDeadline(c.deadline)
	}
	if _, err := c.nc.Write(reqBytes); err != nil {
		return err
	}
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("status line %q", bytes.TrimSpace(line))
	}
	length := -1
	for {
		h, err := c.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(h) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(h, []byte(":")); ok && strings.EqualFold(string(k), "content-length") {
			length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	if length < 0 {
		return errors.New("no Content-Length")
	}
	_, err = c.br.Discard(length)
	return err
}

func percentiles(r *result, lat, lag []int64) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	sort.Slice(lag, func(i, j int) bool { return lag[i] < lag[j] })
	q := func(s []int64, p float64) int64 {
		if len(s) == 0 {
			return 0
		}
		i := int(p*float64(len(s))+0.5) - 1
		if i < 0 {
			i = 0
		}
		if i >= len(s) {
			i = len(s) - 1
		}
		return s[i]
	}
	r.Requests = len(lat)
	r.P50US, r.P90US, r.P99US, r.P999US = q(lat, .50), q(lat, .90), q(lat, .99), q(lat, .999)
	if len(lat) > 0 {
		r.MaxUS = lat[len(lat)-1]
	}
	r.SendLagP99US = q(lag, .99)
}

func runRate(pids []int) result {
	cs := make([]*conn, *conns)
	for i := range cs {
		c, err := dial(false)
		if err != nil {
			fatal("connect: %v", err)
		}
		cs[i] = c
	}
	interval := time.Duration(float64(*conns) / *rate * 1e9)
	start := time.Now().Add(10 * time.Millisecond)
	measureFrom := start.Add(*warm)
	end := measureFrom.Add(*dur)
	cpu := openCPUWindow(pids, measureFrom)
	lats := make([][]int64, *conns)
	lags := make([][]int64, *conns)
	var wg sync.WaitGroup
	for k := range cs {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			c := cs[k]
			next := start.Add(time.Duration(float64(k) / *rate * 1e9))
			for ; next.Before(end); next = next.Add(interval) {
				idle := false // the connection was free before the intended time: any lateness is ours
				if d := time.Until(next); d > 0 {
					idle = true
					time.Sleep(d)
				}
				sent := time.Now()
				err := c.roundTrip()
				done := time.Now()
				if err != nil {
					noteErr(err)
					c.nc.Close()
					if c, err = dial(false); err != nil {
						noteErr(err)
						return
					}
					cs[k] = c
					continue
				}
				if !next.Before(measureFrom) {
					lats[k] = append(lats[k], done.Sub(next).Microseconds())
					if idle {
						lags[k] = append(lags[k], sent.Sub(next).Microseconds())
					}
				}
			}
		}(k)
	}
	wg.Wait()
	r := result{OfferedRPS: *rate}
	cpu.close(&r)
	// The window is the schedule's [measureFrom, end) plus whatever the last answers needed.
	r.DurationUS = time.Since(measureFrom).Microseconds()
	for _, c := range cs {
		c.nc.Close()
	}
	percentiles(&r, flatten(lats), flatten(lags))
	return r
}

func runConn(pids []int) result {
	start := time.Now()
	measureFrom := start.Add(*warm)
	end := measureFrom.Add(*dur)
	cpu := openCPUWindow(pids, measureFrom)
	lats := make([][]int64, *conns)
	var wg sync.WaitGroup
	for k := 0; k < *conns; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			for {
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				counted := !t0.Before(measureFrom)
				c, err := dial(counted)
				if err == nil {
					err = c.roundTrip()
					c.nc.Close()
				}
				if err != nil {
					noteErr(err)
					continue
				}
				if counted {
					lats[k] = append(lats[k], time.Since(t0).Microseconds())
				}
			}
		}(k)
	}
	wg.Wait()
	r := result{DurationUS: time.Since(measureFrom).Microseconds()}
	cpu.close(&r)
	percentiles(&r, flatten(lats), nil)
	return r
}

func runHold(pids []int) result {
	r := result{RSSBeforeKB: rssKB(pids)}
	start := time.Now()
	cs := make([]*conn, *conns)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(holdDialers, *conns) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < *conns; i = int(next.Add(1)) - 1 {
				c, err := dial(true)
				if err != nil {
					noteErr(err)
					continue
				}
				c.nc.SetDeadline(time.Time{}) // the dial's deadline would end the hold
				cs[i] = c
			}
		}()
	}
	wg.Wait()
	r.OpenUS = time.Since(start).Microseconds()
	// An idle server sends nothing: each reader returns when the server closes the connection, or when we do.
	var closing atomic.Bool
	var dropped atomic.Int64
	var readers sync.WaitGroup
	for _, c := range cs {
		if c == nil {
			continue
		}
		r.Held++
		readers.Add(1)
		go func(c *conn) {
			defer readers.Done()
			n, err := c.nc.Read(make([]byte, 1))
			if !closing.Load() {
				dropped.Add(1)
				noteErr(fmt.Errorf("the server ended an idle connection during the hold (%d bytes, %v)", n, err))
			}
		}(c)
	}
	time.Sleep(*hold)
	r.RSSHeldKB = rssKB(pids)
	closing.Store(true)
	for _, c := range cs {
		if c != nil {
			c.nc.Close()
		}
	}
	readers.Wait()
	r.Dropped = dropped.Load()
	r.DurationUS = time.Since(start).Microseconds()
	return r
}
