package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fakeRunner answers iptables-save from canned outputs and records every restore.
type fakeRunner struct {
	saves    map[string]string // "<mode> <family>" -> iptables-save output
	failSave map[string]bool
	restores []string
}

func (f *fakeRunner) Run(stdin, name string, args ...string) (string, error) {
	mode := map[string]Mode{Binaries[ModeNft]: ModeNft, Binaries[ModeLegacy]: ModeLegacy}[name]
	fam := IPv4
	if strings.HasPrefix(args[0], "ip6tables") {
		fam = IPv6
	}
	key := fmt.Sprintf("%s %s", mode, fam)
	if strings.HasSuffix(args[0], "-save") {
		if f.failSave[key] {
			return "", fmt.Errorf("%s %s: exit status 1: Permission denied (you must be root)", name, args[0])
		}
		return f.saves[key], nil
	}
	f.restores = append(f.restores, name+" "+strings.Join(args, " ")+"\n"+stdin)
	return "", nil
}

const nftSaveOurs = `*nat
:PREROUTING ACCEPT [0:0]
:TLS_SIDECAR_PREROUTING - [0:0]
-A PREROUTING -m comment --comment "tls-sidecar-init: inbound redirect to the TLS proxy" -j TLS_SIDECAR_PREROUTING
-A TLS_SIDECAR_PREROUTING -i lo -m comment --comment "tls-sidecar-init: loopback is never redirected" -j RETURN
-A TLS_SIDECAR_PREROUTING -p tcp -m tcp --dport 80 -m comment --comment "tls-sidecar-init: app port 80 to proxy port 8443" -j REDIRECT --to-ports 8443
COMMIT
`

const nftSaveOursTwice = `*nat
:PREROUTING ACCEPT [0:0]
:TLS_SIDECAR_PREROUTING - [0:0]
-A PREROUTING -m comment --comment "tls-sidecar-init: inbound redirect to the TLS proxy" -j TLS_SIDECAR_PREROUTING
-A PREROUTING -j TLS_SIDECAR_PREROUTING
-A TLS_SIDECAR_PREROUTING -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8443
COMMIT
`

var ipv6Root = fstest.MapFS{"proc/net/if_inet6": {Data: []byte("00000000000000000000000000000001 01 80 10 80       lo\n")}}

// TestDryRunGolden pins the exact rules for each mode/flag/namespace-state combination.
func TestDryRunGolden(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		saves map[string]string
		fail  map[string]bool
		root  fstest.MapFS
	}{
		{name: "auto-empty-ipv4", args: []string{"--app-port=80", "--proxy-port=8443"}, root: emptyRoot()},
		{name: "auto-empty-dualstack", args: []string{"--app-port=80", "--proxy-port=8443"}, root: ipv6Root},
		{name: "auto-legacy-rules-present", args: []string{"--app-port=80", "--proxy-port=8443", "--mode=auto"},
			saves: map[string]string{"legacy ipv4": legacySaveWithRules}, root: emptyRoot()},
		{name: "nft-exclude-ports", args: []string{"--app-port=8080", "--proxy-port=8443", "--mode=nft", "--exclude-ports=9901,15020"}, root: emptyRoot()},
		{name: "legacy-dualstack", args: []string{"--app-port=80", "--proxy-port=8443", "--mode=legacy"}, root: ipv6Root},
		{name: "nft-rerun-jump-present", args: []string{"--app-port=80", "--proxy-port=8443", "--mode=nft"},
			saves: map[string]string{"nft ipv4": nftSaveOurs}, root: emptyRoot()},
		{name: "auto-rerun-duplicate-jumps", args: []string{"--app-port=80", "--proxy-port=8443"},
			saves: map[string]string{"nft ipv4": nftSaveOursTwice}, root: emptyRoot()},
		{name: "auto-unprivileged", args: []string{"--app-port=80", "--proxy-port=8443"},
			fail: map[string]bool{"legacy ipv4": true, "nft ipv4": true}, root: emptyRoot()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &fakeRunner{saves: c.saves, failSave: c.fail}
			var stdout, stderr strings.Builder
			args := append(append([]string{}, c.args...), "--dry-run")
			if code := run(args, r, c.root, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			if len(r.restores) != 0 {
				t.Fatalf("dry run applied rules: %v", r.restores)
			}
			got := "$ tls-sidecar-init " + strings.Join(args, " ") + "\n" + stdout.String()
			if stderr.Len() > 0 {
				got += "# stderr:\n" + stderr.String()
			}
			golden(t, filepath.Join("testdata", c.name+".golden"), got)
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (go test -update rewrites it)\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// TestApplyRunsWhatDryRunPrints: what is applied is byte for byte the printed script.
func TestApplyRunsWhatDryRunPrints(t *testing.T) {
	args := []string{"--app-port=80", "--proxy-port=8443", "--mode=nft"}
	dry := &fakeRunner{}
	var printed strings.Builder
	if code := run(append(args, "--dry-run"), dry, ipv6Root, &printed, os.Stderr); code != 0 {
		t.Fatal("dry run failed")
	}
	real := &fakeRunner{saves: map[string]string{}}
	// the fake save after apply returns what a correct apply leaves, so verification passes
	real.saves["nft ipv4"] = nftSaveOurs
	real.saves["nft ipv6"] = nftSaveOurs
	realFirst := &fakeRunner{saves: map[string]string{}}
	plan, err := MakePlan(Config{AppPort: 80, ProxyPort: 8443, Mode: ModeNft}, realFirst, emptyRoot(), []Family{IPv4, IPv6}, false, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.Apply(real, Config{AppPort: 80, ProxyPort: 8443}); err != nil {
		t.Fatal(err)
	}
	if len(real.restores) != 2 {
		t.Fatalf("restores: %d", len(real.restores))
	}
	for _, rs := range real.restores {
		script := rs[strings.Index(rs, "\n")+1:]
		if !strings.Contains(printed.String(), script) {
			t.Errorf("applied script not in dry-run output:\n%s", script)
		}
	}
}

func TestApplyVerifiesResult(t *testing.T) {
	cfg := Config{AppPort: 80, ProxyPort: 8443, Mode: ModeNft}
	plan, err := MakePlan(cfg, &fakeRunner{}, emptyRoot(), []Family{IPv4}, false, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	// a backend that silently did nothing
	if err := plan.Apply(&fakeRunner{}, cfg); err == nil || !strings.Contains(err.Error(), "0 jumps") {
		t.Fatalf("want verification error, got %v", err)
	}
	// duplicate jumps left behind
	if err := plan.Apply(&fakeRunner{saves: map[string]string{"nft ipv4": nftSaveOursTwice}}, cfg); err == nil {
		t.Fatal("want verification error for two jumps")
	}
}

func TestMakePlanStrictWhenApplying(t *testing.T) {
	_, err := MakePlan(Config{AppPort: 80, ProxyPort: 8443, Mode: ModeNft}, &fakeRunner{failSave: map[string]bool{"nft ipv4": true}}, emptyRoot(), []Family{IPv4}, false, os.Stderr)
	if err == nil {
		t.Fatal("reading failure must stop a real run")
	}
}

func TestAutoRefusesUnreadableLegacyTables(t *testing.T) {
	root := fstest.MapFS{"proc/net/ip_tables_names": {Data: []byte("nat\n")}}
	r := &fakeRunner{failSave: map[string]bool{"legacy ipv4": true}}
	var stderr strings.Builder
	code := run([]string{"--app-port=80", "--proxy-port=8443"}, r, root, &strings.Builder{}, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "legacy ipv4 tables (nat) that cannot be read") || !strings.Contains(stderr.String(), "NET_RAW") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	// without legacy tables, the same failure is harmless: nft
	r = &fakeRunner{failSave: map[string]bool{"legacy ipv4": true}, saves: map[string]string{"nft ipv4": nftSaveOurs}}
	if code := run([]string{"--app-port=80", "--proxy-port=8443"}, r, emptyRoot(), &strings.Builder{}, &strings.Builder{}); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestMissingCapsHint(t *testing.T) {
	status := "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t0000000000001000\n" // NET_ADMIN only
	root := fstest.MapFS{"proc/self/status": {Data: []byte(status)}}
	caps, ok := EffectiveCaps(root)
	if !ok || caps != 1<<capNetAdmin {
		t.Fatalf("caps %x %v", caps, ok)
	}
	if m := MissingCaps(ModeNft, caps); len(m) != 0 {
		t.Fatalf("nft: %v", m)
	}
	if m := MissingCaps(ModeLegacy, caps); len(m) != 1 || m[0] != "NET_RAW" {
		t.Fatalf("legacy: %v", m)
	}
	if m := MissingCaps(ModeNft, 0); len(m) != 1 || m[0] != "NET_ADMIN" {
		t.Fatalf("none: %v", m)
	}
}
