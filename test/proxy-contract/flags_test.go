package proxycontract

import (
	"crypto/tls"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// allFlags is every flag of the proxy (README "Flags").
var allFlags = append([]string{
	"listen", "upstream", "upstream-protocol", "tls-dir", "admin-listen", "admin-tls", "client-auth", "tls-session-resumption",
	"tls-min-version", "tls-profile", "tls-groups", "shutdown-timeout",
	"drain-delay", "tls-handshake-timeout", "read-header-timeout", "idle-timeout", "max-connections", "max-header-bytes", "upstream-max-idle-conns",
	"access-log", "access-log-query", "log-level", "watch-interval",
}, trafficFlags...)

// runToExit runs the binary and waits (bounded) for it to exit.
func runToExit(t *testing.T, args []string, env map[string]string, vol *secretVolume) (code int, stderr, stdout string) {
	t.Helper()
	p := launch(t, args, env, vol)
	code = p.waitExit(t, 10*time.Second)
	return code, p.stderr.String(), p.stdout.String()
}

// validArgs is a complete, valid command line except for the flags in drop.
func validArgs(t *testing.T, vol *secretVolume, drop ...string) []string {
	t.Helper()
	var args []string
	for _, kv := range [][2]string{
		{"listen", freeAddr(t)}, {"admin-listen", freeAddr(t)}, {"upstream", "http://" + freeAddr(t)},
		{"tls-dir", vol.dir}, {"drain-delay", "0s"},
	} {
		if !slices.Contains(drop, kv[0]) {
			args = append(args, "--"+kv[0]+"="+kv[1])
		}
	}
	return args
}

// wantOneLine: the process failed at start with exit code want and exactly
// one line on stderr, "proxy: ...", naming every token; nothing on stdout.
func wantOneLine(t *testing.T, code int, stderr, stdout string, want int, tokens ...string) {
	t.Helper()
	if code != want {
		t.Errorf("exit code %d, want %d", code, want)
	}
	if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("want exactly one line on stderr, got %q", stderr)
	}
	if !strings.HasPrefix(stderr, "proxy: ") {
		t.Errorf("stderr %q does not start with %q", stderr, "proxy: ")
	}
	for _, tok := range tokens {
		if !strings.Contains(stderr, tok) {
			t.Errorf("stderr %q does not name %q", stderr, tok)
		}
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", stdout)
	}
}

func TestHelpListsEveryFlagAndItsVariable(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		t.Run(arg, func(t *testing.T) {
			code, stderr, stdout := runToExit(t, []string{arg}, nil, nil)
			if code != 0 {
				t.Fatalf("%s exited %d", arg, code)
			}
			// Go's flag package prints usage on stderr; either stream will do.
			out := stderr + stdout
			for _, f := range allFlags {
				if !strings.Contains(out, "--"+f) || !strings.Contains(out, envName(f)) {
					t.Errorf("help does not list --%s with %s", f, envName(f))
				}
			}
		})
	}
}

// precedence is one flag's pair of values: env through PROXY_*, cli on the
// command line. observe runs against a started proxy and returns which
// value is in effect (env, cli or a description of something else).
type precedence struct {
	flag     string
	env, cli string
	opts     proxyOpts // further setup (args and env of the pair are added)
	observe  func(t *testing.T, p *proxy) string
}

// TestEveryFlagHasAnEnvVarAndTheFlagWins: for every flag, PROXY_<NAME> alone
// takes effect, and the flag given as well wins over it.
func TestEveryFlagHasAnEnvVarAndTheFlagWins(t *testing.T) {
	ca := newCA(t, "contract-ca")
	pairA, pairB := ca.server(t), ca.server(t)
	volA := newSecretVolume(t, secretFiles(pairA, nil))
	volB := newSecretVolume(t, secretFiles(pairB, nil))
	withCA := newSecretVolume(t, secretFiles(pairA, ca.certPEM))
	appA, appB := newApp(t), newApp(t)
	listenA, listenB, adminA, adminB := freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)

	which := func(a, b string, okA, okB bool) string {
		switch {
		case okA && !okB:
			return a
		case okB && !okA:
			return b
		}
		return "both or neither"
	}
	tlsOK := func(p *proxy, addr string) bool {
		_, err := handshake(addr, p.tlsConfig())
		return err == nil
	}
	healthy := func(addr string) bool {
		c := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		resp, err := c.Get("https://" + addr + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}
	// closedWithin reports whether the proxy closes conn within d.
	closedWithin := func(c net.Conn, d time.Duration) bool {
		_ = c.SetReadDeadline(time.Now().Add(d))
		_, err := c.Read(make([]byte, 1))
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return false
		}
		return true
	}

	cases := []precedence{
		{flag: "listen", env: listenA, cli: listenB, observe: func(t *testing.T, p *proxy) string {
			return which(listenA, listenB, tlsOK(p, listenA), tlsOK(p, listenB))
		}},
		{flag: "admin-listen", env: adminA, cli: adminB, observe: func(t *testing.T, p *proxy) string {
			return which(adminA, adminB, healthy(adminA), healthy(adminB))
		}},
		{flag: "upstream", env: appA.url, cli: appB.url, opts: proxyOpts{upstream: appA.url}, observe: func(t *testing.T, p *proxy) string {
			resp, _ := get(t, p.client(t, false), p.url("/"))
			return resp.Header.Get("X-App")
		}},
		{flag: "upstream-protocol", env: "h2c", cli: "http1", observe: func(t *testing.T, p *proxy) string {
			_, out := get(t, p.client(t, false), p.url("/"))
			return map[string]string{"HTTP/2.0": "h2c", "HTTP/1.1": "http1"}[seenBody(t, out).Proto]
		}},
		{flag: "tls-dir", env: volA.dir, cli: volB.dir, opts: proxyOpts{ca: ca, vol: volA}, observe: func(t *testing.T, p *proxy) string {
			leaf, err := p.servedLeaf()
			if err != nil {
				return err.Error()
			}
			return which(volA.dir, volB.dir, leaf.SerialNumber.Cmp(pairA.leaf.SerialNumber) == 0, leaf.SerialNumber.Cmp(pairB.leaf.SerialNumber) == 0)
		}},
		{flag: "admin-tls", env: "false", cli: "true", observe: func(t *testing.T, p *proxy) string {
			return map[string]string{"https": "true", "http": "false"}[p.adminScheme]
		}},
		{flag: "client-auth", env: "require", cli: "none", opts: proxyOpts{ca: ca, vol: withCA, pair: pairA}, observe: func(t *testing.T, p *proxy) string {
			cfg := p.tlsConfig()
			cfg.NextProtos = []string{"http/1.1"}
			if _, err := handshake(p.addr, cfg); err != nil {
				return "require"
			}
			return "none"
		}},
		{flag: "tls-session-resumption", env: "false", cli: "true", observe: func(t *testing.T, p *proxy) string {
			return map[bool]string{true: "true", false: "false"}[p.resumes(t, tls.VersionTLS13, tls.NewLRUClientSessionCache(1))]
		}},
		{flag: "tls-min-version", env: "1.3", cli: "1.2", observe: func(t *testing.T, p *proxy) string {
			return which("1.2", "1.3", tlsVersionServed(p, tls.VersionTLS12), !tlsVersionServed(p, tls.VersionTLS12))
		}},
		{flag: "tls-profile", env: "modern", cli: "intermediate", observe: func(t *testing.T, p *proxy) string {
			return which("intermediate", "modern", tlsVersionServed(p, tls.VersionTLS12), !tlsVersionServed(p, tls.VersionTLS12))
		}},
		{flag: "tls-groups", env: "P-384", cli: "X25519", observe: func(t *testing.T, p *proxy) string {
			only := func(g tls.CurveID) bool {
				cfg := p.tlsConfig()
				cfg.CurvePreferences = []tls.CurveID{g}
				_, err := handshake(p.addr, cfg)
				return err == nil
			}
			return which("P-384", "X25519", only(tls.CurveP384), only(tls.X25519))
		}},
		{flag: "shutdown-timeout", env: "300ms", cli: "10s", observe: func(t *testing.T, p *proxy) string {
			done := make(chan int, 1)
			go func() {
				resp, err := p.client(t, false).Get(p.url("/gate/st"))
				if err != nil {
					done <- 0
					return
				}
				resp.Body.Close()
				done <- resp.StatusCode
			}()
			p.app.waitArrived(t, "st")
			p.signal(syscall.SIGTERM)
			select {
			case <-done:
				return "300ms" // cut before the app answered
			case <-time.After(1500 * time.Millisecond):
			}
			p.app.release("st")
			if code := <-done; code != 200 {
				return "in-flight request ended with " + http.StatusText(code)
			}
			return "10s"
		}},
		{flag: "drain-delay", env: "0s", cli: "30s", observe: func(t *testing.T, p *proxy) string {
			p.signal(syscall.SIGTERM)
			select {
			case <-p.exited:
				return "0s"
			case <-time.After(2 * time.Second):
				return "30s"
			}
		}},
		{flag: "tls-handshake-timeout", env: "300ms", cli: "10s", observe: func(t *testing.T, p *proxy) string {
			c, err := net.Dial("tcp", p.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if closedWithin(c, 1500*time.Millisecond) {
				return "300ms"
			}
			return "10s"
		}},
		{flag: "max-connections", env: "3", cli: "auto", observe: func(t *testing.T, p *proxy) string {
			if max := p.metrics(t).value("proxy_max_connections"); max != 3 {
				return "auto"
			}
			return "3"
		}},
		{flag: "read-header-timeout", env: "300ms", cli: "10s", observe: func(t *testing.T, p *proxy) string {
			c, _ := p.dialTLS(t)
			if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: localhost\r\n")); err != nil {
				t.Fatal(err)
			}
			if closedWithin(c, 1500*time.Millisecond) {
				return "300ms"
			}
			return "10s"
		}},
		{flag: "idle-timeout", env: "300ms", cli: "2m", observe: func(t *testing.T, p *proxy) string {
			c, br := p.dialTLS(t)
			rawRequest(t, c, br, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
			if closedWithin(c, 1500*time.Millisecond) {
				return "300ms"
			}
			return "2m"
		}},
		{flag: "max-header-bytes", env: "4KiB", cli: "1MiB", observe: func(t *testing.T, p *proxy) string {
			req, _ := http.NewRequest("GET", p.url("/"), nil)
			req.Header.Set("X-Big", strings.Repeat("a", 16<<10))
			switch resp, _ := do(t, p.client(t, false), req); resp.StatusCode {
			case http.StatusRequestHeaderFieldsTooLarge:
				return "4KiB"
			case http.StatusOK:
				return "1MiB"
			default:
				return resp.Status
			}
		}},
		{flag: "upstream-max-idle-conns", env: "1", cli: "64", observe: func(t *testing.T, p *proxy) string {
			burst(t, p, p.client(t, false), "a", 4)
			before := p.app.newConns.Load()
			burst(t, p, p.client(t, false), "b", 4)
			// 4 concurrent requests after a burst of 4: with 1 idle
			// connection kept, 3 new ones are needed; with 64, none.
			if p.app.newConns.Load()-before >= 2 {
				return "1"
			}
			return "64"
		}},
		{flag: "access-log", env: "true", cli: "false", observe: func(t *testing.T, p *proxy) string {
			get(t, p.client(t, false), p.url("/access-log-probe"))
			if staysFalse(time.Second, func() bool { return p.countLogs(msgIs("request", "path", "/access-log-probe")) > 0 }) {
				return "false"
			}
			return "true"
		}},
		{flag: "access-log-query", env: "true", cli: "false", opts: proxyOpts{args: []string{"--access-log"}}, observe: func(t *testing.T, p *proxy) string {
			get(t, p.client(t, false), p.url("/access-log-query?q=1"))
			line := p.waitLog(t, 2*time.Second, "the access line", 1, msgIs("request"))
			return map[any]string{"/access-log-query?q=1": "true", "/access-log-query": "false"}[line["path"]]
		}},
		{flag: "log-level", env: "error", cli: "info", observe: func(t *testing.T, p *proxy) string {
			if staysFalse(time.Second, func() bool { return p.countLogs(msgIs("certificate loaded")) > 0 }) {
				return "error"
			}
			return "info"
		}},
		{flag: "watch-interval", env: "0", cli: "200ms", observe: func(t *testing.T, p *proxy) string {
			next := p.ca.server(t)
			p.vol.update(t, secretFiles(next, nil))
			// The default (1s) would also pick it up within this window.
			if staysFalse(2500*time.Millisecond, func() bool {
				leaf, err := p.servedLeaf()
				return err == nil && leaf.SerialNumber.Cmp(next.leaf.SerialNumber) == 0
			}) {
				return "0"
			}
			return "200ms"
		}},
	}
	cases = append(cases, trafficPrecedence(fullBacklogListener(t))...)
	if len(cases) != len(allFlags) {
		t.Fatalf("%d cases for %d flags", len(cases), len(allFlags))
	}
	for _, tc := range cases {
		for _, withFlag := range []bool{false, true} {
			name := tc.flag + "/env"
			if withFlag {
				name = tc.flag + "/flag-wins"
			}
			// A subtest each, so that the first proxy is gone (cleanup)
			// before the second binds the same addresses.
			t.Run(name, func(t *testing.T) {
				o := tc.opts
				o.env = maps.Clone(tc.opts.env)
				if o.env == nil {
					o.env = map[string]string{}
				}
				o.env[envName(tc.flag)] = tc.env
				want := tc.env
				if withFlag {
					o.args = append(slices.Clone(o.args), "--"+tc.flag+"="+tc.cli)
					want = tc.cli
				}
				p := startProxy(t, o)
				if got := tc.observe(t, p); got != want {
					t.Errorf("%s=%s, --%s given: %v: in effect %q, want %q", envName(tc.flag), tc.env, tc.flag, withFlag, got, want)
				}
			})
		}
	}
}

// tlsVersionServed reports whether a client limited to TLS version v is served.
func tlsVersionServed(p *proxy, v uint16) bool {
	_, err := handshake(p.addr, withVersions(p, v, v))
	return err == nil
}

// Kubernetes injects <SERVICE>_PORT-style variables: a Service named
// "proxy" makes PROXY_PORT and friends, which must not stop the proxy.
func TestUnknownProxyVariablesAreIgnored(t *testing.T) {
	p := startProxy(t, proxyOpts{env: map[string]string{
		"PROXY_PORT":              "tcp://127.0.0.1:9",
		"PROXY_PORT_443_TCP_ADDR": "127.0.0.1",
		"PROXY_SERVICE_HOST":      "127.0.0.1",
		"PROXY_SOMETHING_ELSE":    "x",
	}})
	if resp, _ := get(t, p.client(t, false), p.url("/")); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

// TestInvalidValuesExitWithOneLine: a bad flag or PROXY_* value stops the
// process at start with exit code 2 and one line naming the flag (or the
// variable) and what is allowed. The exact wording is free; the named
// tokens are the contract.
func TestInvalidValuesExitWithOneLine(t *testing.T) {
	ca := newCA(t, "contract-ca")
	vol := newSecretVolume(t, secretFiles(ca.server(t), nil))
	cases := []struct {
		flag, value string
		allowed     []string
	}{
		{"listen", "8443", []string{"host:port"}},
		{"listen", "127.0.0.1:99999", []string{"65535"}},
		{"admin-listen", "nowhere", []string{"host:port"}},
		{"upstream", "127.0.0.1:8080", []string{"http://", "https://"}},
		{"upstream", "ftp://127.0.0.1:21", []string{"http://", "https://"}},
		{"upstream", "http://user:secret@127.0.0.1:8080", []string{"user info"}},
		{"upstream", "http://127.0.0.1:8080/?q=1", []string{"query"}},
		{"upstream-protocol", "h3", []string{"http1", "h2c"}},
		{"admin-tls", "maybe", []string{"true", "false"}},
		{"client-auth", "maybe", []string{"none", "request", "require"}},
		{"tls-session-resumption", "off", []string{"true", "false"}},
		{"tls-min-version", "1.1", []string{"1.2", "1.3"}},
		{"tls-min-version", "TLSv1.3", []string{"1.2", "1.3"}},
		{"tls-profile", "old", []string{"intermediate", "modern"}},
		{"tls-groups", "X25519,P-521", []string{"P-521", "X25519MLKEM768", "P-256", "P-384"}},
		{"tls-groups", "", []string{"X25519MLKEM768", "P-256", "P-384"}},
		{"shutdown-timeout", "-1s", []string{"0", "24h"}},
		{"drain-delay", "soon", []string{"duration"}},
		{"read-header-timeout", "25h", []string{"0", "24h"}},
		{"idle-timeout", "forever", []string{"duration"}},
		{"watch-interval", "1", []string{"duration"}},
		{"tls-handshake-timeout", "25h", []string{"0", "24h"}},
		{"max-connections", "0", []string{"auto", "1", "1048576"}},
		{"max-connections", "many", []string{"auto", "1", "1048576"}},
		{"max-header-bytes", "lots", []string{"KiB"}},
		{"max-header-bytes", "10", []string{"1KiB", "64MiB"}},
		{"max-header-bytes", "65MiB", []string{"1KiB", "64MiB"}},
		{"upstream-max-idle-conns", "0", []string{"1", "65536"}},
		{"upstream-max-idle-conns", "many", []string{"1", "65536"}},
		{"access-log", "yes", []string{"true", "false"}},
		{"access-log-query", "yes", []string{"true", "false"}},
		{"log-level", "loud", []string{"debug", "info", "warn", "error"}},
	}
	for _, tc := range cases {
		t.Run(tc.flag+"="+tc.value, func(t *testing.T) {
			args := append(validArgs(t, vol, tc.flag), "--"+tc.flag+"="+tc.value)
			code, stderr, stdout := runToExit(t, args, nil, vol)
			wantOneLine(t, code, stderr, stdout, 2, append([]string{"--" + tc.flag}, tc.allowed...)...)
		})
		t.Run(envName(tc.flag)+"="+tc.value, func(t *testing.T) {
			env := map[string]string{envName(tc.flag): tc.value}
			code, stderr, stdout := runToExit(t, validArgs(t, vol, tc.flag), env, vol)
			wantOneLine(t, code, stderr, stdout, 2, append([]string{envName(tc.flag)}, tc.allowed...)...)
		})
	}
	for _, tc := range []struct {
		name   string
		args   []string
		tokens []string
	}{
		{"empty tls-dir", []string{"--tls-dir="}, []string{"--tls-dir", "directory"}},
		{"unknown flag", []string{"--nope"}, []string{"nope", "--listen", "--watch-interval"}},
		{"positional argument", []string{"extra"}, []string{"extra"}},
		{"missing value", []string{"--listen"}, []string{"listen"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(validArgs(t, vol, "tls-dir", "listen"), tc.args...)
			code, stderr, stdout := runToExit(t, args, nil, vol)
			wantOneLine(t, code, stderr, stdout, 2, tc.tokens...)
		})
	}
}

// TestEveryInvalidValueInOneLine: several bad flags and variables are
// reported together, in the one line, each naming its flag or variable and
// what is allowed, so a manifest is fixed in one round.
func TestEveryInvalidValueInOneLine(t *testing.T) {
	ca := newCA(t, "contract-ca")
	vol := newSecretVolume(t, secretFiles(ca.server(t), nil))
	args := append(validArgs(t, vol), "--client-auth=maybe", "--tls-profile=old")
	code, stderr, stdout := runToExit(t, args, map[string]string{"PROXY_DRAIN_DELAY": "soon"}, vol)
	wantOneLine(t, code, stderr, stdout, 2, "3 problems", "--client-auth", "none", "require",
		"--tls-profile", "intermediate", "modern", "PROXY_DRAIN_DELAY", "--drain-delay", "duration")
}

// TestBrokenCertificateFilesExitWithOneLine: unreadable or broken files in
// --tls-dir stop the process at start with exit code 1 and one line naming
// the file; key material is never quoted (checked for every run).
func TestBrokenCertificateFilesExitWithOneLine(t *testing.T) {
	ca := newCA(t, "contract-ca")
	good, other := ca.server(t), ca.server(t)
	plainDir := func(files map[string][]byte, dirs ...string) *secretVolume {
		dir := t.TempDir()
		v := &secretVolume{dir: dir}
		for name, b := range files {
			must(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
			v.keys = append(v.keys, b)
		}
		for _, d := range dirs {
			must(t, os.Mkdir(filepath.Join(dir, d), 0o755))
		}
		return v
	}
	missing := filepath.Join(t.TempDir(), "absent")
	cases := []struct {
		name   string
		vol    *secretVolume
		args   []string
		tokens []string // paths relative to the volume are prefixed with its dir
	}{
		{"no such directory", &secretVolume{dir: missing}, nil, []string{missing + "/tls.crt"}},
		{"no tls.key", newSecretVolume(t, map[string][]byte{certFile: good.certPEM}), nil, []string{"/tls.key"}},
		{"tls.key unreadable", plainDir(map[string][]byte{certFile: good.certPEM}, keyFile), nil, []string{"/tls.key"}},
		{"key does not match", newSecretVolume(t, map[string][]byte{certFile: good.certPEM, keyFile: other.keyPEM}), nil, []string{"/tls.key"}},
		{"garbage tls.crt", newSecretVolume(t, map[string][]byte{certFile: []byte("junk\n"), keyFile: good.keyPEM}), nil, []string{"/tls.crt"}},
		{"garbage tls.key", newSecretVolume(t, map[string][]byte{certFile: good.certPEM, keyFile: []byte("junk\n")}), nil, []string{"/tls.key"}},
		{"files swapped", newSecretVolume(t, map[string][]byte{certFile: good.keyPEM, keyFile: good.certPEM}), nil, []string{"/tls.crt"}},
		{"garbage ca.crt", newSecretVolume(t, secretFiles(good, []byte("junk\n"))), nil, []string{"/ca.crt"}},
		{"request without ca.crt", newSecretVolume(t, secretFiles(good, nil)), []string{"--client-auth=request"}, []string{"/ca.crt", "--client-auth"}},
		{"require without ca.crt", newSecretVolume(t, secretFiles(good, nil)), []string{"--client-auth=require"}, []string{"/ca.crt", "--client-auth"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var tokens []string
			for _, tok := range tc.tokens {
				if strings.HasPrefix(tok, "/") && !strings.HasPrefix(tok, tc.vol.dir) {
					tok = tc.vol.dir + tok
				}
				tokens = append(tokens, tok)
			}
			code, stderr, stdout := runToExit(t, append(validArgs(t, tc.vol), tc.args...), nil, tc.vol)
			wantOneLine(t, code, stderr, stdout, 1, tokens...)
		})
	}
}

// TestTakenPortExitsWithOneLine: a port in use stops the process with exit
// code 1 and one line naming the flag and the address.
func TestTakenPortExitsWithOneLine(t *testing.T) {
	ca := newCA(t, "contract-ca")
	vol := newSecretVolume(t, secretFiles(ca.server(t), nil))
	for _, flag := range []string{"listen", "admin-listen"} {
		t.Run(flag, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			addr := ln.Addr().String()
			args := append(validArgs(t, vol, flag), "--"+flag+"="+addr)
			code, stderr, stdout := runToExit(t, args, nil, vol)
			wantOneLine(t, code, stderr, stdout, 1, "--"+flag+" ", addr)
		})
	}
}
