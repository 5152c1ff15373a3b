package main

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"tlssidecar/e2eapp/grpcapp"
)

// dial serves s on 127.0.0.1 (plain h2c, as the app does behind the proxy) and connects a client to it.
func dial(t *testing.T, s *grpc.Server) *grpc.ClientConn {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(l) }()
	t.Cleanup(s.Stop)
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func runOn(t *testing.T, conn *grpc.ClientConn, service string) (Report, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return Run(ctx, conn, service)
}

func TestRunAgainstTheApp(t *testing.T) {
	r, err := runOn(t, dial(t, grpcapp.NewServer("svc")), "svc")
	if err != nil {
		t.Fatal(err)
	}
	want := Report{Check: "SERVING", Unknown: "NotFound", Watch: "SERVING", Echoed: []string{"echo:one", "echo:two", "echo:three"}, EchoTrailer: "3"}
	if r.Check != want.Check || r.Unknown != want.Unknown || r.Watch != want.Watch || !slices.Equal(r.Echoed, want.Echoed) || r.EchoTrailer != want.EchoTrailer {
		t.Fatalf("got %+v, want %+v", r, want)
	}
}

// A server with the health service only: Run fails at the echo and says so.
func TestRunFailsWithoutTheEcho(t *testing.T) {
	s := grpc.NewServer()
	h := health.NewServer()
	h.SetServingStatus("svc", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(s, h)
	r, err := runOn(t, dial(t, s), "svc")
	if err == nil || r.Check != "SERVING" || r.Watch != "SERVING" || len(r.Echoed) != 0 {
		t.Fatalf("report %+v, error %v: want the health calls to pass and FullDuplexCall to fail", r, err)
	}
}

// A service the server does not know: Check fails with NotFound.
func TestRunFailsForAnUnknownService(t *testing.T) {
	if _, err := runOn(t, dial(t, grpcapp.NewServer("svc")), "other"); err == nil {
		t.Fatal("Run passed for a service the server does not serve")
	}
}
