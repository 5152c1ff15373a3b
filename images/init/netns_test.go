package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestInNetns applies the real rules with the host's xtables binaries inside a fresh network namespace
// (`unshare --net`, so the host is untouched), twice per mode, and checks that one set of rules is left.
// Needs root and Debian's iptables package; skipped otherwise, except in CI (CI set), where .ci/run provides
// them and a skip would hide a missing install step.
func TestInNetns(t *testing.T) {
	skip := t.Skipf
	if os.Getenv("CI") != "" {
		skip = t.Fatalf
	}
	if os.Getenv("TLS_SIDECAR_INIT_IN_NETNS") == "1" {
		inNetns(t)
		return
	}
	if os.Geteuid() != 0 {
		skip("needs root (creates a network namespace)")
	}
	for _, b := range Binaries {
		if _, err := os.Stat(b); err != nil {
			skip("needs %s (apt-get install iptables)", b)
		}
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		skip("needs unshare (util-linux)")
	}
	cmd := exec.Command(unshare, "--net", os.Args[0], "-test.run=^TestInNetns$", "-test.v")
	cmd.Env = append(os.Environ(), "TLS_SIDECAR_INIT_IN_NETNS=1")
	out, err := cmd.CombinedOutput()
	t.Logf("in netns:\n%s", out)
	if err != nil {
		t.Fatal(err)
	}
}

func inNetns(t *testing.T) {
	r := execRunner{}
	root := os.DirFS("/")
	fams := []Family{IPv4}
	if HasIPv6(root) {
		fams = append(fams, IPv6)
	}
	apply := func(args ...string) {
		t.Helper()
		var out, errb strings.Builder
		if code := run(args, r, root, &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		t.Logf("%v: %s%s", args, out.String(), errb.String())
	}
	check := func(m Mode, wantRules int) {
		t.Helper()
		for _, fam := range fams {
			save, err := Save(r, m, fam)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(JumpsToChain(save)); n != 1 {
				t.Errorf("%s %s: %d jumps\n%s", m, fam, n, save)
			}
			if n := len(ChainRules(save)); n != wantRules {
				t.Errorf("%s %s: %d chain rules, want %d\n%s", m, fam, n, wantRules, save)
			}
		}
	}

	// nft: an empty namespace resolves auto to nft; twice leaves one set
	apply("--app-port=80", "--proxy-port=8443")
	apply("--app-port=80", "--proxy-port=8443", "--mode=auto")
	check(ModeNft, 2)
	// changing flags replaces our chain's content, still one jump
	apply("--app-port=80", "--proxy-port=8443", "--mode=nft", "--exclude-ports=9901,15000")
	check(ModeNft, 4)

	// legacy, explicitly; then auto must stay where the rules are (legacy now has more)
	apply("--app-port=80", "--proxy-port=8443", "--mode=legacy", "--exclude-ports=1,2,3")
	apply("--app-port=80", "--proxy-port=8443", "--mode=legacy", "--exclude-ports=1,2,3")
	check(ModeLegacy, 5)
	var out strings.Builder
	if code := run([]string{"--app-port=80", "--proxy-port=8443", "--dry-run"}, r, root, &out, os.Stderr); code != 0 {
		t.Fatal("dry run failed")
	}
	if !strings.Contains(out.String(), "# mode: legacy") || strings.Contains(out.String(), "-A PREROUTING") {
		t.Errorf("auto after legacy rules: want legacy and no new jump:\n%s", out.String())
	}
}
