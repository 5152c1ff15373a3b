package proxycontract

import (
	"net/http"
	"strings"
	"testing"
)

// TestClientSetIdentityHeadersNeverReachTheApp: whatever a client claims in
// X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host, Forwarded,
// X-Forwarded-Client-Cert and X-Real-IP (each spoofed, some twice), the app
// sees only what the proxy knows: the TCP peer in X-Forwarded-For and
// X-Real-IP, https, the Host, and no Forwarded or client certificate (none
// was presented); over HTTP/1.1 and HTTP/2.
func TestClientSetIdentityHeadersNeverReachTheApp(t *testing.T) {
	p := startProxy(t, proxyOpts{})
	spoofed := [][2]string{
		{"X-Forwarded-For", "203.0.113.7"}, {"X-Forwarded-For", "198.51.100.9"},
		{"X-Forwarded-Proto", "http"}, {"X-Forwarded-Host", "evil.example"},
		{"Forwarded", "for=192.0.2.60;proto=http;host=evil.example"},
		{"X-Forwarded-Client-Cert", `Hash=00;Subject="CN=admin"`},
		{"X-Real-IP", "203.0.113.8"}, {"X-Real-IP", "10.0.0.1"},
	}
	want := map[string]string{
		"X-Forwarded-For": "127.0.0.1", "X-Real-Ip": "127.0.0.1", "X-Forwarded-Proto": "https",
		"X-Forwarded-Host": "app.example.test", "Forwarded": "", "X-Forwarded-Client-Cert": "",
	}
	for _, h2 := range []bool{false, true} {
		req, _ := http.NewRequest("GET", p.url("/who"), nil)
		req.Host = "app.example.test"
		for _, kv := range spoofed {
			req.Header.Add(kv[0], kv[1])
		}
		resp, out := do(t, p.client(t, h2), req)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("h2=%v: status %d", h2, resp.StatusCode)
		}
		seen := seenBody(t, out)
		for name, w := range want {
			if got := strings.Join(seen.Header.Values(name), ", "); got != w {
				t.Errorf("h2=%v: the app saw %s %q, want %q", h2, name, got, w)
			}
		}
	}
}
