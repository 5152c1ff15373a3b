package main

import (
	"errors"
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestParseArgsValid(t *testing.T) {
	cfg, err := ParseArgs([]string{"--app-port=80", "--proxy-port", "8443", "--exclude-ports=9901, 15000,9901", "--mode=legacy", "--dry-run"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{AppPort: 80, ProxyPort: 8443, ExcludePorts: []int{9901, 15000}, Mode: ModeLegacy, DryRun: true}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("got %+v, want %+v", cfg, want)
	}
}

func TestParseArgsDefaults(t *testing.T) {
	cfg, err := ParseArgs([]string{"--app-port=8080", "--proxy-port=8443"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != ModeAuto || cfg.DryRun || cfg.ExcludePorts != nil {
		t.Fatalf("defaults: %+v", cfg)
	}
}

func TestParseArgsInvalid(t *testing.T) {
	base := []string{"--app-port=80", "--proxy-port=8443"}
	cases := []struct {
		name string
		args []string
		want []string // substrings of the one-line error
	}{
		{"missing app port", []string{"--proxy-port=8443"}, []string{"--app-port", "required", "1 to 65535"}},
		{"missing proxy port", []string{"--app-port=80"}, []string{"--proxy-port", "required"}},
		{"app port not a number", []string{"--app-port=http", "--proxy-port=8443"}, []string{`--app-port="http"`, "1 to 65535"}},
		{"app port zero", []string{"--app-port=0", "--proxy-port=8443"}, []string{`--app-port="0"`, "1 to 65535"}},
		{"proxy port too big", []string{"--app-port=80", "--proxy-port=65536"}, []string{`--proxy-port="65536"`, "1 to 65535"}},
		{"same ports", []string{"--app-port=80", "--proxy-port=80"}, []string{`--proxy-port="80"`, "must differ from --app-port"}},
		{"bad mode", append(base, "--mode=iptables"), []string{`--mode="iptables"`, "auto, nft, legacy"}},
		{"bad exclude", append(base, "--exclude-ports=9901,x"), []string{`--exclude-ports="9901,x"`, `"x" is not`}},
		{"empty exclude item", append(base, "--exclude-ports=9901,"), []string{`--exclude-ports="9901,"`, `"" is not`}},
		{"exclude app port", append(base, "--exclude-ports=80"), []string{`--exclude-ports="80"`, "--app-port 80"}},
		{"unknown flag", append(base, "--interface=eth0"), []string{"-interface"}},
		{"positional", append(base, "extra"), []string{`"extra"`}},
		{"dry-run value", append(base, "--dry-run=maybe"), []string{"dry-run"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseArgs(c.args, io.Discard)
			if err == nil {
				t.Fatal("no error")
			}
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Fatalf("error %T %v is not a usage error", err, err)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestParseArgsHelp(t *testing.T) {
	var out strings.Builder
	_, err := ParseArgs([]string{"-h"}, &out)
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "--app-port") {
		t.Fatalf("help: %v %q", err, out.String())
	}
}

func TestRunExitCodes(t *testing.T) {
	var stderr strings.Builder
	if code := run([]string{"--app-port=80", "--proxy-port=8443", "--mode=x"}, &fakeRunner{}, emptyRoot(), io.Discard, &stderr); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.HasPrefix(stderr.String(), "tls-sidecar-init: invalid --mode=") || strings.Count(stderr.String(), "\n") != 1 {
		t.Fatalf("stderr %q", stderr.String())
	}
}
