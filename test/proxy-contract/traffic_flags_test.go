package proxycontract

import (
	"net/http"
	"testing"
	"time"
)

// trafficFlags are the traffic controls' flags (README "Flags"), part of allFlags.
var trafficFlags = []string{
	"rate-limit-rps", "rate-limit-burst", "client-rate-limit-rps", "client-rate-limit-burst", "max-concurrent-streams",
	"upstream-connect-timeout", "upstream-response-timeout", "hsts-max-age", "hsts-include-subdomains", "hsts-preload",
}

// servedOf counts the 200s of n requests on one connection.
func servedOf(t *testing.T, p *proxy, n int) int {
	ok, _, _ := tally(t, p, "", n, "")
	return ok
}

func hstsHeader(t *testing.T, p *proxy) string {
	resp, _ := get(t, p.client(t, false), p.url("/"))
	return resp.Header.Get("Strict-Transport-Security")
}

// trafficPrecedence: TestEveryFlagHasAnEnvVarAndTheFlagWins's cases for trafficFlags.
func trafficPrecedence(connectBlackhole string) []precedence {
	count := map[int]string{1: "1", 2: "2", 3: "3", 5: "5"}
	return []precedence{
		{flag: "rate-limit-rps", env: "1", cli: "0", observe: func(t *testing.T, p *proxy) string {
			return map[bool]string{true: "0", false: "1"}[servedOf(t, p, 5) == 5]
		}},
		{flag: "rate-limit-burst", env: "2", cli: "3", opts: proxyOpts{args: []string{"--rate-limit-rps=1"}}, observe: func(t *testing.T, p *proxy) string {
			return count[servedOf(t, p, 5)]
		}},
		{flag: "client-rate-limit-rps", env: "1", cli: "0", observe: func(t *testing.T, p *proxy) string {
			return map[bool]string{true: "0", false: "1"}[servedOf(t, p, 5) == 5]
		}},
		{flag: "client-rate-limit-burst", env: "2", cli: "3", opts: proxyOpts{args: []string{"--client-rate-limit-rps=1"}}, observe: func(t *testing.T, p *proxy) string {
			return count[servedOf(t, p, 5)]
		}},
		{flag: "max-concurrent-streams", env: "5", cli: "3", observe: func(t *testing.T, p *proxy) string {
			return count[int(serverMaxStreams(t, p))]
		}},
		{flag: "upstream-connect-timeout", env: "300ms", cli: "2s", opts: proxyOpts{upstream: "http://" + connectBlackhole}, observe: func(t *testing.T, p *proxy) string {
			start := time.Now()
			get(t, p.client(t, false), p.url("/"))
			if time.Since(start) < 1500*time.Millisecond {
				return "300ms"
			}
			return "2s"
		}},
		{flag: "upstream-response-timeout", env: "300ms", cli: "0", observe: func(t *testing.T, p *proxy) string {
			return map[int]string{http.StatusGatewayTimeout: "300ms", http.StatusOK: "0"}[heldFor(t, p, "rt", time.Second)]
		}},
		{flag: "hsts-max-age", env: "1h", cli: "2h", observe: func(t *testing.T, p *proxy) string {
			return map[string]string{"max-age=3600": "1h", "max-age=7200": "2h"}[hstsHeader(t, p)]
		}},
		{flag: "hsts-include-subdomains", env: "true", cli: "false", opts: proxyOpts{args: []string{"--hsts-max-age=1h"}}, observe: func(t *testing.T, p *proxy) string {
			return map[string]string{"max-age=3600; includeSubDomains": "true", "max-age=3600": "false"}[hstsHeader(t, p)]
		}},
		{flag: "hsts-preload", env: "true", cli: "false", opts: proxyOpts{args: []string{"--hsts-max-age=8760h", "--hsts-include-subdomains"}}, observe: func(t *testing.T, p *proxy) string {
			return map[string]string{"max-age=31536000; includeSubDomains; preload": "true", "max-age=31536000; includeSubDomains": "false"}[hstsHeader(t, p)]
		}},
	}
}

// TestInvalidTrafficValuesExitWithOneLine: TestInvalidValuesExitWithOneLine
// for the traffic controls' flags, and their combinations that are refused.
func TestInvalidTrafficValuesExitWithOneLine(t *testing.T) {
	ca := newCA(t, "contract-ca")
	vol := newSecretVolume(t, secretFiles(ca.server(t), nil))
	for _, tc := range []struct {
		flag, value string
		allowed     []string
	}{
		{"rate-limit-rps", "-1", []string{"0", "1000000"}},
		{"rate-limit-rps", "fast", []string{"0", "1000000"}},
		{"rate-limit-burst", "1000001", []string{"0", "1000000"}},
		{"client-rate-limit-rps", "1.5", []string{"0", "1000000"}},
		{"client-rate-limit-burst", "-5", []string{"0", "1000000"}},
		{"max-concurrent-streams", "0", []string{"1", "1000"}},
		{"max-concurrent-streams", "1001", []string{"1", "1000"}},
		{"upstream-connect-timeout", "25h", []string{"0", "24h"}},
		{"upstream-connect-timeout", "soon", []string{"duration"}},
		{"upstream-response-timeout", "-1s", []string{"0", "24h"}},
		{"hsts-max-age", "87601h", []string{"0", "87600h"}},
		{"hsts-max-age", "100ms", []string{"0", "1s"}},
		{"hsts-include-subdomains", "yes", []string{"true", "false"}},
		{"hsts-preload", "on", []string{"true", "false"}},
	} {
		t.Run(tc.flag+"="+tc.value, func(t *testing.T) {
			code, stderr, stdout := runToExit(t, append(validArgs(t, vol), "--"+tc.flag+"="+tc.value), nil, vol)
			wantOneLine(t, code, stderr, stdout, 2, append([]string{"--" + tc.flag}, tc.allowed...)...)
		})
		t.Run(envName(tc.flag)+"="+tc.value, func(t *testing.T) {
			env := map[string]string{envName(tc.flag): tc.value}
			code, stderr, stdout := runToExit(t, validArgs(t, vol), env, vol)
			wantOneLine(t, code, stderr, stdout, 2, append([]string{envName(tc.flag)}, tc.allowed...)...)
		})
	}
	for _, tc := range []struct {
		args   []string
		tokens []string
	}{
		{[]string{"--rate-limit-burst=10"}, []string{"--rate-limit-burst", "--rate-limit-rps"}},
		{[]string{"--client-rate-limit-burst=10"}, []string{"--client-rate-limit-burst", "--client-rate-limit-rps"}},
		{[]string{"--hsts-include-subdomains"}, []string{"--hsts-include-subdomains", "--hsts-max-age"}},
	} {
		code, stderr, stdout := runToExit(t, append(validArgs(t, vol), tc.args...), nil, vol)
		wantOneLine(t, code, stderr, stdout, 2, tc.tokens...)
	}
}
