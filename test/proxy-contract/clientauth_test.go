package proxycontract

import (
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
)

// presenting returns p's client config that presents cert whenever the
// server asks (even when its issuer is not among the server's acceptable
// CAs, where a Go client would send nothing), recording that it was asked.
func presenting(cfg *tls.Config, cert *tls.Certificate, asked *bool) *tls.Config {
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		*asked = true
		if cert == nil {
			return &tls.Certificate{}, nil
		}
		return cert, nil
	}
	return cfg
}

// clientAuthProxy starts a proxy whose volume has ca.crt = caPEM.
func clientAuthProxy(t *testing.T, ca *testCA, caPEM []byte, mode string) *proxy {
	t.Helper()
	pair := ca.server(t)
	return startProxy(t, proxyOpts{ca: ca, pair: pair, vol: newSecretVolume(t, secretFiles(pair, caPEM)), args: []string{"--client-auth=" + mode}})
}

// TestClientAuthModes: none never asks for a client certificate; request
// asks and verifies one if sent; require fails the handshake without a
// certificate from ca.crt. Over TLS 1.2 and 1.3.
func TestClientAuthModes(t *testing.T) {
	ca, other := newCA(t, "contract-ca"), newCA(t, "other-ca")
	good := ca.issue(t, certSpec{cn: "good", client: true}).tls
	stranger := other.issue(t, certSpec{cn: "stranger", client: true}).tls
	for _, tc := range []struct {
		mode                      string
		asks, none, good, strange bool // handshake succeeds with no cert / good / stranger
	}{
		{"none", false, true, true, true},
		{"request", true, true, true, false},
		{"require", true, false, true, false},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			p := clientAuthProxy(t, ca, ca.certPEM, tc.mode)
			before := p.metrics(t).value("proxy_tls_handshake_errors_total")
			failures := 0
			for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
				for _, c := range []struct {
					name string
					cert *tls.Certificate
					want bool
				}{{"no certificate", nil, tc.none}, {"certificate from ca.crt", &good, tc.good}, {"certificate from another CA", &stranger, tc.strange}} {
					var asked bool
					_, err := handshake(p.addr, presenting(withVersions(p, v, v), c.cert, &asked))
					if (err == nil) != c.want || asked != tc.asks {
						t.Errorf("%s, %s: err %v (want success %v), certificate requested %v (want %v)",
							tls.VersionName(v), c.name, err, c.want, asked, tc.asks)
					}
					if err != nil {
						failures++
					}
				}
			}
			waitFor(t, reloadLimit, "failed handshakes counted", func() bool {
				return p.metrics(t).value("proxy_tls_handshake_errors_total")-before == float64(failures)
			})
		})
	}
}

// xfccHeader is the header the app may trust.
const xfccHeader = "X-Forwarded-Client-Cert"

// TestForwardedClientCert: X-Forwarded-Client-Cert carries a verified client
// certificate in Envoy's format, Hash=<sha256 of the DER, hex>;Subject="<RFC
// 4514 DN>" then ;URI= and ;DNS= per SAN, and is present only then: whatever
// a client sends under that name (any case, any count) never reaches the app.
func TestForwardedClientCert(t *testing.T) {
	root := newCA(t, "contract-ca")
	inter := root.intermediate(t, "contract-intermediate")
	full := root.issue(t, certSpec{cn: "billing", org: []string{"acme"}, client: true,
		uris: []string{"spiffe://cluster.local/ns/pay/sa/billing"}, dns: []string{"billing.pay.svc", "billing.internal"}})
	plain := root.issue(t, certSpec{cn: "plain", client: true})
	chained := inter.issue(t, certSpec{cn: "chained", client: true})
	quoted := root.issue(t, certSpec{cn: `O'Brien, "Bob"`, client: true})
	hash := func(kp keyPair) string { return "Hash=" + sha256Hex(kp.leaf.Raw) }
	cases := []struct {
		name string
		kp   keyPair
		want string
	}{
		{"SANs", full, hash(full) + `;Subject="CN=billing,O=acme";URI=spiffe://cluster.local/ns/pay/sa/billing;DNS=billing.pay.svc;DNS=billing.internal`},
		{"CN only", plain, hash(plain) + `;Subject="CN=plain"`},
		{"via an intermediate", chained, hash(chained) + `;Subject="CN=chained"`},
		// RFC 4514 escapes the DN (\, and \"), then every \ and " inside
		// the quoted value is escaped once more: a CN cannot end the value.
		{"special characters", quoted, hash(quoted) + `;Subject="CN=O'Brien\\, \\\"Bob\\\""`},
	}
	const spoof = `Hash=00;Subject="CN=admin"`
	spoofLines := "X-Forwarded-Client-Cert: " + spoof + "\r\nx-forwarded-client-cert: " + spoof + "\r\n"

	seenXFCC := func(t *testing.T, p *proxy, cert *tls.Certificate, h2 bool) []string {
		t.Helper()
		cfg := p.tlsConfig()
		if cert != nil {
			cfg.Certificates = []tls.Certificate{*cert}
		}
		req, _ := http.NewRequest("GET", p.url("/xfcc"), nil)
		req.Header.Set(xfccHeader, spoof)
		resp, body := do(t, newClient(t, cfg, h2), req)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		return seenBody(t, body).Header.Values(xfccHeader)
	}

	for _, mode := range []string{"request", "require"} {
		p := clientAuthProxy(t, root, root.certPEM, mode)
		for _, tc := range cases {
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				for _, h2 := range []bool{false, true} {
					if got := seenXFCC(t, p, &tc.kp.tls, h2); len(got) != 1 || got[0] != tc.want {
						t.Errorf("h2=%v: the app saw %q, want only %q", h2, got, tc.want)
					}
				}
				cfg := p.tlsConfig()
				cfg.Certificates, cfg.NextProtos = []tls.Certificate{tc.kp.tls}, []string{"http/1.1"}
				c, br := dialWith(t, p.addr, cfg)
				_, body := rawRequest(t, c, br, "GET /xfcc-raw HTTP/1.1\r\nHost: localhost\r\n"+spoofLines+"\r\n")
				if got := seenBody(t, body).Header.Values(xfccHeader); len(got) != 1 || got[0] != tc.want {
					t.Errorf("with two spoofed lines the app saw %q, want only %q", got, tc.want)
				}
			})
		}
	}
	// No verified certificate, no header, whatever the client sent.
	for _, tc := range []struct {
		name, mode string
		cert       *tls.Certificate
	}{{"request mode, no certificate", "request", nil}, {"none mode, a certificate offered", "none", &full.tls}} {
		t.Run(tc.name, func(t *testing.T) {
			p := clientAuthProxy(t, root, root.certPEM, tc.mode)
			for _, h2 := range []bool{false, true} {
				if got := seenXFCC(t, p, tc.cert, h2); len(got) != 0 {
					t.Errorf("h2=%v: the app saw %q, want no %s", h2, got, xfccHeader)
				}
			}
			c, br := p.dialTLS(t)
			_, body := rawRequest(t, c, br, "GET /xfcc-raw HTTP/1.1\r\nHost: localhost\r\n"+spoofLines+"\r\n")
			if got := seenBody(t, body).Header.Values(xfccHeader); len(got) != 0 {
				t.Errorf("raw: the app saw %q", got)
			}
		})
	}
}

// TestClientCAReload: ca.crt is reloaded with the pair: a client from a
// newly trusted CA is accepted within a few seconds; a broken ca.crt is
// rejected and the old pool kept.
func TestClientCAReload(t *testing.T) {
	ca, other := newCA(t, "contract-ca"), newCA(t, "other-ca")
	good := ca.issue(t, certSpec{cn: "good", client: true}).tls
	stranger := other.issue(t, certSpec{cn: "stranger", client: true}).tls
	p := clientAuthProxy(t, ca, ca.certPEM, "require")
	accepted := func(cert *tls.Certificate) bool {
		var asked bool
		_, err := handshake(p.addr, presenting(p.tlsConfig(), cert, &asked))
		return err == nil
	}
	if accepted(&stranger) || !accepted(&good) {
		t.Fatal("before the update: want the stranger refused and the good client accepted")
	}

	p.vol.update(t, secretFiles(p.pair, []byte("not a CA\n")))
	waitFor(t, reloadLimit, "the broken ca.crt rejected", func() bool {
		return p.metrics(t).value(`proxy_cert_reloads_total{result="failure"}`) == 1
	})
	if accepted(&stranger) || !accepted(&good) {
		t.Fatal("after a broken ca.crt: want the old pool kept")
	}

	both := append(append([]byte{}, ca.certPEM...), other.certPEM...)
	p.vol.update(t, secretFiles(p.pair, both))
	waitFor(t, reloadLimit, "the new CA trusted", func() bool { return accepted(&stranger) })
	if !accepted(&good) {
		t.Error("the first CA is no longer trusted")
	}
	if strings.Contains(p.stderr.String(), "BEGIN CERTIFICATE") {
		t.Error("certificate PEM in the logs")
	}
}
