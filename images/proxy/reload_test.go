package main

import (
	"context"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func waitForSerial(t *testing.T, h *harness, want *big.Int) {
	t.Helper()
	waitFor(t, 5*time.Second, "serial "+want.String()+" served", func() bool {
		got, err := h.servedSerial()
		return err == nil && got.Cmp(want) == 0
	})
}

func TestReloadUnderConcurrentLoadHasZeroFailures(t *testing.T) {
	h := startProxy(t, harnessOpts{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var ok, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for i := range 8 {
		// Half the workers keep connections alive across the reload (in-flight
		// connections must be unaffected), half handshake on every request
		// (new connections must get a valid certificate at every instant).
		c := h.client(i%4 == 0)
		if i%2 == 1 {
			c.Transport.(*http.Transport).DisableKeepAlives = true
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 5000 && ctx.Err() == nil; n++ {
				resp, err := c.Get(h.url + "/load")
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != 200 {
						err = &statusErr{resp.StatusCode}
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				ok.Add(1)
			}
		}()
	}

	for range 3 {
		before := ok.Load()
		waitFor(t, 5*time.Second, "requests flowing", func() bool { return ok.Load() > before+50 })
		c, k, serial := h.ca.issue(t, "localhost", leafOpts{})
		kubeletWrite(t, h.dir, tlsFiles(c, k, nil))
		waitForSerial(t, h, serial)
		if !strings.Contains(h.logs.String(), `"serial":"`+serial.Text(16)+`"`) {
			t.Fatalf("no reload log line with serial %x", serial)
		}
	}
	cancel()
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d of %d requests failed during reloads; first: %v", failed.Load(), ok.Load()+failed.Load(), firstErr.Load())
	}
	if v, _ := metricValue(h.metrics(), `proxy_cert_reloads_total{result="success"}`); v != "4" {
		t.Fatalf("reload successes = %q, want 4 (startup + 3)", v)
	}
	t.Logf("%d requests, 0 failures across 3 reloads", ok.Load())
}

type statusErr struct{ code int }

func (s *statusErr) Error() string { return http.StatusText(s.code) }

func TestBrokenReloadKeepsServingOldCert(t *testing.T) {
	h := startProxy(t, harnessOpts{})
	cOld, kOld := mustRead(t, h.dir, certFile), mustRead(t, h.dir, keyFile)
	cNew, kNew, _ := h.ca.issue(t, "localhost", leafOpts{})
	_, kOther, _ := h.ca.issue(t, "localhost", leafOpts{})
	expC, expK, _ := h.ca.issue(t, "localhost", leafOpts{notBefore: time.Now().Add(-2 * time.Hour), notAfter: time.Now().Add(-time.Hour)})

	broken := []struct {
		name  string
		files map[string][]byte
		why   string
	}{
		{"key does not match", tlsFiles(cNew, kOther, nil), "private key does not match"},
		{"garbage cert", tlsFiles([]byte("not a certificate"), kNew, nil), "invalid key pair"},
		{"empty key", tlsFiles(cNew, []byte{}, nil), "invalid key pair"},
		{"expired", tlsFiles(expC, expK, nil), "expired"},
	}
	client := h.client(false)
	for i, b := range broken {
		kubeletWrite(t, h.dir, b.files)
		want := `"certificate reload failed`
		waitFor(t, 5*time.Second, "failure logged for "+b.name, func() bool {
			return strings.Count(h.logs.String(), want) == i+1
		})
		if !strings.Contains(h.logs.String(), b.why) {
			t.Fatalf("%s: log lacks %q", b.name, b.why)
		}
		got, err := h.servedSerial()
		if err != nil || got.Cmp(h.serial) != 0 {
			t.Fatalf("%s: served serial %v (%v), want old %v", b.name, got, err, h.serial)
		}
		if code, _, _ := h.get(client, h.url+"/"); code != 200 {
			t.Fatalf("%s: request failed with %d", b.name, code)
		}
	}
	if v, _ := metricValue(h.metrics(), `proxy_cert_reloads_total{result="failure"}`); v != "4" {
		t.Fatalf("failure count %q, want 4", v)
	}
	// Restoring a good pair is picked up again.
	kubeletWrite(t, h.dir, tlsFiles(cOld, kOld, nil))
	cGood, kGood, serial := h.ca.issue(t, "localhost", leafOpts{})
	kubeletWrite(t, h.dir, tlsFiles(cGood, kGood, nil))
	waitForSerial(t, h, serial)
}

func TestInPlaceFileRewriteIsDetected(t *testing.T) {
	// Not kubelet: plain files rewritten in place (e.g. docker bind mounts).
	ca := newTestCA(t, "test-ca")
	c, k, _ := ca.issue(t, "localhost", leafOpts{})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, certFile), c, 0o644)
	os.WriteFile(filepath.Join(dir, keyFile), k, 0o600)
	h := startProxy(t, harnessOpts{ca: ca, files: map[string][]byte{}, args: []string{"--tls-dir=" + dir}})
	h.dir = dir
	c2, k2, serial := ca.issue(t, "localhost", leafOpts{})
	os.WriteFile(filepath.Join(dir, keyFile), k2, 0o600)
	os.WriteFile(filepath.Join(dir, certFile), c2, 0o644)
	waitForSerial(t, h, serial)
}

func TestReloadMethodLikeSIGHUP(t *testing.T) {
	h := startProxy(t, harnessOpts{args: []string{"--watch-interval=0"}})
	c, k, serial := h.ca.issue(t, "localhost", leafOpts{})
	kubeletWrite(t, h.dir, tlsFiles(c, k, nil))
	time.Sleep(100 * time.Millisecond) // nothing polls with --watch-interval=0
	if got, _ := h.servedSerial(); got.Cmp(h.serial) != 0 {
		t.Fatalf("reloaded without a signal")
	}
	if err := h.srv.certs.Reload("sighup"); err != nil {
		t.Fatal(err)
	}
	waitForSerial(t, h, serial)
	if !strings.Contains(h.logs.String(), `"reason":"sighup"`) || !strings.Contains(h.logs.String(), `"not_after":`) {
		t.Fatalf("reload log line lacks reason/not_after: %s", h.logs.String())
	}
}

func mustRead(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
