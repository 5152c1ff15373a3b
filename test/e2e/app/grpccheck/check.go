package main

import (
	"context"
	"fmt"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Report is what Run saw, one field per call.
type Report struct {
	// Check is the unary health status of service.
	Check string `json:"check"`
	// Unknown is the status code of a Check of a service the server does not know (sent in trailers only).
	Unknown string `json:"unknown"`
	// Watch is the first message of the server-streaming Watch of service.
	Watch string `json:"watch"`
	// Echoed are FullDuplexCall's answers, in order, and EchoTrailer its trailer x-echoed.
	Echoed      []string `json:"echoed"`
	EchoTrailer string   `json:"echoTrailer"`
}

// Run makes the calls on conn and fails on the first that does not behave as a gRPC server should.
func Run(ctx context.Context, conn *grpc.ClientConn, service string) (Report, error) {
	var r Report
	h := healthpb.NewHealthClient(conn)
	res, err := h.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		return r, fmt.Errorf("Check(%q): %w", service, err)
	}
	r.Check = res.GetStatus().String()

	_, err = h.Check(ctx, &healthpb.HealthCheckRequest{Service: "no-such-service"})
	r.Unknown = status.Code(err).String()
	if status.Code(err) != codes.NotFound {
		return r, fmt.Errorf("Check of an unknown service: %v, want NotFound", err)
	}

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := h.Watch(wctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		return r, fmt.Errorf("Watch(%q): %w", service, err)
	}
	first, err := w.Recv()
	if err != nil {
		return r, fmt.Errorf("Watch(%q) first message: %w", service, err)
	}
	r.Watch = first.GetStatus().String()
	cancel()

	echo, err := testpb.NewTestServiceClient(conn).FullDuplexCall(ctx)
	if err != nil {
		return r, fmt.Errorf("FullDuplexCall: %w", err)
	}
	for _, msg := range []string{"one", "two", "three"} {
		// One at a time: each answer must arrive before the next message is sent (streaming, not buffering).
		if err := echo.Send(&testpb.StreamingOutputCallRequest{Payload: &testpb.Payload{Body: []byte(msg)}}); err != nil {
			return r, fmt.Errorf("FullDuplexCall send %q: %w", msg, err)
		}
		got, err := echo.Recv()
		if err != nil {
			return r, fmt.Errorf("FullDuplexCall answer to %q: %w", msg, err)
		}
		r.Echoed = append(r.Echoed, string(got.GetPayload().GetBody()))
	}
	if err := echo.CloseSend(); err != nil {
		return r, err
	}
	if _, err := echo.Recv(); err != io.EOF {
		return r, fmt.Errorf("FullDuplexCall end: %v, want the stream's end", err)
	}
	r.EchoTrailer = firstOf(echo.Trailer(), "x-echoed")
	return r, nil
}

func firstOf(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}
