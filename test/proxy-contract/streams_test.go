package proxycontract

import (
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// serverMaxStreams is the SETTINGS_MAX_CONCURRENT_STREAMS the proxy sends
// in its first SETTINGS frame on an HTTP/2 connection (0 if absent).
func serverMaxStreams(t *testing.T, p *proxy) uint32 {
	t.Helper()
	cfg := p.tlsConfig()
	cfg.NextProtos = []string{"h2"}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 3 * time.Second}, "tcp", p.addr, cfg)
	must(t, err)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	_, err = io.WriteString(c, http2.ClientPreface)
	must(t, err)
	fr := http2.NewFramer(c, c)
	must(t, fr.WriteSettings())
	for {
		f, err := fr.ReadFrame()
		must(t, err)
		if s, ok := f.(*http2.SettingsFrame); ok && !s.IsAck() {
			v, _ := s.Value(http2.SettingMaxConcurrentStreams)
			return v
		}
	}
}

// TestMaxConcurrentStreams: HTTP/2 clients are told --max-concurrent-streams
// (100 by default) in the server's SETTINGS.
func TestMaxConcurrentStreams(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want uint32
	}{{nil, 100}, {[]string{"--max-concurrent-streams=7"}, 7}, {[]string{"--max-concurrent-streams=1000"}, 1000}} {
		p := startProxy(t, proxyOpts{args: tc.args})
		if got := serverMaxStreams(t, p); got != tc.want {
			t.Errorf("%v: SETTINGS_MAX_CONCURRENT_STREAMS %d, want %d", tc.args, got, tc.want)
		}
	}
}
