package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := ParseConfig(nil, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != ":8443" || cfg.Upstream.String() != "http://127.0.0.1:8080" || cfg.TLSDir != "/etc/sidecar/tls" ||
		cfg.AdminListen != ":9901" || !cfg.AdminTLS || cfg.ClientAuth != ClientAuthNone ||
		cfg.ShutdownTimeout != 25*time.Second || cfg.DrainDelay != 3*time.Second ||
		cfg.ReadHeaderTimeout != 10*time.Second || cfg.IdleTimeout != 120*time.Second ||
		cfg.MaxHeaderBytes != 1<<20 || cfg.UpstreamMaxIdleConns != 512 || cfg.AccessLog ||
		cfg.LogLevel != slog.LevelInfo || cfg.WatchInterval != time.Second {
		t.Fatalf("defaults: %+v", cfg)
	}
}

func TestConfigEnvAndFlagPrecedence(t *testing.T) {
	env := envMap(map[string]string{
		"PROXY_LISTEN":                  "127.0.0.1:9443",
		"PROXY_UPSTREAM":                "http://127.0.0.1:3000",
		"PROXY_CLIENT_AUTH":             "require",
		"PROXY_ADMIN_TLS":               "false",
		"PROXY_ACCESS_LOG":              "true",
		"PROXY_MAX_HEADER_BYTES":        "64KiB",
		"PROXY_UPSTREAM_MAX_IDLE_CONNS": "32",
		"PROXY_DRAIN_DELAY":             "0",
		"PROXY_LOG_LEVEL":               "debug",
		"PROXY_UNRELATED":               "ignored",
		"PROXY_PORT":                    "tcp://10.0.0.1:80", // Kubernetes service env: not a flag
	})
	cfg, err := ParseConfig([]string{"--listen=:7443", "--client-auth", "request", "--access-log=false"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != ":7443" || cfg.ClientAuth != ClientAuthRequest || cfg.AccessLog {
		t.Fatalf("flags must win over env: %+v", cfg)
	}
	if cfg.Upstream.Host != "127.0.0.1:3000" || cfg.AdminTLS || cfg.MaxHeaderBytes != 64<<10 ||
		cfg.UpstreamMaxIdleConns != 32 || cfg.DrainDelay != 0 || cfg.LogLevel != slog.LevelDebug {
		t.Fatalf("env not applied: %+v", cfg)
	}
	// Single-dash spelling works too (Go flag package).
	if cfg, err := ParseConfig([]string{"-listen", ":1"}, envMap(nil)); err != nil || cfg.Listen != ":1" {
		t.Fatalf("single dash: %v %+v", err, cfg)
	}
}

func TestConfigErrorsAreOneLineAndNameTheFlag(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		want []string
	}{
		{[]string{"--client-auth=maybe"}, nil, []string{"--client-auth", "none|request|require"}},
		{nil, map[string]string{"PROXY_CLIENT_AUTH": "maybe"}, []string{"PROXY_CLIENT_AUTH", "--client-auth", "none|request|require"}},
		{[]string{"--listen=8443"}, nil, []string{"--listen", "host:port"}},
		{[]string{"--admin-listen=:99999"}, nil, []string{"--admin-listen", "0-65535"}},
		{[]string{"--upstream=127.0.0.1:8080"}, nil, []string{"--upstream", "http://"}},
		{[]string{"--upstream=http://u:p@host"}, nil, []string{"--upstream", "user info"}},
		{[]string{"--shutdown-timeout=-1s"}, nil, []string{"--shutdown-timeout", "between 0 and 24h"}},
		{[]string{"--drain-delay=soon"}, nil, []string{"--drain-delay", "duration"}},
		{[]string{"--read-header-timeout=1"}, nil, []string{"--read-header-timeout", "duration"}},
		{[]string{"--idle-timeout=48h"}, nil, []string{"--idle-timeout", "24h"}},
		{[]string{"--max-header-bytes=lots"}, nil, []string{"--max-header-bytes", "64KiB"}},
		{[]string{"--max-header-bytes=10"}, nil, []string{"--max-header-bytes", "1KiB"}},
		{[]string{"--upstream-max-idle-conns=0"}, nil, []string{"--upstream-max-idle-conns", "1 to"}},
		{[]string{"--log-level=loud"}, nil, []string{"--log-level", "debug|info|warn|error"}},
		{[]string{"--admin-tls=maybe"}, nil, []string{"--admin-tls", "true|false"}},
		{nil, map[string]string{"PROXY_ACCESS_LOG": "yes"}, []string{"PROXY_ACCESS_LOG", "true|false"}},
		{[]string{"--tls-dir="}, nil, []string{"--tls-dir"}},
		{[]string{"--nope"}, nil, []string{"unknown flag", "-nope", "--listen"}},
		{[]string{"extra"}, nil, []string{"unexpected argument", "extra"}},
		{[]string{"--listen"}, nil, []string{"flag needs an argument", "listen"}},
	}
	for _, tc := range cases {
		_, err := ParseConfig(tc.args, envMap(tc.env))
		if err == nil {
			t.Errorf("%v %v: no error", tc.args, tc.env)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") {
			t.Errorf("%v: multi-line error %q", tc.args, msg)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%v %v: error %q lacks %q", tc.args, tc.env, msg, w)
			}
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"4096": 4096, "64KiB": 65536, "1MiB": 1 << 20, "1Mi": 1 << 20, "1M": 1e6, "2KB": 2000, " 8 KiB ": 8192, "10B": 10,
	} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1.5MiB", "MiB", "1TiB", "99999999999999999999", "9999999999GiB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q): no error", in)
		}
	}
}

func TestUsageListsEveryFlagWithEnv(t *testing.T) {
	_, err := ParseConfig([]string{"-h"}, envMap(nil))
	help, ok := err.(*HelpError)
	if !ok {
		t.Fatalf("want HelpError, got %v", err)
	}
	for _, f := range []string{"listen", "upstream", "tls-dir", "admin-listen", "admin-tls", "client-auth",
		"shutdown-timeout", "drain-delay", "read-header-timeout", "idle-timeout", "max-header-bytes",
		"upstream-max-idle-conns", "access-log", "log-level", "watch-interval"} {
		if !strings.Contains(help.Usage, "--"+f+" ") || !strings.Contains(help.Usage, envName(f)) {
			t.Errorf("usage lacks --%s / %s", f, envName(f))
		}
	}
}
