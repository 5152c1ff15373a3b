package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Mode selects the iptables backend that writes the rules.
type Mode string

const (
	ModeAuto   Mode = "auto"   // legacy if the namespace already has legacy rules, else nft
	ModeNft    Mode = "nft"    // iptables-nft (nf_tables over netlink)
	ModeLegacy Mode = "legacy" // iptables-legacy (x_tables over setsockopt)
)

// Config is what the flags ask for.
type Config struct {
	AppPort      int
	ProxyPort    int
	ExcludePorts []int // sorted, without duplicates
	Mode         Mode
	DryRun       bool
}

// usageError is a flag problem: one line naming the flag, the value and what is allowed.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func badFlag(name, value, allowed string) error {
	return &usageError{fmt.Sprintf("invalid --%s=%q: %s", name, value, allowed)}
}

const portRule = "must be a TCP port, an integer from 1 to 65535"

func parsePort(name, value string) (int, error) {
	if value == "" {
		return 0, &usageError{fmt.Sprintf("missing --%s: required, %s", name, portRule)}
	}
	p, err := strconv.Atoi(strings.TrimSpace(value))
	if err != nil || p < 1 || p > 65535 {
		return 0, badFlag(name, value, portRule)
	}
	return p, nil
}

// ParseArgs parses the command line (without the program name).
// out receives -h/--help text; every error is a one-line *usageError or flag.ErrHelp.
func ParseArgs(args []string, out io.Writer) (Config, error) {
	fs := flag.NewFlagSet("tls-sidecar-init", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	appPort := fs.String("app-port", "", "TCP port the app listens on; inbound traffic to it is redirected (required)")
	proxyPort := fs.String("proxy-port", "", "TCP port the TLS proxy listens on (required)")
	exclude := fs.String("exclude-ports", "", "comma-separated TCP ports whose inbound traffic is never redirected")
	mode := fs.String("mode", string(ModeAuto), "iptables backend: auto|nft|legacy (auto: legacy if legacy rules exist, else nft)")
	dryRun := fs.Bool("dry-run", false, "print the exact iptables-restore input that would be applied, change nothing")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(out)
			fmt.Fprintln(out, "usage: tls-sidecar-init --app-port=PORT --proxy-port=PORT [--exclude-ports=P1,P2] [--mode=auto|nft|legacy] [--dry-run]")
			fs.PrintDefaults()
			return Config{}, err
		}
		// The flag package's messages are already one line and name the flag.
		return Config{}, &usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return Config{}, &usageError{fmt.Sprintf("unexpected argument %q: only --flags are accepted", fs.Arg(0))}
	}

	var cfg Config
	var err error
	if cfg.AppPort, err = parsePort("app-port", *appPort); err != nil {
		return Config{}, err
	}
	if cfg.ProxyPort, err = parsePort("proxy-port", *proxyPort); err != nil {
		return Config{}, err
	}
	if cfg.AppPort == cfg.ProxyPort {
		return Config{}, badFlag("proxy-port", *proxyPort, "must differ from --app-port (a redirect to itself would loop)")
	}

	seen := map[int]bool{}
	if strings.TrimSpace(*exclude) != "" {
		for _, item := range strings.Split(*exclude, ",") {
			p, err := strconv.Atoi(strings.TrimSpace(item))
			if err != nil || p < 1 || p > 65535 {
				return Config{}, badFlag("exclude-ports", *exclude, "must be a comma-separated list of TCP ports from 1 to 65535; "+strconv.Quote(item)+" is not")
			}
			if p == cfg.AppPort {
				return Config{}, badFlag("exclude-ports", *exclude, fmt.Sprintf("must not contain the --app-port %d (nothing would be redirected)", p))
			}
			if !seen[p] {
				seen[p] = true
				cfg.ExcludePorts = append(cfg.ExcludePorts, p)
			}
		}
		sort.Ints(cfg.ExcludePorts)
	}

	switch m := Mode(*mode); m {
	case ModeAuto, ModeNft, ModeLegacy:
		cfg.Mode = m
	default:
		return Config{}, badFlag("mode", *mode, "must be one of auto, nft, legacy")
	}
	cfg.DryRun = *dryRun
	return cfg, nil
}
