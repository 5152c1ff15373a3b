package proxycontract

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// reloadLimit bounds "served within a few seconds" after a Secret update
// (the default --watch-interval is 1s).
const reloadLimit = 5 * time.Second

// TestReloadOnSecretUpdate: kubelet's atomic ..data swap to a new pair is
// served to new handshakes within a few seconds, with the default watch
// interval; an established keep-alive connection goes on working.
func TestReloadOnSecretUpdate(t *testing.T) {
	p := startProxy(t, proxyOpts{})
	c := p.client(t, false)
	get(t, c, p.url("/before"))

	next := p.ca.server(t)
	p.vol.update(t, secretFiles(next, nil))
	p.waitServed(t, reloadLimit, next.leaf)

	if resp, _ := get(t, c, p.url("/after")); resp.StatusCode != 200 {
		t.Errorf("the keep-alive connection from before the reload: %d", resp.StatusCode)
	}
	m := p.metrics(t)
	if m.value(`proxy_cert_reloads_total{result="success"}`) != 2 ||
		m.value("proxy_cert_expiry_timestamp_seconds") != float64(next.leaf.NotAfter.Unix()) {
		t.Errorf("after the reload: reloads %v, expiry %v (want 2, %d)", m.value(`proxy_cert_reloads_total{result="success"}`),
			m.value("proxy_cert_expiry_timestamp_seconds"), next.leaf.NotAfter.Unix())
	}
	p.waitLog(t, time.Second, "the reload", 1, msgIs("certificate loaded", "reason", "watch", "serial", fmt.Sprintf("%x", next.leaf.SerialNumber)))
}

// TestReloadOfFilesRewrittenInPlace: plain files (not kubelet's symlinks)
// overwritten in place are picked up too.
func TestReloadOfFilesRewrittenInPlace(t *testing.T) {
	ca := newCA(t, "contract-ca")
	old := ca.server(t)
	vol := &secretVolume{dir: t.TempDir(), keys: [][]byte{old.keyPEM}}
	write := func(kp keyPair) {
		must(t, os.WriteFile(filepath.Join(vol.dir, keyFile), kp.keyPEM, 0o600))
		must(t, os.WriteFile(filepath.Join(vol.dir, certFile), kp.certPEM, 0o644))
	}
	write(old)
	p := startProxy(t, proxyOpts{ca: ca, pair: old, vol: vol})
	next := ca.server(t)
	vol.keys = append(vol.keys, next.keyPEM)
	write(next)
	p.waitServed(t, reloadLimit, next.leaf)
}

// TestReloadOnSIGHUP: with --watch-interval=0 nothing is polled; SIGHUP
// reloads at once.
func TestReloadOnSIGHUP(t *testing.T) {
	p := startProxy(t, proxyOpts{args: []string{"--watch-interval=0"}})
	next := p.ca.server(t)
	p.vol.update(t, secretFiles(next, nil))
	if !staysFalse(1500*time.Millisecond, func() bool {
		leaf, err := p.servedLeaf()
		return err == nil && leaf.Equal(next.leaf)
	}) {
		t.Fatal("reloaded without SIGHUP although --watch-interval=0")
	}
	p.signal(syscall.SIGHUP)
	p.waitServed(t, 3*time.Second, next.leaf)
	p.waitLog(t, time.Second, "the SIGHUP reload", 1, msgIs("certificate loaded", "reason", "sighup", "serial", fmt.Sprintf("%x", next.leaf.SerialNumber)))
}

// TestBrokenUpdateKeepsTheServedCertificate: a new pair that does not
// validate is rejected: the old certificate keeps serving, requests keep
// working, the failure is counted and logged at error level; the same
// broken files are not retried on every tick; a good pair afterwards is
// taken.
func TestBrokenUpdateKeepsTheServedCertificate(t *testing.T) {
	p := startProxy(t, proxyOpts{args: []string{"--watch-interval=200ms"}})
	c := p.client(t, false)
	a, b := p.ca.server(t), p.ca.server(t)
	expired := p.ca.issue(t, certSpec{notBefore: time.Now().Add(-2 * time.Hour), notAfter: time.Now().Add(-time.Hour)})
	failures := func() float64 { return p.metrics(t).value(`proxy_cert_reloads_total{result="failure"}`) }
	isFailure := msgIs("certificate reload failed, keeping the current certificate", "level", "ERROR")
	for i, tc := range []struct {
		name  string
		files map[string][]byte
	}{
		{"key does not match", map[string][]byte{certFile: a.certPEM, keyFile: b.keyPEM}},
		{"garbage certificate", map[string][]byte{certFile: []byte("not a certificate\n"), keyFile: a.keyPEM}},
		{"empty key", map[string][]byte{certFile: a.certPEM, keyFile: {}}},
		{"no key", map[string][]byte{certFile: a.certPEM}},
		{"expired certificate", secretFiles(expired, nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.vol.update(t, tc.files)
			waitFor(t, reloadLimit, "the failure counted", func() bool { return failures() == float64(i+1) })
			p.waitLog(t, time.Second, "the failure", i+1, isFailure)
			if leaf, err := p.servedLeaf(); err != nil || !leaf.Equal(p.pair.leaf) {
				t.Fatalf("served %v (%v), want the old certificate", leaf, err)
			}
			if resp, _ := get(t, c, p.url("/still")); resp.StatusCode != 200 {
				t.Fatalf("request after a broken update: %d", resp.StatusCode)
			}
		})
	}
	if !staysFalse(time.Second, func() bool { return failures() > 5 }) {
		t.Error("the same broken files are retried without a change")
	}
	if v := p.metrics(t).value("proxy_ready"); v != 1 {
		t.Errorf("proxy_ready = %v while the old certificate serves", v)
	}
	p.vol.update(t, secretFiles(a, nil))
	p.waitServed(t, reloadLimit, a.leaf)
}

// TestSessionResumptionSurvivesReload: a TLS session from before a
// certificate reload still resumes after it (session tickets are not tied
// to the certificate generation).
func TestSessionResumptionSurvivesReload(t *testing.T) {
	p := startProxy(t, proxyOpts{args: []string{"--watch-interval=200ms"}})
	caches := map[uint16]tls.ClientSessionCache{}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		caches[v] = tls.NewLRUClientSessionCache(4)
		if !p.resumes(t, v, caches[v]) {
			t.Fatalf("%s: no session resumption at all", tls.VersionName(v))
		}
	}
	next := p.ca.server(t)
	p.vol.update(t, secretFiles(next, nil))
	p.waitServed(t, reloadLimit, next.leaf)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		if st, err := p.handshakeWith(v, caches[v]); err != nil || !st.DidResume {
			t.Errorf("%s: the session from before the reload did not resume (%v)", tls.VersionName(v), err)
		}
	}
}

// TestSessionResumptionOff: with --tls-session-resumption=false no version
// resumes, neither by ticket nor by session ID, and handshakes still work.
func TestSessionResumptionOff(t *testing.T) {
	p := startProxy(t, proxyOpts{args: []string{"--tls-session-resumption=false"}})
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		if p.resumes(t, v, tls.NewLRUClientSessionCache(4)) {
			t.Errorf("%s: a session resumed with --tls-session-resumption=false", tls.VersionName(v))
		}
	}
}

// handshakeWith completes one handshake at exactly version v, keeping
// sessions in cache.
func (p *proxy) handshakeWith(v uint16, cache tls.ClientSessionCache) (tls.ConnectionState, error) {
	cfg := withVersions(p, v, v)
	cfg.ClientSessionCache = cache
	return handshake(p.addr, cfg)
}

// resumes: a second handshake at version v resumes the session the first
// left in cache (a fresh one). Either handshake failing fails the test.
func (p *proxy) resumes(t *testing.T, v uint16, cache tls.ClientSessionCache) bool {
	t.Helper()
	for i := range 2 {
		st, err := p.handshakeWith(v, cache)
		if err != nil {
			t.Fatalf("%s handshake %d: %v", tls.VersionName(v), i+1, err)
		}
		if i == 1 {
			return st.DidResume
		}
	}
	return false
}
