package proxycontract

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ---------- one run of the binary ----------

// process is the proxy binary running as a child, with its output captured.
// It is killed in t.Cleanup if still running, and dies with the test binary
// (Pdeathsig) if that is killed first.
type process struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdout output
	stderr output
	exited chan struct{}
	code   int
	vol    *secretVolume // its --tls-dir, whose keys must never be logged
	served bool          // started serving: from then on stderr holds JSON lines only
}

// output collects what the child writes to one stream. Writes come from
// exec's copying goroutine while tests read it.
type output struct {
	mu   sync.Mutex
	data []byte
}

func (o *output) Write(b []byte) (int, error) {
	o.mu.Lock()
	o.data = append(o.data, b...)
	o.mu.Unlock()
	return len(b), nil
}

func (o *output) String() string {
	o.mu.Lock()
	s := string(o.data)
	o.mu.Unlock()
	return s
}

// envName is the environment variable that also sets flag name.
func envName(flag string) string {
	return "PROXY_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// childEnv is this process's environment without PROXY_* variables, plus env.
// HTTP(S)_PROXY point at a closed port: the proxy must ignore them.
func childEnv(env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "PROXY_"), strings.EqualFold(k, "http_proxy"), strings.EqualFold(k, "https_proxy"),
			strings.EqualFold(k, "no_proxy"):
			continue
		}
		out = append(out, kv)
	}
	out = append(out, "HTTP_PROXY=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9")
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

func launch(t testing.TB, args []string, env map[string]string, vol *secretVolume) *process {
	t.Helper()
	return launchIn(t, "", args, env, vol)
}

// launchIn is launch inside the cgroup whose cgroup.procs file is procs (if
// not empty): the process joins it before it execs the binary, so the proxy
// reads that cgroup's memory limit at its start.
func launchIn(t testing.TB, procs string, args []string, env map[string]string, vol *secretVolume) *process {
	t.Helper()
	p := &process{t: t, exited: make(chan struct{}), vol: vol}
	p.cmd = exec.Command(proxyBin, args...)
	if procs != "" {
		p.cmd = exec.Command("/bin/sh", append([]string{"-c", `echo $$ >"$0" && exec "$@"`, procs, proxyBin}, args...)...)
	}
	p.cmd.Env = childEnv(env)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", proxyBin, err)
	}
	go func() {
		_ = p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		close(p.exited)
	}()
	t.Cleanup(func() {
		if p.running() {
			_ = p.cmd.Process.Kill()
		}
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			t.Errorf("proxy pid %d did not die after SIGKILL", p.cmd.Process.Pid)
		}
		p.checkOutput(t)
		if t.Failed() {
			t.Logf("proxy %v\nstderr:\n%s\nstdout:\n%s", args, p.stderr.String(), p.stdout.String())
		}
	})
	return p
}

func (p *process) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

func (p *process) signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
}

// waitExit waits up to limit for the process to exit and returns its code.
func (p *process) waitExit(t testing.TB, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
		return p.code
	case <-time.After(limit):
		t.Fatalf("the proxy did not exit within %s", limit)
		return -1
	}
}

// checkOutput holds for every run: no private key material on either
// stream, and once serving, stderr is JSON log lines and stdout holds only
// access lines (--access-log), which never go to stderr.
func (p *process) checkOutput(t testing.TB) {
	out := p.stderr.String() + p.stdout.String()
	if leak := keyLeak(out, p.vol); leak != "" {
		t.Errorf("the proxy's output contains private key material: %s", leak)
	}
	if !p.served {
		return
	}
	for _, stream := range []struct {
		name   string
		out    *output
		access bool
	}{{"stderr", &p.stderr, false}, {"stdout", &p.stdout, true}} {
		for _, line := range strings.Split(strings.TrimRight(stream.out.String(), "\n"), "\n") {
			if line == "" {
				continue
			}
			if err := checkLogLine(line); err != nil {
				t.Errorf("%s line is not a JSON log line (%v): %q", stream.name, err, truncate(line, 300))
			} else if isAccess := strings.Contains(line, `"msg":"request"`); isAccess != stream.access {
				t.Errorf("%s: access lines go to stdout and only they: %q", stream.name, truncate(line, 300))
			}
		}
	}
}

// checkLogLine: one JSON object with a parseable "time", a "level" of
// DEBUG/INFO/WARN/ERROR and a "msg" string (log/slog's JSON shape, which log
// pipelines and alerts match on).
func checkLogLine(line string) error {
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		return err
	}
	ts, _ := m["time"].(string)
	if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
		return fmt.Errorf("time %q", m["time"])
	}
	switch m["level"] {
	case "DEBUG", "INFO", "WARN", "ERROR":
	default:
		return fmt.Errorf("level %q", m["level"])
	}
	if _, ok := m["msg"].(string); !ok {
		return errors.New("no msg")
	}
	return nil
}

// keyLeak reports a PEM private key marker or any base64 line of a key that
// was ever written to vol.
func keyLeak(out string, vol *secretVolume) string {
	if strings.Contains(out, "PRIVATE KEY") {
		return `"PRIVATE KEY"`
	}
	if vol == nil {
		return ""
	}
	for _, k := range vol.keys {
		for rest := k; ; {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			for _, line := range strings.Split(string(pem.EncodeToMemory(&pem.Block{Type: "X", Bytes: b.Bytes})), "\n") {
				if len(line) >= 40 && strings.Contains(out, line) {
					return "a base64 line of a key in --tls-dir"
				}
			}
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// logLines parses the JSON lines of stderr, then of stdout (the access
// lines); others are skipped (checkOutput reports them).
func (p *process) logLines() []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(p.stderr.String() + p.stdout.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

func (p *process) countLogs(pred func(map[string]any) bool) int {
	n := 0
	for _, m := range p.logLines() {
		if pred(m) {
			n++
		}
	}
	return n
}

// waitLog waits up to limit for the n-th log line matching pred.
func (p *process) waitLog(t testing.TB, limit time.Duration, what string, n int, pred func(map[string]any) bool) map[string]any {
	t.Helper()
	var found map[string]any
	waitFor(t, limit, what+" logged", func() bool {
		i := 0
		for _, m := range p.logLines() {
			if pred(m) {
				if i++; i == n {
					found = m
					return true
				}
			}
		}
		return false
	})
	return found
}

// msgIs matches log lines by "msg" and, in pairs, other string fields.
func msgIs(msg string, kv ...string) func(map[string]any) bool {
	return func(m map[string]any) bool {
		if m["msg"] != msg {
			return false
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if fmt.Sprint(m[kv[i]]) != kv[i+1] {
				return false
			}
		}
		return true
	}
}

// ---------- a serving proxy ----------

type proxy struct {
	*process
	addr        string // proxy listener, 127.0.0.1:port
	adminAddr   string
	adminScheme string // "https" or "http", as the admin listener answered
	ca          *testCA
	pair        keyPair // the pair in the volume at start
	app         *app    // nil when opts.upstream was given
}

type proxyOpts struct {
	args     []string          // flags; they replace the harness's default of the same flag
	env      map[string]string // PROXY_* variables; a harness default flag they would lose to is left out
	upstream string            // default: a fresh app
	ca       *testCA           // default: a fresh CA
	pair     keyPair           // default: a fresh server pair from ca
	vol      *secretVolume     // default: a volume holding pair (pass pair too, to name what vol holds)
	cgroup   string            // cgroup.procs of a cgroup to run in (memCgroup); default: the test's own
}

// flagValue returns the value of --name (or -name) in args.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		a = "-" + strings.TrimLeft(a, "-")
		if a == "-"+name && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			return args[i+1], true
		}
		if a == "-"+name {
			return "true", true // a bare boolean flag
		}
		if v, ok := strings.CutPrefix(a, "-"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// startProxy runs the binary on free 127.0.0.1 ports and waits until its
// admin listener answers /healthz. Ports are picked free and then handed
// over, so a port taken meanwhile is retried.
func startProxy(t testing.TB, o proxyOpts) *proxy {
	t.Helper()
	p := &proxy{ca: o.ca, pair: o.pair}
	if p.ca == nil {
		p.ca = newCA(t, "contract-ca")
	}
	if p.pair.leaf == nil && o.vol == nil {
		p.pair = p.ca.server(t)
	}
	vol := o.vol
	if vol == nil {
		vol = newSecretVolume(t, secretFiles(p.pair, nil))
	}
	upstream := o.upstream
	if upstream == "" {
		p.app = newApp(t)
		upstream = p.app.url
	}
	for attempt := 1; ; attempt++ {
		defaults := [][2]string{
			{"listen", freeAddr(t)}, {"admin-listen", freeAddr(t)}, {"upstream", upstream}, {"tls-dir", vol.dir},
			{"drain-delay", "0s"}, {"shutdown-timeout", "5s"}, {"log-level", "debug"},
		}
		var args []string
		effective := map[string]string{}
		ownPorts := true
		for _, d := range defaults {
			name, val := d[0], d[1]
			if v, ok := flagValue(o.args, name); ok {
				effective[name], ownPorts = v, ownPorts && name != "listen" && name != "admin-listen"
				continue
			}
			if v, ok := o.env[envName(name)]; ok {
				effective[name], ownPorts = v, ownPorts && name != "listen" && name != "admin-listen"
				continue
			}
			effective[name] = val
			args = append(args, "--"+name+"="+val)
		}
		args = append(args, o.args...)
		p.process = launchIn(t, o.cgroup, args, o.env, vol)
		p.addr, p.adminAddr = effective["listen"], effective["admin-listen"]
		err := p.waitHealthy(10 * time.Second)
		if err == nil {
			p.served = true
			return p
		}
		if ownPorts && attempt < 3 && !p.running() && strings.Contains(strings.ToLower(p.stderr.String()), "in use") {
			continue // a picked port was taken in between: pick again
		}
		t.Fatalf("proxy %v did not become healthy: %v\nstderr: %s", args, err, p.stderr.String())
	}
}

// waitHealthy polls the admin /healthz over HTTPS and over plain HTTP.
func (p *proxy) waitHealthy(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true}}
	for {
		if !p.running() {
			return fmt.Errorf("exited with code %d", p.code)
		}
		for _, scheme := range []string{"https", "http"} {
			if resp, err := c.Get(scheme + "://" + p.adminAddr + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					p.adminScheme = scheme
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no 200 from /healthz on %s within %s", p.adminAddr, limit)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// freeAddr returns a 127.0.0.1 address nobody listens on right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// ---------- clients ----------

// tlsConfig trusts the test CA and verifies the name localhost.
func (p *proxy) tlsConfig() *tls.Config {
	return &tls.Config{RootCAs: p.ca.pool(), ServerName: "localhost"}
}

func (p *proxy) url(path string) string { return "https://" + p.addr + path }

// client returns an HTTP client for the proxy listener: HTTP/2 through ALPN
// when h2, else HTTP/1.1 only.
func (p *proxy) client(t testing.TB, h2 bool) *http.Client {
	return newClient(t, p.tlsConfig(), h2)
}

func newClient(t testing.TB, cfg *tls.Config, h2 bool) *http.Client {
	tr := &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: h2, MaxIdleConnsPerHost: 16}
	if !h2 {
		tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// do sends req and returns the response with its body read.
func do(t testing.TB, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	return resp, string(b)
}

func get(t testing.TB, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, c, req)
}

// getInBackground sends a GET on c from another goroutine; the channel gets
// the whole body, or the error's text.
func getInBackground(c *http.Client, url string) <-chan string {
	body := make(chan string, 1)
	go func() {
		resp, err := c.Get(url)
		if err != nil {
			body <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body <- string(b)
	}()
	return body
}

// adminClient does not verify the admin certificate (tests of the admin
// certificate handshake themselves); it never presents a client certificate.
func (p *proxy) adminClient(t testing.TB) *http.Client {
	return newClient(t, &tls.Config{InsecureSkipVerify: true}, false)
}

func (p *proxy) adminGet(t testing.TB, path string) (int, string) {
	t.Helper()
	resp, body := get(t, p.adminClient(t), p.adminScheme+"://"+p.adminAddr+path)
	return resp.StatusCode, body
}

// handshake does a fresh TLS handshake and one HTTP/1.1 round trip on it:
// TLS 1.3 client-certificate failures show only once the client reads.
func handshake(addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	dialer := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 3 * time.Second}, Config: cfg}
	conn, err := dialer.Dial("tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	tc := conn.(*tls.Conn)
	defer tc.Close()
	_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
	req, _ := http.NewRequest("GET", "https://localhost/healthz", nil)
	req.Close = true
	if err = req.Write(tc); err == nil {
		var resp *http.Response
		if resp, err = http.ReadResponse(bufio.NewReader(tc), req); err == nil {
			resp.Body.Close()
		}
	}
	return tc.ConnectionState(), err
}

// servedLeaf is the leaf certificate of a fresh handshake with the proxy.
func (p *proxy) servedLeaf() (*x509.Certificate, error) {
	cfg := p.tlsConfig()
	cfg.NextProtos = []string{"http/1.1"}
	st, err := handshake(p.addr, cfg)
	if err != nil {
		return nil, err
	}
	return st.PeerCertificates[0], nil
}

// waitServed polls fresh handshakes until leaf is served.
func (p *proxy) waitServed(t testing.TB, limit time.Duration, leaf *x509.Certificate) {
	t.Helper()
	waitFor(t, limit, fmt.Sprintf("serial %x served", leaf.SerialNumber), func() bool {
		got, err := p.servedLeaf()
		return err == nil && got.SerialNumber.Cmp(leaf.SerialNumber) == 0
	})
}

// dialTLS opens a TLS connection to the proxy with ALPN http/1.1.
func (p *proxy) dialTLS(t testing.TB) (*tls.Conn, *bufio.Reader) {
	t.Helper()
	cfg := p.tlsConfig()
	cfg.NextProtos = []string{"http/1.1"}
	return dialWith(t, p.addr, cfg)
}

// dialWith opens a TLS connection closed in t.Cleanup, with a 30s deadline.
func dialWith(t testing.TB, addr string, cfg *tls.Config) (*tls.Conn, *bufio.Reader) {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 3 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	return c, bufio.NewReader(c)
}

// rawRequest writes a literal HTTP/1.1 request and reads the response and
// its body. Header names are then compared canonically: their casing on the
// wire is the server library's business, not the contract.
func rawRequest(t testing.TB, c net.Conn, br *bufio.Reader, request string) (*http.Response, string) {
	t.Helper()
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatalf("write request: %v", err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, string(b)
}

// ---------- metrics ----------

// metricSet is one /metrics scrape: series ("name{labels}") to value, and
// "# TYPE" lines by metric name.
type metricSet struct {
	text   string
	values map[string]float64
	types  map[string]string
}

func (p *proxy) metrics(t testing.TB) metricSet {
	t.Helper()
	code, body := p.adminGet(t, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	return parseMetrics(t, body)
}

func parseMetrics(t testing.TB, text string) metricSet {
	t.Helper()
	m := metricSet{text: text, values: map[string]float64{}, types: map[string]string{}}
	for _, line := range strings.Split(text, "\n") {
		if line == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, typ, _ := strings.Cut(rest, " ")
			m.types[name] = typ
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			t.Fatalf("malformed exposition line %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("malformed value in %q", line)
		}
		m.values[line[:i]] = v
	}
	return m
}

// value returns a series' value, 0 when absent (Prometheus counters with
// labels appear on first use).
func (m metricSet) value(series string) float64 { return m.values[series] }

// ---------- waiting ----------

// waitFor polls cond every 25ms until it holds, failing the test after limit.
func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for start := time.Now(); !cond(); time.Sleep(25 * time.Millisecond) {
		if time.Since(start) > limit {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
	}
}

// staysFalse reports whether cond stays false for the whole of d (polled).
func staysFalse(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return false
		}
		time.Sleep(25 * time.Millisecond)
	}
	return !cond()
}
