package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// An upstream that exercises the fast path's edge cases.
func edgeUpstream(t *testing.T, conns *atomic.Int64, canceled chan<- struct{}) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Method", r.Method)
		w.Write(b)
	})
	mux.HandleFunc("/nocontent", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	})
	mux.HandleFunc("/trailer", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		io.WriteString(w, "body")
		w.(http.Flusher).Flush()
		w.Header().Set("X-Sum", "42")
	})
	mux.HandleFunc("/hints", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		io.WriteString(w, "final")
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		<-r.Context().Done() // ends when the proxy closes the upstream connection
		canceled <- struct{}{}
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func TestTransportEdgeCases(t *testing.T) {
	var conns atomic.Int64
	canceled := make(chan struct{}, 1)
	up := edgeUpstream(t, &conns, canceled)
	h := startProxy(t, harnessOpts{upstream: up.URL})
	c := h.client(false)

	// Request bodies take the standard Transport and stream through.
	body := strings.Repeat("x", 100<<10)
	resp, err := c.Post(h.url+"/echo", "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != body || resp.Header.Get("X-Method") != "POST" {
		t.Fatalf("POST echo: %d bytes, method %q", len(got), resp.Header.Get("X-Method"))
	}

	// HEAD and 204 have no body; the connection goes back to the pool.
	req, _ := http.NewRequest("HEAD", h.url+"/echo", nil)
	if resp, err := c.Do(req); err != nil || resp.StatusCode != 200 || resp.Header.Get("X-Method") != "HEAD" {
		t.Fatalf("HEAD: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if code, body, _ := h.get(c, h.url+"/nocontent"); code != 204 || body != "" {
		t.Fatalf("204: %d %q", code, body)
	}

	// Sequential GETs reuse one upstream connection.
	before := conns.Load()
	for range 20 {
		if code, _, _ := h.get(c, h.url+"/echo"); code != 200 {
			t.Fatalf("GET: %d", code)
		}
	}
	if n := conns.Load() - before; n > 1 {
		t.Fatalf("20 sequential GETs opened %d upstream connections, want ≤1", n)
	}

	// Connection: close from the app is honoured, the next request redials.
	for range 3 {
		if code, body, _ := h.get(c, h.url+"/close"); code != 200 || body != "bye" {
			t.Fatalf("close: %d %q", code, body)
		}
	}

	// Trailers and 1xx informational responses pass through.
	resp, err = c.Get(h.url + "/trailer")
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Trailer.Get("X-Sum") != "42" {
		t.Fatalf("trailer: %v", resp.Trailer)
	}
	if code, body, _ := h.get(c, h.url+"/hints"); code != 200 || body != "final" {
		t.Fatalf("103 then 200: %d %q", code, body)
	}

	// A client that leaves mid-response closes the upstream connection.
	ctx, cancel := context.WithCancel(context.Background())
	req, _ = http.NewRequestWithContext(ctx, "GET", h.url+"/hang", nil)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	resp.Body.Close()
	select {
	case <-canceled:
	case <-time.After(5 * time.Second):
		t.Fatal("upstream request not cancelled after the client left")
	}
}

func TestTransportSurvivesAppClosingIdleConnections(t *testing.T) {
	var conns atomic.Int64
	up := edgeUpstream(t, &conns, make(chan struct{}, 1))
	h := startProxy(t, harnessOpts{upstream: up.URL})
	c := h.client(false)
	if code, _, _ := h.get(c, h.url+"/echo"); code != 200 {
		t.Fatal(code)
	}
	// The app drops its idle keep-alive connections (as Node.js does after 5 s).
	up.CloseClientConnections()
	for _, method := range []string{"GET", "POST", "DELETE"} {
		req, _ := http.NewRequest(method, h.url+"/echo", nil)
		resp, err := c.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s after idle close: %v %v", method, resp, err)
		}
		resp.Body.Close()
		up.CloseClientConnections()
	}
	// And after more than staleCheckAfter idle, the probe discards dead ones.
	time.Sleep(staleCheckAfter + 100*time.Millisecond)
	up.CloseClientConnections()
	req, _ := http.NewRequest("PATCH", h.url+"/echo", nil) // not idempotent: only the probe saves it
	resp, err := c.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("PATCH after stale idle: %v %v", resp, err)
	}
	resp.Body.Close()
}
