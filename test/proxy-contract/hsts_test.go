package proxycontract

import (
	"net/http"
	"testing"
)

// TestHSTS: with --hsts-max-age, every response without a
// Strict-Transport-Security header gets one (the app's, the proxy's own 502
// too), over HTTP/1.1 and HTTP/2, with includeSubDomains and preload as
// flagged; an app's own header is kept as it is; without the flag, none.
func TestHSTS(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"off by default", nil, ""},
		{"max-age", []string{"--hsts-max-age=1h"}, "max-age=3600"},
		{"preload", []string{"--hsts-max-age=8760h", "--hsts-include-subdomains", "--hsts-preload"},
			"max-age=31536000; includeSubDomains; preload"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startProxy(t, proxyOpts{args: tc.args})
			p.app.mux.HandleFunc("/own-hsts", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Strict-Transport-Security", "max-age=60")
			})
			for _, h2 := range []bool{false, true} {
				c := p.client(t, h2)
				resp, _ := get(t, c, p.url("/"))
				if got := resp.Header.Values("Strict-Transport-Security"); len(got) > 1 || resp.Header.Get("Strict-Transport-Security") != tc.want {
					t.Errorf("h2=%v: Strict-Transport-Security %q, want %q", h2, got, tc.want)
				}
				resp, _ = get(t, c, p.url("/own-hsts"))
				if got := resp.Header.Values("Strict-Transport-Security"); len(got) != 1 || got[0] != "max-age=60" {
					t.Errorf("h2=%v: the app's own header became %q", h2, got)
				}
			}
		})
	}
	down := startProxy(t, proxyOpts{upstream: "http://" + freeAddr(t), args: []string{"--hsts-max-age=1h"}})
	resp, body := get(t, down.client(t, false), down.url("/"))
	if resp.StatusCode != http.StatusBadGateway || resp.Header.Get("Strict-Transport-Security") != "max-age=3600" {
		t.Errorf("the proxy's own 502 (%q): Strict-Transport-Security %q", body, resp.Header.Get("Strict-Transport-Security"))
	}
}

// TestHSTSPreloadNeedsAYearAndSubdomains: --hsts-preload without what the
// preload list requires is refused at start, naming the flags.
func TestHSTSPreloadNeedsAYearAndSubdomains(t *testing.T) {
	ca := newCA(t, "contract-ca")
	vol := newSecretVolume(t, secretFiles(ca.server(t), nil))
	for _, extra := range [][]string{
		{"--hsts-max-age=8760h", "--hsts-preload"},
		{"--hsts-max-age=24h", "--hsts-include-subdomains", "--hsts-preload"},
	} {
		code, stderr, stdout := runToExit(t, append(validArgs(t, vol), extra...), nil, vol)
		wantOneLine(t, code, stderr, stdout, 2, "--hsts-preload", "--hsts-max-age", "8760h", "--hsts-include-subdomains")
	}
	env := map[string]string{"PROXY_HSTS_PRELOAD": "true", "PROXY_HSTS_MAX_AGE": "8760h"}
	code, stderr, stdout := runToExit(t, validArgs(t, vol), env, vol)
	wantOneLine(t, code, stderr, stdout, 2, "--hsts-preload", "--hsts-include-subdomains")
}
