package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"
)

// Binaries are the xtables multi-call binaries, one per backend; the image copies them to these paths
// from Debian's iptables package (as on a Debian host).
var Binaries = map[Mode]string{
	ModeNft:    "/usr/sbin/xtables-nft-multi",
	ModeLegacy: "/usr/sbin/xtables-legacy-multi",
}

// Runner runs one command with stdin and returns its stdout; stderr goes into the error.
type Runner interface {
	Run(stdin string, name string, args ...string) (string, error)
}

type execRunner struct {
	env []string // extra environment, e.g. XTABLES_LOCKFILE
}

func (e execRunner) Run(stdin, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), e.env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

func tool(fam Family, verb string) string {
	if fam == IPv6 {
		return "ip6tables-" + verb
	}
	return "iptables-" + verb
}

// Save returns iptables-save output of one backend and family.
func Save(r Runner, m Mode, fam Family) (string, error) {
	return r.Run("", Binaries[m], tool(fam, "save"))
}

// Step is one iptables-restore invocation.
type Step struct {
	Family Family
	Argv   []string // binary and arguments
	Script string   // its stdin
}

// Plan is everything the init container does, decided before anything changes.
type Plan struct {
	Mode   Mode
	Reason string
	Steps  []Step
}

// MakePlan reads the namespace (iptables-save; never writes) and renders the steps.
// When reading fails and tolerant is set (dry-run without privileges), it assumes an empty namespace
// and reports that in warn.
func MakePlan(cfg Config, r Runner, root fs.FS, families []Family, tolerant bool, warn io.Writer) (Plan, error) {
	var p Plan
	p.Mode = cfg.Mode
	if cfg.Mode == ModeAuto {
		legacy, nft := 0, 0
		for _, fam := range families {
			if out, err := Save(r, ModeLegacy, fam); err != nil {
				// Legacy tables we cannot read (typically: no NET_RAW) may hold rules: choosing nft blind would mix
				// backends, so stop. No tables at all (or a kernel without x_tables): nothing to coexist with.
				if tables := LegacyTables(root, fam); len(tables) > 0 && !tolerant {
					return Plan{}, fmt.Errorf("--mode=auto: this namespace has legacy %s tables (%s) that cannot be read (%v): "+
						"grant NET_RAW so auto can count their rules, or pass --mode=nft or --mode=legacy", fam, strings.Join(tables, ","), err)
				}
				fmt.Fprintf(warn, "tls-sidecar-init: warning: cannot read legacy %s rules, counting none: %v\n", fam, err)
			} else {
				legacy += CountRules(out)
			}
			if out, err := Save(r, ModeNft, fam); err != nil {
				if !tolerant {
					return Plan{}, fmt.Errorf("reading nft %s rules: %w", fam, err)
				}
				fmt.Fprintf(warn, "tls-sidecar-init: warning: cannot read nft %s rules, counting none: %v\n", fam, err)
			} else {
				nft += CountRules(out)
			}
		}
		p.Mode = ChooseMode(ModeAuto, legacy, nft)
		p.Reason = fmt.Sprintf("auto: %d legacy rule(s), %d nft rule(s) in this namespace", legacy, nft)
	} else {
		p.Reason = "requested"
	}
	for _, fam := range families {
		save, err := Save(r, p.Mode, fam)
		if err != nil {
			if !tolerant {
				return Plan{}, fmt.Errorf("reading %s %s rules: %w", p.Mode, fam, err)
			}
			fmt.Fprintf(warn, "tls-sidecar-init: warning: cannot read %s %s rules, assuming none: %v\n", p.Mode, fam, err)
			save = ""
		}
		p.Steps = append(p.Steps, Step{
			Family: fam,
			Argv:   []string{Binaries[p.Mode], tool(fam, "restore"), "--noflush"},
			Script: Render(cfg, fam, JumpsToChain(save)),
		})
	}
	return p, nil
}

// Text is the dry-run output: for each step, a comment naming the command, then its exact stdin.
// The whole text is itself valid iptables-restore input.
func (p Plan) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# mode: %s (%s)\n", p.Mode, p.Reason)
	for _, s := range p.Steps {
		fmt.Fprintf(&b, "# command: %s\n", strings.Join(s.Argv, " "))
		b.WriteString(s.Script)
	}
	return b.String()
}

// Apply runs the steps, then checks the result: one jump from PREROUTING and our rules in our chain.
func (p Plan) Apply(r Runner, cfg Config) error {
	for _, s := range p.Steps {
		if _, err := r.Run(s.Script, s.Argv[0], s.Argv[1:]...); err != nil {
			return fmt.Errorf("applying %s rules: %w", s.Family, err)
		}
		save, err := Save(r, p.Mode, s.Family)
		if err != nil {
			return fmt.Errorf("verifying %s rules: %w", s.Family, err)
		}
		if n := len(JumpsToChain(save)); n != 1 {
			return fmt.Errorf("verifying %s rules: %d jumps from PREROUTING to %s, want 1", s.Family, n, Chain)
		}
		if n, want := len(ChainRules(save)), 2+len(cfg.ExcludePorts); n != want {
			return fmt.Errorf("verifying %s rules: %d rules in %s, want %d", s.Family, n, Chain, want)
		}
	}
	return nil
}

// LockFileCandidates are where the legacy backend may put its lock file (it flock()s it around each change),
// in order: $XTABLES_LOCKFILE, iptables' default, then the places a pod keeps writable when the root filesystem
// is read-only (/dev/shm is a tmpfs in Docker and Kubernetes; /tmp if the pod mounts an emptyDir there).
// The lock only orders iptables users that share the file, i.e. containers of this pod that share a mount:
// init containers run one at a time, so a private lock file loses nothing.
func LockFileCandidates() []string {
	c := []string{}
	if v := os.Getenv("XTABLES_LOCKFILE"); v != "" {
		c = append(c, v)
	}
	return append(c, "/run/xtables.lock", "/dev/shm/xtables.lock", "/tmp/xtables.lock")
}

// ChooseLockFile returns the first candidate that can be opened (created) the way iptables opens it.
func ChooseLockFile(candidates []string) (string, error) {
	var errs []string
	for _, p := range candidates {
		f, err := os.OpenFile(p, os.O_RDONLY|os.O_CREATE, 0o600)
		if err == nil {
			f.Close()
			return p, nil
		}
		errs = append(errs, err.Error())
	}
	return "", fmt.Errorf("no writable place for the xtables lock file (%s): mount an emptyDir at /tmp or set XTABLES_LOCKFILE", strings.Join(errs, "; "))
}
