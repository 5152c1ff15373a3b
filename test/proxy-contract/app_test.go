package proxycontract

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// app is the plain-HTTP application behind the proxy, on 127.0.0.1. It
// records what it saw, streams on request and holds requests at gates that
// the test opens.
type app struct {
	t        testing.TB
	srv      *httptest.Server
	url      string
	mux      *http.ServeMux
	newConns atomic.Int64 // TCP connections the proxy opened to the app

	mu      sync.Mutex
	last    *seenRequest
	gates   map[string]chan struct{}
	arrived map[string]bool // ids of gated requests (and "upload") that reached the app
	peers   map[string]bool // the proxy's addresses of the connections that carried a request
}

// seenRequest is what the app observed of one request.
type seenRequest struct {
	Method        string
	URI           string // the request-target as received
	Host          string
	Proto         string
	Header        http.Header
	ContentLength int64
	BodyLen       int64
	BodySHA256    string
}

// gateLimit bounds how long a gated handler waits for the test.
const gateLimit = 20 * time.Second

func newApp(t testing.TB) *app {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	return newAppOn(t, ln)
}

// newAppOn serves the app on ln.
func newAppOn(t testing.TB, ln net.Listener) *app {
	t.Helper()
	a := &app{t: t, mux: http.NewServeMux(), arrived: map[string]bool{}, gates: map[string]chan struct{}{}, peers: map[string]bool{}}
	a.mux.HandleFunc("/", a.echo)
	a.mux.HandleFunc("/gate/{id}", a.gated)
	a.mux.HandleFunc("/upload", a.upload)
	a.mux.HandleFunc("/upgrade", a.upgrade)
	a.mux.HandleFunc("/hop-response", a.hopResponse)
	a.mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		w.WriteHeader(code)
	})
	a.mux.HandleFunc("/bidi", bidi)
	// HTTP/1.1 and h2c (HTTP/2 with prior knowledge) on the same port, for --upstream-protocol.
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	record := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.peers[r.RemoteAddr] = true
		a.mu.Unlock()
		a.mux.ServeHTTP(w, r)
	})
	a.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: record, Protocols: &protocols}}
	a.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			a.newConns.Add(1)
		}
	}
	a.srv.Start()
	t.Cleanup(a.close)
	a.url = a.srv.URL
	return a
}

// usedConns returns the connections that have carried a request so far
// (a readiness probe's connection carries none).
func (a *app) usedConns() map[string]bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.peers)
}

func (a *app) close() {
	a.mu.Lock()
	for id, g := range a.gates {
		select {
		case <-g:
		default:
			close(g)
		}
		delete(a.gates, id)
	}
	a.mu.Unlock()
	a.srv.CloseClientConnections()
	a.srv.Close()
}

func readSeen(r *http.Request, body io.Reader) *seenRequest {
	h := sha256.New()
	n, _ := io.Copy(h, body)
	return &seenRequest{
		Method: r.Method, URI: r.RequestURI, Host: r.Host, Proto: r.Proto,
		Header: r.Header.Clone(), ContentLength: r.ContentLength,
		BodyLen: n, BodySHA256: hex.EncodeToString(h.Sum(nil)),
	}
}

// seenBody decodes the app's echo of a request.
func seenBody(t testing.TB, body string) *seenRequest {
	t.Helper()
	var s seenRequest
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatalf("the app's echo %q: %v", truncate(body, 200), err)
	}
	return &s
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func (a *app) record(s *seenRequest) {
	a.mu.Lock()
	a.last = s
	a.mu.Unlock()
}

// lastSeen is the request the app saw most recently at / or /upload.
func (a *app) lastSeen(t testing.TB) *seenRequest {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.last == nil {
		t.Fatal("the app saw no request")
	}
	return a.last
}

// echo answers 200 with the seenRequest as JSON.
func (a *app) echo(w http.ResponseWriter, r *http.Request) {
	s := readSeen(r, r.Body)
	a.record(s)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-App", a.url)
	_ = json.NewEncoder(w).Encode(s)
}

// upload reports its arrival ("upload") as soon as the first body bytes
// are in (so a test can prove the body streams), then echoes like echo.
func (a *app) upload(w http.ResponseWriter, r *http.Request) {
	first := make([]byte, 1)
	n, err := io.ReadFull(r.Body, first)
	a.arrive("upload")
	if err != nil {
		http.Error(w, "no body", http.StatusBadRequest)
		return
	}
	s := readSeen(r, io.MultiReader(bytes.NewReader(first[:n]), r.Body))
	a.record(s)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s)
}

// gate returns the channel a test closes (release) to let /gate/{id} go on.
func (a *app) gate(id string) chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, ok := a.gates[id]
	if !ok {
		g = make(chan struct{})
		a.gates[id] = g
	}
	return g
}

func (a *app) release(id string) {
	g := a.gate(id)
	a.mu.Lock()
	defer a.mu.Unlock()
	select {
	case <-g:
	default:
		close(g)
	}
}

func (a *app) arrive(id string) {
	a.mu.Lock()
	a.arrived[id] = true
	a.mu.Unlock()
}

func (a *app) hasArrived(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.arrived[id]
}

// waitArrived waits for the gated requests ids to reach the app.
func (a *app) waitArrived(t testing.TB, ids ...string) {
	t.Helper()
	waitFor(t, 10*time.Second, fmt.Sprintf("requests %q at the app", ids), func() bool {
		for _, id := range ids {
			if !a.hasArrived(id) {
				return false
			}
		}
		return true
	})
}

// Streaming kinds served by /gate/{id}?kind=: the first part is sent and
// flushed, then the handler waits at the gate before sending the rest.
const (
	firstPart = "data: first\n\n"
	restPart  = "data: rest\n\n"
)

// gated serves /gate/{id}: it reports arrival, then with ?kind=sse, chunked
// or length writes firstPart, waits for the gate and writes restPart;
// without kind it waits and answers "released <id>". It gives up after
// gateLimit or when the request is cancelled.
func (a *app) gated(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	g := a.gate(id)
	kind := r.URL.Query().Get("kind")
	switch kind {
	case "sse":
		w.Header().Set("Content-Type", "text/event-stream")
	case "chunked":
		w.Header().Set("Content-Type", "application/octet-stream")
	case "length":
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(firstPart)+len(restPart)))
	}
	if kind != "" {
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, firstPart)
		http.NewResponseController(w).Flush()
	}
	a.arrive(id)
	select {
	case <-g:
	case <-r.Context().Done():
		return
	case <-time.After(gateLimit):
		return
	}
	if kind != "" {
		_, _ = io.WriteString(w, restPart)
		return
	}
	_, _ = io.WriteString(w, "released "+id)
}

// hopResponse answers with hop-by-hop response headers that must not reach
// the client, next to an end-to-end one that must.
func (a *app) hopResponse(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	h := w.Header()
	h.Set("Connection", "X-Resp-Hop")
	h.Set("X-Resp-Hop", "1")
	h.Set("Keep-Alive", "timeout=5, max=100")
	h.Set("Proxy-Authenticate", `Basic realm="app"`)
	h.Set("X-End-To-End", "kept")
	_, _ = io.WriteString(w, "hop")
}

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

func wsAccept(key string) string {
	h := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// upgrade accepts any Upgrade: it answers 101 with the same protocol (and
// Sec-WebSocket-Accept for a WebSocket key), sends "hello <protocol>\n"
// first, then echoes every byte. The proxy is byte-transparent after the 101,
// so WebSocket framing is not needed to test it.
func (a *app) upgrade(w http.ResponseWriter, r *http.Request) {
	proto := r.Header.Get("Upgrade")
	if proto == "" {
		http.Error(w, "want an Upgrade", http.StatusBadRequest)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(gateLimit))
	fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: %s\r\nConnection: Upgrade\r\n", proto)
	if key := r.Header.Get("Sec-WebSocket-Key"); key != "" {
		fmt.Fprintf(brw, "Sec-WebSocket-Accept: %s\r\n", wsAccept(key))
	}
	fmt.Fprintf(brw, "\r\nhello %s\n", proto)
	if brw.Flush() != nil {
		return
	}
	_, _ = io.Copy(conn, brw) // echo until either side closes
}

// bidi is a gRPC-shaped bidirectional stream: it answers at once, echoes
// every line of the request body as it comes ("echo <line>"), and ends with
// the trailers Grpc-Status and Grpc-Message (the count of lines). The
// request's TE header is sent back as X-Seen-Te.
func bidi(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	_ = rc.EnableFullDuplex() // HTTP/1.1; HTTP/2 is full duplex anyway
	w.Header().Set("Trailer", "Grpc-Status, Grpc-Message")
	w.Header().Set("Content-Type", "application/grpc+text")
	w.Header().Set("X-Seen-Te", r.Header.Get("Te"))
	w.Header().Set("X-Seen-Proto", r.Proto)
	w.WriteHeader(http.StatusOK)
	_ = rc.Flush()
	n := 0
	sc := bufio.NewScanner(r.Body)
	for sc.Scan() {
		fmt.Fprintf(w, "echo %s\n", sc.Text())
		_ = rc.Flush()
		n++
	}
	w.Header().Set("Grpc-Status", "0")
	w.Header().Set("Grpc-Message", fmt.Sprintf("%d messages", n))
}
