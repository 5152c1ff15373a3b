package main

import (
	"strings"
	"testing"
	"time"
)

// Fuzz targets for everything that parses outside input: flags, env values,
// sizes, durations, URLs and the PEM files in --tls-dir. Run one with e.g.
//   go test -run '^$' -fuzz '^FuzzParseConfig$' -fuzztime 30s

func FuzzParseConfig(f *testing.F) {
	f.Add("--listen=:8443 --client-auth=require", "PROXY_UPSTREAM", "http://127.0.0.1:1")
	f.Add("-max-header-bytes 64KiB", "PROXY_DRAIN_DELAY", "0")
	f.Add("--upstream= --admin-tls", "PROXY_ADMIN_TLS", "false")
	f.Add("--log-level=WARN extra", "PROXY_IDLE_TIMEOUT", "-5s")
	f.Fuzz(func(t *testing.T, args, envKey, envVal string) {
		env := func(k string) (string, bool) {
			if k == envKey {
				return envVal, true
			}
			return "", false
		}
		cfg, err := ParseConfig(strings.Fields(args), env)
		if err != nil {
			if _, help := err.(*HelpError); !help && strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if cfg.Upstream == nil || cfg.Upstream.Host == "" || cfg.MaxHeaderBytes < 1024 ||
			cfg.UpstreamMaxIdleConns < 1 || cfg.ShutdownTimeout < 0 || cfg.DrainDelay < 0 {
			t.Fatalf("accepted invalid config %+v", cfg)
		}
		if err := validateAddr(cfg.Listen); err != nil {
			t.Fatalf("accepted bad --listen %q", cfg.Listen)
		}
	})
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"4096", "64KiB", "1MiB", "1M", " 2 Ki ", "-1", "9223372036854775807", "1GiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err == nil && n < 0 {
			t.Fatalf("parseSize(%q) = %d", s, n)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"0", "25s", "1h30m", "-1s", "24h1ns", "1.5ms", "9223372036854775807ns"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s)
		if err == nil && (d < 0 || d > 24*time.Hour) {
			t.Fatalf("parseDuration(%q) = %s", s, d)
		}
	})
}

func FuzzParseUpstream(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8080", "https://app:443/base", "http://[::1]:80", "ftp://x", "http://:80", "http://h:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := parseUpstream(s)
		if err != nil {
			return
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
			t.Fatalf("accepted %q as %#v", s, u)
		}
		_ = upstreamDialAddr(u)
	})
}

func FuzzParseKeyPairAndCA(f *testing.F) {
	ca := newTestCA(f, "fuzz-ca")
	c, k, _ := ca.issue(f, "localhost", leafOpts{})
	f.Add(c, k)
	f.Add(ca.certPEM, k)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), []byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, certPEM, keyPEM []byte) {
		if cert, err := parseKeyPair(certPEM, keyPEM); err == nil && cert.Leaf == nil {
			t.Fatal("pair without leaf")
		} else if err != nil && strings.Contains(err.Error(), "PRIVATE KEY") {
			t.Fatalf("error quotes key material: %v", err)
		}
		_, _ = parseCAPool(certPEM)
	})
}
