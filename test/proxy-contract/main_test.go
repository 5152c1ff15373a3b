package proxycontract

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// proxyBin is the binary under test: $PROXY_BIN, or images/proxy built into a
// temporary directory when that is unset.
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
	dir, err := os.MkdirTemp("", "proxy-contract-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(dir)
	proxyBin = filepath.Join(dir, "proxy")
	if err := buildProxy(proxyBin); err != nil {
		fmt.Fprintf(os.Stderr, "building images/proxy (set PROXY_BIN to test another binary): %v\n", err)
		return 2
	}
	return m.Run()
}

// buildProxy builds ../../images/proxy (relative to this package, which is
// where go test runs it) into out.
func buildProxy(out string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goTool, "build", "-o", out, ".")
	cmd.Dir = filepath.Join("..", "..", "images", "proxy")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}
