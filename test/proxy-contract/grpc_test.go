package proxycontract

import (
	"context"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// A gRPC app behind the proxy, with --upstream-protocol=h2c (HTTP/2 with
// prior knowledge: what a gRPC server speaks on a plain port), and a gRPC
// client that speaks TLS to the proxy. Both ends are grpc-go, the way real
// apps and clients are, not requests shaped by hand.

const grpcService = "tls-sidecar.contract"

// grpcApp is a gRPC server on 127.0.0.1 with the standard health service
// and a bidirectional echo (the interop suite's FullDuplexCall).
type grpcApp struct {
	addr   string
	health *health.Server
}

type duplexEcho struct {
	testpb.UnimplementedTestServiceServer
}

// FullDuplexCall answers each message as it arrives, with a trailer naming
// how many it answered: streaming both ways, then trailers.
func (duplexEcho) FullDuplexCall(stream testpb.TestService_FullDuplexCallServer) error {
	n := 0
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			stream.SetTrailer(metadata.Pairs("x-echoed", fmt.Sprint(n)))
			return nil
		}
		if err != nil {
			return err
		}
		n++
		body := append([]byte("echo:"), req.GetPayload().GetBody()...)
		if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: &testpb.Payload{Body: body}}); err != nil {
			return err
		}
	}
}

func newGRPCApp(t *testing.T) *grpcApp {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	srv := grpc.NewServer()
	app := &grpcApp{addr: ln.Addr().String(), health: health.NewServer()}
	healthpb.RegisterHealthServer(srv, app.health)
	testpb.RegisterTestServiceServer(srv, duplexEcho{})
	app.health.SetServingStatus(grpcService, healthpb.HealthCheckResponse_SERVING)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return app
}

func grpcThroughProxy(t *testing.T) (*grpcApp, *grpc.ClientConn) {
	t.Helper()
	app := newGRPCApp(t)
	p := startProxy(t, proxyOpts{upstream: "http://" + app.addr, args: []string{"--upstream-protocol=h2c"}})
	conn, err := grpc.NewClient(p.addr, grpc.WithTransportCredentials(credentials.NewTLS(p.tlsConfig())))
	must(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return app, conn
}

// TestGRPCUnaryThroughH2CUpstream: the health service's Check, and an error
// status, which gRPC carries in the HTTP/2 trailers: a proxy that drops
// trailers turns it into a transport error.
func TestGRPCUnaryThroughH2CUpstream(t *testing.T) {
	_, conn := grpcThroughProxy(t)
	c := healthpb.NewHealthClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := c.Check(ctx, &healthpb.HealthCheckRequest{Service: grpcService})
	if err != nil {
		t.Fatalf("Check through the proxy: %v", err)
	}
	if r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("Check = %v, want SERVING", r.GetStatus())
	}
	_, err = c.Check(ctx, &healthpb.HealthCheckRequest{Service: "no-such-service"})
	if status.Code(err) != codes.NotFound {
		t.Errorf("Check of an unknown service = %v, want the app's NotFound (grpc-status in the trailers)", err)
	}
}

// TestGRPCServerStreamingThroughH2CUpstream: Watch sends each status change
// as it happens; each must arrive before the next is made.
func TestGRPCServerStreamingThroughH2CUpstream(t *testing.T) {
	app, conn := grpcThroughProxy(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, err := healthpb.NewHealthClient(conn).Watch(ctx, &healthpb.HealthCheckRequest{Service: grpcService})
	must(t, err)
	// the first message is the status now; each change after it is made only once the one before arrived
	want := []healthpb.HealthCheckResponse_ServingStatus{
		healthpb.HealthCheckResponse_SERVING, healthpb.HealthCheckResponse_NOT_SERVING, healthpb.HealthCheckResponse_SERVING,
	}
	for i := range want {
		got, err := w.Recv()
		if err != nil {
			t.Fatalf("Watch message %d: %v", i+1, err)
		}
		if got.GetStatus() != want[i] {
			t.Fatalf("Watch message %d = %v, want %v", i+1, got.GetStatus(), want[i])
		}
		if i+1 < len(want) {
			app.health.SetServingStatus(grpcService, want[i+1])
		}
	}
}

// TestGRPCBidirectionalStreamingThroughH2CUpstream: each message is answered
// while the client's side of the stream is still open, then the trailer the
// app set at the end arrives.
func TestGRPCBidirectionalStreamingThroughH2CUpstream(t *testing.T) {
	_, conn := grpcThroughProxy(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := testpb.NewTestServiceClient(conn).FullDuplexCall(ctx)
	must(t, err)
	const n = 5
	for i := range n {
		msg := fmt.Sprintf("m%d", i)
		must(t, s.Send(&testpb.StreamingOutputCallRequest{Payload: &testpb.Payload{Body: []byte(msg)}}))
		r, err := s.Recv()
		if err != nil {
			t.Fatalf("answer %d: %v", i+1, err)
		}
		if got := string(r.GetPayload().GetBody()); got != "echo:"+msg {
			t.Fatalf("answer %d = %q, want %q", i+1, got, "echo:"+msg)
		}
	}
	must(t, s.CloseSend())
	if _, err := s.Recv(); err != io.EOF {
		t.Fatalf("end of stream = %v, want io.EOF (status OK)", err)
	}
	if got := s.Trailer().Get("x-echoed"); len(got) != 1 || got[0] != fmt.Sprint(n) {
		t.Errorf("trailer x-echoed = %v, want [%d]", got, n)
	}
}
