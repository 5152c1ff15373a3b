package main

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
)

// The app learns which verified client certificate called it, and can trust that: a header the client sends
// itself never gets through.
func TestClientCertHeaderCarriesTheVerifiedIdentityOnly(t *testing.T) {
	ca := newTestCA(t, "test-ca")
	srvCert, srvKey, _ := ca.issue(t, "localhost", leafOpts{})
	files := tlsFiles(srvCert, srvKey, ca.certPEM)
	good := ca.clientCert(t, "billing")
	sum := sha256.Sum256(good.Certificate[0])
	wantHash := "Hash=" + hex.EncodeToString(sum[:]) + ";"
	const spoofed = `Hash=00;Subject="CN=admin"`

	seen := func(h *harness, cert *tls.Certificate, h2 bool) string {
		t.Helper()
		c := h.client(h2)
		if cert != nil {
			c.Transport.(*http.Transport).TLSClientConfig.Certificates = []tls.Certificate{*cert}
		}
		req, _ := http.NewRequest("GET", h.url+"/", nil)
		req.Header.Set("X-Forwarded-Client-Cert", spoofed)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("GET: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		return resp.Header.Get("X-Seen-XFCC")
	}

	for _, mode := range []string{"request", "require"} {
		h := startProxy(t, harnessOpts{ca: ca, files: files, args: []string{"--client-auth=" + mode}})
		for _, h2 := range []bool{false, true} {
			got := seen(h, &good, h2)
			if !strings.HasPrefix(got, wantHash) || !strings.Contains(got, `Subject="CN=billing`) {
				t.Errorf("%s (h2=%v): app saw %q, want the verified certificate's hash and subject", mode, h2, got)
			}
			if strings.Contains(got, "admin") {
				t.Errorf("%s: the client's own header got through: %q", mode, got)
			}
		}
	}
	// No verified certificate: the header is absent, whatever the client sent.
	h := startProxy(t, harnessOpts{ca: ca, files: files, args: []string{"--client-auth=request"}})
	if got := seen(h, nil, false); got != "" {
		t.Errorf("request mode without a certificate: app saw %q, want nothing", got)
	}
	h = startProxy(t, harnessOpts{ca: ca, files: files})
	if got := seen(h, &good, false); got != "" {
		t.Errorf("none mode: app saw %q, want nothing (no certificate was verified)", got)
	}
}

func TestQuoteValueKeepsTheHeaderWellFormed(t *testing.T) {
	for in, want := range map[string]string{
		"CN=billing,O=acme":   "CN=billing,O=acme",
		`CN=a"b`:              `CN=a\"b`,
		`CN=a\b`:              `CN=a\\b`,
		"CN=a\r\nX-Evil: yes": "CN=aX-Evil: yes",
	} {
		if got := quoteValue(in); got != want {
			t.Errorf("quoteValue(%q) = %q, want %q", in, got, want)
		}
	}
}
