package main

import (
	"fmt"
	"strings"
)

// Chain is our own chain in the nat table; PREROUTING jumps to it once.
const Chain = "TLS_SIDECAR_PREROUTING"

// commentPrefix names us on every rule we write, so `iptables-save` shows whose rules they are.
const commentPrefix = "tls-sidecar-init:"

// Family is an IP family with its own iptables tool (iptables or ip6tables).
type Family string

const (
	IPv4 Family = "ipv4"
	IPv6 Family = "ipv6"
)

func comment(text string) string {
	return fmt.Sprintf("-m comment --comment %q", commentPrefix+" "+text)
}

// jumpRule is the PREROUTING rule (without -A/-D) that sends every inbound packet to our chain.
func jumpRule() string {
	return fmt.Sprintf("PREROUTING %s -j %s", comment("inbound redirect to the TLS proxy"), Chain)
}

// Render returns the iptables-restore input (to be applied with --noflush) for one family.
//
// existingJumps are the PREROUTING rules, as iptables-save prints them ("-A PREROUTING ... -j TLS_SIDECAR_PREROUTING"),
// that already jump to our chain. The script is idempotent by construction:
//   - the ":TLS_SIDECAR_PREROUTING" line creates our chain, or flushes it when it exists, and the rules refill it,
//     all in one COMMIT (one atomic transaction), so a re-run leaves exactly one copy of our rules;
//   - the jump from PREROUTING is added only when none exists, and surplus ones (older runs) are deleted.
//
// There is no interface match: the rule applies to whatever the CNI calls the pod's interface. Loopback is
// returned explicitly (belt and braces: the proxy's own connection to 127.0.0.1:<app-port> is created in OUTPUT
// and nat PREROUTING never sees its first packet anyway).
func Render(cfg Config, fam Family, existingJumps []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s redirect inbound tcp/%d to the TLS proxy on tcp/%d (%s)\n", commentPrefix, cfg.AppPort, cfg.ProxyPort, fam)
	b.WriteString("*nat\n")
	fmt.Fprintf(&b, ":%s - [0:0]\n", Chain)
	fmt.Fprintf(&b, "-A %s -i lo %s -j RETURN\n", Chain, comment("loopback is never redirected"))
	for _, p := range cfg.ExcludePorts {
		fmt.Fprintf(&b, "-A %s -p tcp -m tcp --dport %d %s -j RETURN\n", Chain, p, comment(fmt.Sprintf("excluded port %d", p)))
	}
	fmt.Fprintf(&b, "-A %s -p tcp -m tcp --dport %d %s -j REDIRECT --to-ports %d\n", Chain, cfg.AppPort,
		comment(fmt.Sprintf("app port %d to proxy port %d", cfg.AppPort, cfg.ProxyPort)), cfg.ProxyPort)
	switch {
	case len(existingJumps) == 0:
		fmt.Fprintf(&b, "-A %s\n", jumpRule())
	case len(existingJumps) > 1:
		// keep the first, delete the others (each by its exact spec as iptables-save printed it)
		for _, j := range existingJumps[1:] {
			fmt.Fprintf(&b, "-D %s\n", strings.TrimPrefix(j, "-A "))
		}
	}
	b.WriteString("COMMIT\n")
	return b.String()
}

// JumpsToChain returns the "-A PREROUTING ... -j TLS_SIDECAR_PREROUTING" lines of the nat table in an iptables-save output.
func JumpsToChain(save string) []string {
	var out []string
	table := ""
	for _, line := range strings.Split(save, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "*") {
			table = line[1:]
			continue
		}
		if table == "nat" && strings.HasPrefix(line, "-A PREROUTING ") && strings.HasSuffix(line, "-j "+Chain) {
			out = append(out, line)
		}
	}
	return out
}

// ChainRules returns the "-A TLS_SIDECAR_PREROUTING ..." lines of the nat table in an iptables-save output.
func ChainRules(save string) []string {
	var out []string
	table := ""
	for _, line := range strings.Split(save, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "*") {
			table = line[1:]
			continue
		}
		if table == "nat" && strings.HasPrefix(line, "-A "+Chain+" ") {
			out = append(out, line)
		}
	}
	return out
}
