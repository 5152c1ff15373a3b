// Command proxy terminates TLS in front of an application listening on plain
// HTTP in the same pod, reloading its certificate when the Secret volume
// changes. See README.md for flags, endpoints and metrics.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.LookupEnv, os.Stderr))
}

// run returns the process exit code: 0 after a clean (or forced) drain,
// 2 for invalid flags, 1 for any other startup failure. Startup failures are
// one line on stderr naming the flag or file at fault.
func run(args []string, lookupEnv func(string) (string, bool), stderr io.Writer) int {
	cfg, err := ParseConfig(args, lookupEnv)
	var help *HelpError
	if errors.As(err, &help) {
		fmt.Fprint(stderr, help.Usage)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "proxy: %v\n", err)
		return 2
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))

	srv, err := NewServer(cfg, logger)
	if err != nil {
		fmt.Fprintf(stderr, "proxy: %v\n", err)
		return 1
	}
	if err := srv.Listen(); err != nil {
		fmt.Fprintf(stderr, "proxy: %v\n", err)
		return 1
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)
	go func() {
		terms := 0
		for sig := range sigs {
			switch sig {
			case syscall.SIGHUP:
				_ = srv.certs.Reload("sighup")
			default:
				// First SIGTERM drains; a second one skips the drain delay.
				if terms++; terms == 1 {
					logger.Info("signal received, shutting down", "signal", sig.String())
					stop()
				} else {
					srv.Hurry()
				}
			}
		}
	}()

	if err := srv.Serve(ctx); err != nil {
		return 1
	}
	return 0
}
