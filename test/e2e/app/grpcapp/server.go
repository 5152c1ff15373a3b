// Package grpcapp is the e2e app's gRPC mode ("e2eapp grpc"): what a gRPC service speaks on its plain port,
// HTTP/2 with prior knowledge, with the standard health service and a bidirectional echo.
package grpcapp

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
)

// NewServer has the health service (service and "" SERVING) and the interop suite's FullDuplexCall, which
// answers each message as it comes and ends with a trailer counting them.
func NewServer(service string) *grpc.Server {
	s := grpc.NewServer()
	h := health.NewServer()
	h.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	h.SetServingStatus(service, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(s, h)
	testpb.RegisterTestServiceServer(s, duplexEcho{service: service})
	return s
}

type duplexEcho struct {
	testpb.UnimplementedTestServiceServer
	service string
}

// FullDuplexCall answers each message as it arrives ("echo:" + its body), then sets the trailers x-echoed and
// x-service.
func (e duplexEcho) FullDuplexCall(stream testpb.TestService_FullDuplexCallServer) error {
	n := 0
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			stream.SetTrailer(metadata.Pairs("x-echoed", fmt.Sprint(n), "x-service", e.service))
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

// Serve serves NewServer(service) on listen until ctx ends, then stops at once (as the HTTP mode does on SIGTERM).
func Serve(ctx context.Context, listen, service string) {
	l, err := net.Listen("tcp", listen)
	if err != nil {
		log.Fatalf("e2eapp: %v", err)
	}
	s := NewServer(service)
	go func() {
		<-ctx.Done()
		log.Printf("e2eapp: SIGTERM, exiting")
		s.Stop()
	}()
	log.Printf("e2eapp: serving gRPC (h2c) on %s", listen)
	if err := s.Serve(l); err != nil {
		log.Fatalf("e2eapp: %v", err)
	}
}
