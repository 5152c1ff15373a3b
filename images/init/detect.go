package main

import (
	"io/fs"
	"strconv"
	"strings"
)

// CountRules counts the rules ("-A ..." lines, any table) in an iptables-save output.
func CountRules(save string) int {
	n := 0
	for _, line := range strings.Split(save, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "-A ") {
			n++
		}
	}
	return n
}

// ChooseMode resolves --mode=auto the way Kubernetes' iptables-wrappers, Istio and Linkerd do: the backend
// that already holds rules in this network namespace wins, because mixing both makes the packet path depend
// on hook order. legacy only when it holds more rules than nft (so "no rules anywhere" means nft, and our
// own nft rules from an earlier run keep us on nft).
func ChooseMode(requested Mode, legacyRules, nftRules int) Mode {
	if requested != ModeAuto {
		return requested
	}
	if legacyRules > nftRules {
		return ModeLegacy
	}
	return ModeNft
}

// HasIPv6 tells whether this network namespace has IPv6: an interface carries an IPv6 address
// (/proc/net/if_inet6, which lists ::1 on lo as soon as IPv6 is on), or IPv6 is enabled for interfaces.
// root is the filesystem holding "proc" (os.DirFS("/") in production).
func HasIPv6(root fs.FS) bool {
	if b, err := fs.ReadFile(root, "proc/net/if_inet6"); err == nil && strings.TrimSpace(string(b)) != "" {
		return true
	}
	if b, err := fs.ReadFile(root, "proc/sys/net/ipv6/conf/all/disable_ipv6"); err == nil && strings.TrimSpace(string(b)) == "0" {
		return true
	}
	return false
}

// LegacyTables lists the x_tables tables the kernel has instantiated in this namespace for a family
// (/proc/net/ip_tables_names, ip6_tables_names); readable by root without any capability.
func LegacyTables(root fs.FS, fam Family) []string {
	name := "proc/net/ip_tables_names"
	if fam == IPv6 {
		name = "proc/net/ip6_tables_names"
	}
	b, err := fs.ReadFile(root, name)
	if err != nil {
		return nil
	}
	return strings.Fields(string(b))
}

// Linux capability numbers (include/uapi/linux/capability.h).
const (
	capNetAdmin = 12
	capNetRaw   = 13
)

// EffectiveCaps reads this process's effective capability set from /proc/self/status.
func EffectiveCaps(root fs.FS) (uint64, bool) {
	b, err := fs.ReadFile(root, "proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// MissingCaps names the capabilities a mode needs that caps lacks: nft talks netlink (NET_ADMIN);
// legacy also opens a raw socket for its get/setsockopt calls (NET_RAW).
func MissingCaps(m Mode, caps uint64) []string {
	var out []string
	if caps&(1<<capNetAdmin) == 0 {
		out = append(out, "NET_ADMIN")
	}
	if m == ModeLegacy && caps&(1<<capNetRaw) == 0 {
		out = append(out, "NET_RAW")
	}
	return out
}
