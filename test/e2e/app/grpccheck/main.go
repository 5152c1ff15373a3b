// Command grpccheck is the gRPC client of the e2e: real grpc-go calls of each kind (unary, server streaming,
// bidirectional streaming, an error status sent in trailers only) to the app's gRPC mode through the sidecar,
// each checked, so a test can tell that a gRPC app behind the sidecar works end to end.
//
//	grpccheck --addr=127.0.0.1:30454 --ca=ca.pem --server-name=localhost [--service=tls-sidecar-e2e-app]
//
// Prints the Report as JSON and exits 0, or prints what failed and exits 1.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

func main() {
	addr := flag.String("addr", "", "host:port of the sidecar's TLS port")
	caFile := flag.String("ca", "", "PEM file of the CA that signed the sidecar's certificate")
	serverName := flag.String("server-name", "localhost", "name the certificate must hold (SNI)")
	service := flag.String("service", "tls-sidecar-e2e-app", "health service to check")
	timeout := flag.Duration("timeout", 20*time.Second, "deadline of all the calls together")
	flag.Parse()
	if err := run(*addr, *caFile, *serverName, *service, *timeout); err != nil {
		fmt.Fprintf(os.Stderr, "grpccheck: %v\n", err)
		os.Exit(1)
	}
}

func run(addr, caFile, serverName, service string, timeout time.Duration) error {
	if addr == "" || caFile == "" {
		return fmt.Errorf("--addr and --ca are required")
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("--ca %s: no PEM certificate in it", caFile)
	}
	creds := credentials.NewTLS(&tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12})
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	r, err := Run(ctx, conn, service)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}
