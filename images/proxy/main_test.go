package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// child runs this test binary as the real program (see TestMain).
func child(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "PROXY_TEST_RUN_MAIN=1"), env...)
	return cmd
}

func TestStartupFailuresExitNonZeroWithOneLine(t *testing.T) {
	ca := newTestCA(t, "test-ca")
	c, k, _ := ca.issue(t, "localhost", leafOpts{})
	_, k2, _ := ca.issue(t, "localhost", leafOpts{})

	mismatched := t.TempDir()
	kubeletWrite(t, mismatched, tlsFiles(c, k2, nil))
	noKey := t.TempDir()
	os.WriteFile(filepath.Join(noKey, certFile), c, 0o644)
	unreadable := t.TempDir()
	os.WriteFile(filepath.Join(unreadable, certFile), c, 0o644)
	os.Mkdir(filepath.Join(unreadable, keyFile), 0o755) // a directory: read fails
	badCA := t.TempDir()
	kubeletWrite(t, badCA, tlsFiles(c, k, []byte("junk")))
	good := t.TempDir()
	kubeletWrite(t, good, tlsFiles(c, k, nil))

	cases := []struct {
		name string
		env  []string
		args []string
		code int
		want []string
	}{
		{"bad flag", nil, []string{"--client-auth=yes"}, 2, []string{"--client-auth", "none|request|require"}},
		{"bad env", []string{"PROXY_IDLE_TIMEOUT=forever"}, nil, 2, []string{"PROXY_IDLE_TIMEOUT"}},
		{"missing dir", nil, []string{"--tls-dir=/nonexistent/tls"}, 1, []string{"--tls-dir", "/nonexistent/tls/tls.crt", "does not exist"}},
		{"mismatched pair", nil, []string{"--tls-dir=" + mismatched}, 1, []string{"tls.key", "private key does not match public key"}},
		{"no key", nil, []string{"--tls-dir=" + noKey}, 1, []string{"tls.key", "does not exist"}},
		{"unreadable key", nil, []string{"--tls-dir=" + unreadable}, 1, []string{"tls.key", "cannot read"}},
		{"bad ca", nil, []string{"--tls-dir=" + badCA}, 1, []string{"ca.crt", "no PEM CERTIFICATE"}},
		{"port in use", nil, []string{"--tls-dir=" + good, "--listen=127.0.0.1:0", "--admin-listen=" + takenPort(t)}, 1, []string{"--admin-listen"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			cmd := child(t, tc.env, tc.args...)
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := cmd.ProcessState.ExitCode()
			if err == nil || code != tc.code {
				t.Fatalf("exit %d (%v), want %d; stderr %q", code, err, tc.code, stderr.String())
			}
			out := strings.TrimRight(stderr.String(), "\n")
			if strings.Count(out, "\n") != 0 || !strings.HasPrefix(out, "proxy: ") {
				t.Fatalf("want exactly one line starting 'proxy: ', got %q", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("%q lacks %q", out, w)
				}
			}
			if strings.Contains(out, "PRIVATE KEY") || strings.Contains(out, "BEGIN") {
				t.Errorf("key material in error: %q", out)
			}
		})
	}
}

func takenPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// TestSignalsOnRealProcess: SIGHUP reloads, SIGTERM drains and exits 0.
func TestSignalsOnRealProcess(t *testing.T) {
	ca := newTestCA(t, "test-ca")
	c, k, _ := ca.issue(t, "localhost", leafOpts{})
	dir := t.TempDir()
	kubeletWrite(t, dir, tlsFiles(c, k, nil))
	up := newUpstream(t)

	cmd := child(t, []string{"PROXY_UPSTREAM=" + up.URL, "PROXY_DRAIN_DELAY=100ms"},
		"--tls-dir="+dir, "--listen=127.0.0.1:0", "--admin-listen=127.0.0.1:0", "--watch-interval=0")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan map[string]any, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				t.Errorf("non-JSON log line: %q", sc.Text())
				continue
			}
			lines <- m
		}
		close(lines)
	}()
	next := func(msg string) map[string]any {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case m, ok := <-lines:
				if !ok {
					t.Fatalf("process ended before %q", msg)
				}
				if m["msg"] == msg {
					return m
				}
			case <-deadline:
				t.Fatalf("no %q log line", msg)
			}
		}
	}
	if m := next("certificate loaded"); m["reason"] != "startup" || m["serial"] == "" || m["not_after"] == "" {
		t.Fatalf("startup load line: %v", m)
	}
	addr := next("serving")["listen"].(string)

	cl := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool(), ServerName: "localhost"}}}
	resp, err := cl.Get("https://" + addr + "/x")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	c2, k2, serial := ca.issue(t, "localhost", leafOpts{})
	kubeletWrite(t, dir, tlsFiles(c2, k2, nil))
	cmd.Process.Signal(syscall.SIGHUP)
	if m := next("certificate loaded"); m["reason"] != "sighup" || m["serial"] != serial.Text(16) {
		t.Fatalf("sighup reload line: %v", m)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	next("draining: readiness now fails")
	next("shutdown complete")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
}
