package proxycontract

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// accessLines parses stdout's access lines, in order.
func (p *process) accessLines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(p.stdout.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("stdout line is not JSON (%v): %q", err, sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// waitAccess waits for the access line whose request_id is id.
func (p *proxy) waitAccess(t testing.TB, id string) map[string]any {
	t.Helper()
	return p.waitLog(t, 2*time.Second, "the access line of "+id, 1, msgIs("request", "request_id", id))
}

// secrets a client sends that an access line must never show: a query
// string, a cookie, credentials, another header's value and the body.
const (
	secretQuery  = "token=query-secret"
	secretCookie = "session=cookie-secret"
	secretAuth   = "Bearer auth-secret"
	secretHeader = "header-secret"
	secretBody   = "body-secret-0123456789"
)

// TestAccessLogLine: with --access-log, one JSON line per request on stdout
// with every documented field, checked against what the client knows
// (its address, SNI, versions, certificate, bytes, request id) and, for
// durations, a request the app holds for 300 ms. Under mTLS the client
// certificate's subject (as in X-Forwarded-Client-Cert) and SHA-256 are
// there. The query, a cookie, credentials, other headers and the body never
// are.
func TestAccessLogLine(t *testing.T) {
	ca := newCA(t, "contract-ca")
	client := ca.issue(t, certSpec{cn: `client "one", \ two`, org: []string{"Org+1"}, client: true})
	pair := ca.server(t)
	p := startProxy(t, proxyOpts{ca: ca, pair: pair, vol: newSecretVolume(t, secretFiles(pair, ca.certPEM)),
		args: []string{"--access-log", "--client-auth=require"}})

	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		id := fmt.Sprintf("req-%x", v)
		cfg := withVersions(p, v, v)
		cfg.Certificates = []tls.Certificate{client.tls}
		c, br := dialWith(t, p.addr, cfg)
		// The app holds the request until released: both durations cover it.
		go func() {
			p.app.waitArrived(t, id)
			time.Sleep(300 * time.Millisecond)
			p.app.release(id)
		}()
		resp, body := rawRequest(t, c, br, fmt.Sprintf("POST /gate/%s?%s HTTP/1.1\r\nHost: localhost\r\nCookie: %s\r\n"+
			"Authorization: %s\r\nX-Other: %s\r\nX-Request-Id: %s\r\nContent-Length: %d\r\n\r\n%s",
			id, secretQuery, secretCookie, secretAuth, secretHeader, id, len(secretBody), secretBody))
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		line := p.waitAccess(t, id)
		want := map[string]any{
			"level": "INFO", "msg": "request", "remote": c.LocalAddr().String(), "sni": "localhost", "proto": "HTTP/1.1",
			"tls_version": map[uint16]string{tls.VersionTLS12: "TLSv1.2", tls.VersionTLS13: "TLSv1.3"}[v],
			"method": "POST", "path": "/gate/" + id, "status": float64(200),
			"bytes_in": float64(len(secretBody)), "bytes_out": float64(len(body)),
			"client_subject": client.leaf.Subject.String(), "client_sha256": sha256Hex(client.leaf.Raw), "request_id": id,
		}
		for k, w := range want {
			if line[k] != w {
				t.Errorf("%s: %s = %v, want %v", tls.VersionName(v), k, line[k], w)
			}
		}
		if ts, _ := line["time"].(string); !strings.HasSuffix(ts, "Z") {
			t.Errorf("time %v, want RFC 3339 in UTC", line["time"])
		}
		total, _ := line["duration_ms"].(float64)
		upstream, _ := line["upstream_ms"].(float64)
		if upstream < 300 || total < upstream || total > 10_000 {
			t.Errorf("duration_ms %v, upstream_ms %v: want 300 <= upstream <= total", line["duration_ms"], line["upstream_ms"])
		}
		c.Close()
	}

	// HTTP/2, and a request without an id: no request_id field.
	cfg := p.tlsConfig()
	cfg.Certificates = []tls.Certificate{client.tls}
	resp, _ := get(t, newClient(t, cfg, true), p.url("/h2-logged?"+secretQuery))
	if resp.ProtoMajor != 2 {
		t.Fatalf("proto %s", resp.Proto)
	}
	line := p.waitLog(t, 2*time.Second, "the HTTP/2 access line", 1, msgIs("request", "path", "/h2-logged"))
	if line["proto"] != "HTTP/2.0" || line["method"] != "GET" || line["bytes_in"] != float64(0) {
		t.Errorf("HTTP/2 line %v", line)
	}
	if _, ok := line["request_id"]; ok {
		t.Errorf("request_id without an X-Request-Id: %v", line)
	}

	out := p.stdout.String()
	for _, s := range []string{"query-secret", "cookie-secret", "auth-secret", secretHeader, secretBody, "token="} {
		if strings.Contains(out, s) || strings.Contains(p.stderr.String(), s) {
			t.Errorf("%q is in the logs", s)
		}
	}
	if n := len(p.accessLines(t)); n != 3 {
		t.Errorf("%d access lines for 3 requests", n)
	}
}

// TestAccessLogOptions: --access-log-query keeps the query in path; a
// client that sends no SNI (it dials an IP address) and no certificate gets
// a line without sni and the client certificate's fields; quotes,
// backslashes and tabs in the path and request id come back intact from the
// JSON; a 502 (app down) is logged with its status.
func TestAccessLogOptions(t *testing.T) {
	p := startProxy(t, proxyOpts{args: []string{"--access-log", "--access-log-query"}})
	cfg := p.tlsConfig()
	cfg.ServerName, cfg.InsecureSkipVerify = "", true // no SNI for an IP address
	c, br := dialWith(t, p.addr, cfg)
	id := `id "quoted" \ 	tab`
	rawRequest(t, c, br, "GET /q/%22%5C?x=1&y=%22 HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: "+id+"\r\n\r\n")
	line := p.waitAccess(t, id)
	if line["path"] != `/q/%22%5C?x=1&y=%22` {
		t.Errorf("path %v, want the query kept", line["path"])
	}
	for _, absent := range []string{"sni", "client_subject", "client_sha256"} {
		if v, ok := line[absent]; ok {
			t.Errorf("%s = %v without SNI and client certificate", absent, v)
		}
	}
	if _, ok := line["upstream_ms"].(float64); !ok {
		t.Errorf("no upstream_ms: %v", line)
	}
	c.Close()

	down := startProxy(t, proxyOpts{upstream: "http://" + freeAddr(t), args: []string{"--access-log"}})
	req, _ := http.NewRequest("GET", down.url("/down?"+secretQuery), nil)
	req.Header.Set("X-Request-Id", "down")
	if resp, _ := do(t, down.client(t, false), req); resp.StatusCode != 502 {
		t.Fatalf("status %d, want 502", resp.StatusCode)
	}
	if line := down.waitAccess(t, "down"); line["status"] != float64(502) || line["path"] != "/down" {
		t.Errorf("502 line %v", line)
	}
}
