package proxycontract

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLogsAreJSONLinesOnStderr: every line on stderr is a JSON object with
// time, level and msg (checked for every proxy the suite starts, as is an
// empty stdout and the absence of key material); the documented messages
// carry their documented fields.
func TestLogsAreJSONLinesOnStderr(t *testing.T) {
	p := startProxy(t, proxyOpts{args: []string{"--access-log", "--watch-interval=200ms"}})
	leaf := p.pair.leaf
	start := p.waitLog(t, time.Second, "the startup load", 1, msgIs("certificate loaded", "reason", "startup"))
	names, _ := start["dns_names"].([]any)
	if start["serial"] != fmt.Sprintf("%x", leaf.SerialNumber) || start["not_after"] != leaf.NotAfter.UTC().Format(time.RFC3339) ||
		start["subject"] != leaf.Subject.CommonName || !slices.Contains(names, any("localhost")) {
		t.Errorf("startup line %v, want serial %x, not_after %s, subject %s, dns_names", start, leaf.SerialNumber,
			leaf.NotAfter.UTC().Format(time.RFC3339), leaf.Subject.CommonName)
	}

	get(t, p.client(t, false), p.url("/logged?secret=query"))
	line := p.waitLog(t, time.Second, "the access line", 1, msgIs("request", "path", "/logged"))
	if line["level"] != "INFO" || line["method"] != "GET" || line["status"] != float64(200) {
		t.Errorf("access line %v", line)
	}
	if _, ok := line["bytes_out"].(float64); !ok {
		t.Errorf("access line without a byte count: %v", line)
	}
	if !hasNumberPrefixed(line, "duration") {
		t.Errorf("access line without a duration: %v", line)
	}

	// A broken update whose files hold each other's PEM: the failure is
	// an error line, and no key material is quoted (checked at cleanup).
	p.vol.update(t, map[string][]byte{certFile: p.pair.keyPEM, keyFile: p.pair.certPEM})
	failed := p.waitLog(t, reloadLimit, "the failed reload", 1, msgIs("certificate reload failed, keeping the current certificate"))
	if failed["level"] != "ERROR" {
		t.Errorf("reload failure at level %v", failed["level"])
	}

	p.signal(syscall.SIGTERM)
	p.waitExit(t, 10*time.Second)
	p.waitLog(t, time.Second, "the end of the shutdown", 1, msgIs("shutdown complete"))
	for _, l := range strings.Split(strings.TrimSpace(p.stderr.String()), "\n") {
		if err := checkLogLine(l); err != nil {
			t.Errorf("%v: %q", err, l)
		}
	}
	if leak := keyLeak(p.stderr.String(), p.vol); leak != "" {
		t.Errorf("key material in the logs: %s", leak)
	}
}

func hasNumberPrefixed(m map[string]any, prefix string) bool {
	for k, v := range m {
		if _, ok := v.(float64); ok && strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// TestQuietByDefault: without --access-log no request lines, and at the
// default level failed handshakes (scanners, probes) log nothing; they are
// counted in proxy_tls_handshake_errors_total instead.
func TestQuietByDefault(t *testing.T) {
	p := startProxy(t, proxyOpts{args: []string{"--log-level=info"}})
	get(t, p.client(t, false), p.url("/not-logged"))
	before := len(p.logLines())
	for range 5 {
		if c, err := net.Dial("tcp", p.addr); err == nil {
			_, _ = c.Write([]byte("GET / HTTP/1.1\r\nHost: plain\r\n\r\n"))
			c.Close()
		}
	}
	waitFor(t, 5*time.Second, "the failed handshakes counted", func() bool {
		return p.metrics(t).value("proxy_tls_handshake_errors_total") == 5
	})
	time.Sleep(200 * time.Millisecond)
	if lines := p.logLines()[before:]; len(lines) != 0 {
		t.Errorf("failed handshakes logged at the default level: %v", lines)
	}
	if n := p.countLogs(msgIs("request")); n != 0 {
		t.Errorf("%d access lines without --access-log", n)
	}
}
