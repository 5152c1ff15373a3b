package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestEcho(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/x?y=1", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var e Echo
	if err := json.NewDecoder(res.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	if e.Server != Marker || e.Path != "/x?y=1" || e.Headers["X-Forwarded-Proto"][0] != "https" || !strings.HasPrefix(e.RemoteAddr, "127.0.0.1:") {
		t.Fatalf("%+v", e)
	}
	if res.Header.Get("X-E2e-App") != Marker {
		t.Fatal("marker header missing")
	}
}

func TestSlow(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	start := time.Now()
	res, err := http.Get(srv.URL + "/slow?ms=200")
	if err != nil || res.StatusCode != 200 || time.Since(start) < 200*time.Millisecond {
		t.Fatalf("%v %v %v", res, err, time.Since(start))
	}
	res, _ = http.Get(srv.URL + "/slow?ms=-1")
	if res.StatusCode != 400 {
		t.Fatal(res.Status)
	}
}

func TestWebSocketEcho(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.Write(ctx, websocket.MessageText, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	_, msg, err := c.Read(ctx)
	if err != nil || string(msg) != "hello" {
		t.Fatalf("%q %v", msg, err)
	}
}

func TestDownAsksTheServeLoopToStopListening(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/down?ms=1500")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("%v %v", res, err)
	}
	select {
	case d := <-downs:
		if d != 1500*time.Millisecond {
			t.Fatalf("down for %s, want 1.5s", d)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no down request reached the serve loop")
	}
	for _, bad := range []string{"-1", "60001", "x"} {
		if res, _ := http.Get(srv.URL + "/down?ms=" + bad); res.StatusCode != 400 {
			t.Fatalf("ms=%s: %s, want 400", bad, res.Status)
		}
	}
}
