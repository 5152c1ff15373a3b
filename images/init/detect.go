package main

import (
	"io/fs"
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
