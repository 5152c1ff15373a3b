// Command tls-sidecar-init redirects a pod's inbound app port to its TLS proxy port, in the pod's
// network namespace, with iptables-restore (nft or legacy backend). See README.md.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], execRunner{}, os.DirFS("/"), os.Stdout, os.Stderr))
}

func run(args []string, r Runner, root fs.FS, stdout, stderr io.Writer) int {
	cfg, err := ParseArgs(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "tls-sidecar-init: %v\n", err)
		return 2
	}
	families := []Family{IPv4}
	if HasIPv6(root) {
		families = append(families, IPv6)
	}
	plan, err := MakePlan(cfg, r, root, families, cfg.DryRun, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "tls-sidecar-init: %v\n", err)
		return 1
	}
	if cfg.DryRun {
		fmt.Fprint(stdout, plan.Text())
		return 0
	}
	if plan.Mode == ModeLegacy {
		if er, ok := r.(execRunner); ok {
			lock, err := ChooseLockFile(LockFileCandidates())
			if err != nil {
				fmt.Fprintf(stderr, "tls-sidecar-init: %v\n", err)
				return 1
			}
			er.env = append(er.env, "XTABLES_LOCKFILE="+lock)
			r = er
		}
	}
	if err := plan.Apply(r, cfg); err != nil {
		fmt.Fprintf(stderr, "tls-sidecar-init: %v\n", err)
		if caps, ok := EffectiveCaps(root); ok {
			if missing := MissingCaps(plan.Mode, caps); len(missing) > 0 {
				fmt.Fprintf(stderr, "tls-sidecar-init: hint: --mode=%s needs the capabilities NET_ADMIN%s (as root); missing: %s\n",
					plan.Mode, map[bool]string{true: " and NET_RAW", false: ""}[plan.Mode == ModeLegacy], strings.Join(missing, ", "))
			}
		}
		return 1
	}
	fmt.Fprintf(stdout, "tls-sidecar-init: mode %s (%s): inbound tcp/%d redirected to tcp/%d for %v, excluded ports %v\n",
		plan.Mode, plan.Reason, cfg.AppPort, cfg.ProxyPort, families, cfg.ExcludePorts)
	return 0
}
