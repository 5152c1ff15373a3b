package main

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"
)

func handshake(addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	d := &net.Dialer{Timeout: 3 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	// TLS 1.3 client-cert failures surface on the first read, not in Dial.
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		return c.ConnectionState(), err
	}
	buf := make([]byte, 12)
	if _, err := c.Read(buf); err != nil {
		return c.ConnectionState(), err
	}
	return c.ConnectionState(), nil
}

func TestTLSVersionsAndMozillaIntermediateSuites(t *testing.T) {
	h := startProxy(t, harnessOpts{})
	addr := h.srv.Addr().String()

	cfg := h.tlsConfig()
	cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS13, tls.VersionTLS13
	if st, err := handshake(addr, cfg); err != nil || st.Version != tls.VersionTLS13 {
		t.Fatalf("TLS 1.3: %v (version %x)", err, st.Version)
	}
	cfg = h.tlsConfig()
	cfg.MaxVersion = tls.VersionTLS12
	if st, err := handshake(addr, cfg); err != nil || st.Version != tls.VersionTLS12 ||
		st.CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 {
		t.Fatalf("TLS 1.2: %v (version %x suite %s)", err, st.Version, tls.CipherSuiteName(st.CipherSuite))
	}
	cfg = h.tlsConfig()
	cfg.MaxVersion = tls.VersionTLS12
	cfg.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}
	if _, err := handshake(addr, cfg); err != nil {
		t.Fatalf("TLS 1.2 chacha20 (intermediate): %v", err)
	}
	// Not in the intermediate profile: CBC and TLS 1.1.
	cfg = h.tlsConfig()
	cfg.MaxVersion = tls.VersionTLS12
	cfg.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}
	if _, err := handshake(addr, cfg); err == nil {
		t.Fatal("CBC suite accepted, want handshake failure")
	}
	cfg = h.tlsConfig()
	cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS11, tls.VersionTLS11
	if _, err := handshake(addr, cfg); err == nil {
		t.Fatal("TLS 1.1 accepted")
	}
	waitFor(t, 5*time.Second, "handshake errors counted", func() bool {
		v, _ := metricValue(h.metrics(), "proxy_tls_handshake_errors_total")
		return v == "2"
	})
}

func TestClientAuthModes(t *testing.T) {
	ca := newTestCA(t, "test-ca")
	other := newTestCA(t, "other-ca")
	srvCert, srvKey, _ := ca.issue(t, "localhost", leafOpts{})
	files := tlsFiles(srvCert, srvKey, ca.certPEM)
	good := ca.clientCert(t, "good-client")
	bad := other.clientCert(t, "stranger")

	cases := []struct {
		mode                    string
		none, withGood, withBad bool // handshake should succeed
	}{
		{"none", true, true, true},
		{"request", true, true, false},
		{"require", false, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			h := startProxy(t, harnessOpts{ca: ca, files: files, args: []string{"--client-auth=" + tc.mode}})
			addr := h.srv.Addr().String()
			try := func(cert *tls.Certificate, want bool, what string) {
				for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
					cfg := h.tlsConfig()
					cfg.MaxVersion = v
					if cert != nil {
						// Present it even when its issuer is not among the
						// server's acceptable CAs (a Go client would not).
						cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
					}
					_, err := handshake(addr, cfg)
					if (err == nil) != want {
						t.Errorf("%s over %s: err=%v, want success=%v", what, tls.VersionName(v), err, want)
					}
				}
			}
			try(nil, tc.none, "no client cert")
			try(&good, tc.withGood, "cert from ca.crt")
			try(&bad, tc.withBad, "cert from another CA")
			// The admin listener never asks for a client certificate.
			if code, _, _ := h.get(h.client(false), h.adminURL+"/healthz"); code != 200 {
				t.Errorf("admin /healthz = %d without client cert", code)
			}
		})
	}
}

func TestClientAuthWithoutCAIsStartupError(t *testing.T) {
	ca := newTestCA(t, "test-ca")
	c, k, _ := ca.issue(t, "localhost", leafOpts{})
	dir := t.TempDir()
	kubeletWrite(t, dir, tlsFiles(c, k, nil))
	for _, mode := range []string{"request", "require"} {
		_, err := NewServer(mustConfig(t, "--tls-dir="+dir, "--client-auth="+mode), discardLogger())
		if err == nil || !strings.Contains(err.Error(), "ca.crt") || !strings.Contains(err.Error(), "--client-auth="+mode) {
			t.Fatalf("mode %s: err = %v, want one naming ca.crt and the flag", mode, err)
		}
	}
}

func TestClientCAReloadTakesEffect(t *testing.T) {
	ca := newTestCA(t, "test-ca")
	other := newTestCA(t, "other-ca")
	srvCert, srvKey, _ := ca.issue(t, "localhost", leafOpts{})
	h := startProxy(t, harnessOpts{ca: ca, files: tlsFiles(srvCert, srvKey, ca.certPEM), args: []string{"--client-auth=require"}})
	stranger := other.clientCert(t, "stranger")
	cfg := h.tlsConfig()
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &stranger, nil }
	if _, err := handshake(h.srv.Addr().String(), cfg); err == nil {
		t.Fatal("stranger accepted before CA rotation")
	}
	// Trust both CAs now.
	kubeletWrite(t, h.dir, tlsFiles(srvCert, srvKey, append(append([]byte{}, ca.certPEM...), other.certPEM...)))
	waitFor(t, 5*time.Second, "new client CA accepted", func() bool {
		_, err := handshake(h.srv.Addr().String(), cfg)
		return err == nil
	})
}
