package proxycontract

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// proxyBin is the binary under test: $PROXY_BIN, or the Rust crate in
// images/proxy built as it ships (release.sh) when that is unset.
var proxyBin string

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	if bin := os.Getenv("PROXY_BIN"); bin != "" {
		if !filepath.IsAbs(bin) {
			fmt.Fprintf(os.Stderr, "PROXY_BIN must be an absolute path, got %q\n", bin)
			return 2
		}
		if _, err := os.Stat(bin); err != nil {
			fmt.Fprintf(os.Stderr, "PROXY_BIN: %v\n", err)
			return 2
		}
		proxyBin = bin
		return m.Run()
	}
	bin, err := buildProxy()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building images/proxy (set PROXY_BIN to test another binary): %v\n", err)
		return 2
	}
	proxyBin = bin
	return m.Run()
}

// buildProxy builds the proxy as it ships, with images/proxy/release.sh
// (static, profile-guided; cargo rebuilds only what changed), and returns the
// absolute path of the binary it made.
func buildProxy() (string, error) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "images", "proxy"))
	if err != nil {
		return "", err
	}
	target := os.Getenv("CARGO_TARGET_DIR")
	if target == "" {
		target = filepath.Join(dir, "target")
	} else if !filepath.IsAbs(target) {
		target = filepath.Join(dir, target)
	}
	out := filepath.Join(target, "shipped", "proxy")
	cmd := exec.Command("./release.sh", out)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CARGO_ARGS=-j2")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", err
	}
	return out, nil
}
