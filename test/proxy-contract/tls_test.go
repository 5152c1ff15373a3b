package proxycontract

import (
	"crypto/tls"
	"net/http"
	"testing"
)

// withVersions returns p's client config limited to TLS versions min..max.
func withVersions(p *proxy, min, max uint16) *tls.Config {
	cfg := p.tlsConfig()
	cfg.MinVersion, cfg.MaxVersion = min, max
	return cfg
}

func TestTLSVersions(t *testing.T) {
	p := startProxy(t, proxyOpts{})
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		st, err := handshake(p.addr, withVersions(p, v, v))
		if err != nil || st.Version != v {
			t.Errorf("%s: %v (negotiated %s)", tls.VersionName(v), err, tls.VersionName(st.Version))
		}
	}
	// Which alert a refusal sends is the TLS library's business; only that
	// the handshake fails is the contract.
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		if _, err := handshake(p.addr, withVersions(p, v, v)); err == nil {
			t.Errorf("%s accepted, want a failed handshake", tls.VersionName(v))
		}
	}
}

// TestTLS12CipherSuites: Mozilla "intermediate" for TLS 1.2: ECDHE with
// AES-GCM or ChaCha20-Poly1305; no CBC, no static RSA key exchange.
func TestTLS12CipherSuites(t *testing.T) {
	for _, tc := range []struct {
		name     string
		key      keyKind
		accepted []uint16
		refused  []uint16
	}{
		{"ECDSA", ecPKCS8,
			[]uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256},
			[]uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256}},
		{"RSA", rsaPKCS1,
			[]uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256},
			[]uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_RSA_WITH_AES_128_CBC_SHA}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ca := newCA(t, "contract-ca")
			pair := ca.issue(t, certSpec{key: tc.key})
			p := startProxy(t, proxyOpts{ca: ca, pair: pair})
			for _, s := range tc.accepted {
				cfg := withVersions(p, tls.VersionTLS12, tls.VersionTLS12)
				cfg.CipherSuites = []uint16{s}
				if st, err := handshake(p.addr, cfg); err != nil || st.CipherSuite != s {
					t.Errorf("%s refused: %v", tls.CipherSuiteName(s), err)
				}
			}
			for _, s := range tc.refused {
				cfg := withVersions(p, tls.VersionTLS12, tls.VersionTLS12)
				cfg.CipherSuites = []uint16{s}
				if _, err := handshake(p.addr, cfg); err == nil {
					t.Errorf("%s accepted", tls.CipherSuiteName(s))
				}
			}
		})
	}
}

// TestKeyExchangeGroups: X25519MLKEM768 (TLS 1.3), X25519, P-256 and P-384
// are accepted, each offered alone; P-521 is not in the profile.
func TestKeyExchangeGroups(t *testing.T) {
	p := startProxy(t, proxyOpts{})
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		groups := []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384}
		if v == tls.VersionTLS13 {
			groups = append(groups, tls.X25519MLKEM768)
		}
		for _, g := range groups {
			cfg := withVersions(p, v, v)
			cfg.CurvePreferences = []tls.CurveID{g}
			if _, err := handshake(p.addr, cfg); err != nil {
				t.Errorf("%s with only %s: %v", tls.VersionName(v), g, err)
			}
		}
		cfg := withVersions(p, v, v)
		cfg.CurvePreferences = []tls.CurveID{tls.CurveP521}
		if _, err := handshake(p.addr, cfg); err == nil {
			t.Errorf("%s with only P-521 accepted", tls.VersionName(v))
		}
	}
}

// TestServedCertificateIsTheWholeChainInTLSCrt: the client gets tls.crt's
// leaf and intermediate, and verifies them against the root alone.
func TestServedCertificateIsTheWholeChainInTLSCrt(t *testing.T) {
	root := newCA(t, "contract-root")
	inter := root.intermediate(t, "contract-intermediate")
	pair := inter.issue(t, certSpec{})
	p := startProxy(t, proxyOpts{ca: root, pair: pair})
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		st, err := handshake(p.addr, withVersions(p, v, v))
		if err != nil {
			t.Fatalf("%s: %v", tls.VersionName(v), err)
		}
		if n := len(st.PeerCertificates); n != 2 {
			t.Fatalf("%s: %d certificates served, want leaf and intermediate", tls.VersionName(v), n)
		}
		if !st.PeerCertificates[0].Equal(pair.leaf) || !st.PeerCertificates[1].Equal(inter.cert) {
			t.Errorf("%s: served %s / %s, want the leaf then the intermediate", tls.VersionName(v),
				st.PeerCertificates[0].Subject, st.PeerCertificates[1].Subject)
		}
	}
}

// TestKeyFormats: tls.key may be PKCS#8 (EC or RSA), SEC 1 ("EC PRIVATE
// KEY") or PKCS#1 ("RSA PRIVATE KEY", cert-manager's default for RSA).
func TestKeyFormats(t *testing.T) {
	ca := newCA(t, "contract-ca")
	for _, tc := range []struct {
		name string
		kind keyKind
	}{{"EC PKCS#8", ecPKCS8}, {"EC SEC 1", ecSEC1}, {"RSA PKCS#1", rsaPKCS1}, {"RSA PKCS#8", rsaPKCS8}} {
		t.Run(tc.name, func(t *testing.T) {
			pair := ca.issue(t, certSpec{key: tc.kind})
			p := startProxy(t, proxyOpts{ca: ca, pair: pair})
			if leaf, err := p.servedLeaf(); err != nil || !leaf.Equal(pair.leaf) {
				t.Fatalf("served %v, %v; want the pair's certificate", leaf, err)
			}
		})
	}
}

// TestALPN: h2 and http/1.1 are both offered; a client without ALPN gets
// HTTP/1.1. The app is always spoken to in HTTP/1.1.
func TestALPN(t *testing.T) {
	p := startProxy(t, proxyOpts{})
	for _, tc := range []struct {
		name      string
		protos    []string
		wantALPN  string
		wantProto string
	}{
		{"h2 and http/1.1 offered", []string{"h2", "http/1.1"}, "h2", "HTTP/2.0"},
		{"http/1.1 only", []string{"http/1.1"}, "http/1.1", "HTTP/1.1"},
		{"no ALPN", nil, "", "HTTP/1.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := p.tlsConfig()
			tr := &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: tc.wantALPN == "h2"}
			// http.Transport fills NextProtos itself; set them afterwards.
			tr.TLSClientConfig.NextProtos = tc.protos
			defer tr.CloseIdleConnections()
			resp, _ := get(t, &http.Client{Transport: tr}, p.url("/alpn"))
			if resp.StatusCode != 200 || resp.TLS.NegotiatedProtocol != tc.wantALPN || resp.Proto != tc.wantProto {
				t.Fatalf("status %d, ALPN %q, proto %s; want 200, %q, %s", resp.StatusCode,
					resp.TLS.NegotiatedProtocol, resp.Proto, tc.wantALPN, tc.wantProto)
			}
			if seen := p.app.lastSeen(t); seen.Proto != "HTTP/1.1" || seen.URI != "/alpn" {
				t.Fatalf("the app saw %s %s", seen.Proto, seen.URI)
			}
		})
	}
}
