//go:build pprof

package main

// Built only with -tags pprof (bench/profile.sh): serves net/http/pprof on
// $PROXY_PPROF_LISTEN so the release binary carries no profiling endpoint.

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	if addr := os.Getenv("PROXY_PPROF_LISTEN"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
}
