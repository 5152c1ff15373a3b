package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestMain lets tests run the real main() in a child process (signals, exit
// codes) without a separate go build: the child is this test binary.
func TestMain(m *testing.M) {
	if os.Getenv("PROXY_TEST_RUN_MAIN") == "1" {
		os.Exit(run(os.Args[1:], func(k string) (string, bool) {
			if k == "PROXY_TEST_RUN_MAIN" {
				return "", false
			}
			return os.LookupEnv(k)
		}, os.Stderr))
	}
	os.Exit(m.Run())
}

// ---------- throwaway PKI ----------

type testCA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
	serial  atomic.Int64
}

func newTestCA(t testing.TB, cn string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	ca.serial.Store(100)
	return ca
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

type leafOpts struct {
	client    bool
	notBefore time.Time
	notAfter  time.Time
}

// issue returns PEM cert, PEM key and the serial.
func (ca *testCA) issue(t testing.TB, cn string, o leafOpts) (certPEM, keyPEM []byte, serial *big.Int) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if o.notBefore.IsZero() {
		o.notBefore = time.Now().Add(-time.Hour)
	}
	if o.notAfter.IsZero() {
		o.notAfter = time.Now().Add(12 * time.Hour).Truncate(time.Second)
	}
	serial = big.NewInt(ca.serial.Add(1))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    o.notBefore,
		NotAfter:     o.notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	if o.client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		tmpl.DNSNames, tmpl.IPAddresses = nil, nil
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), serial
}

func (ca *testCA) clientCert(t testing.TB, cn string) tls.Certificate {
	c, k, _ := ca.issue(t, cn, leafOpts{client: true})
	pair, err := tls.X509KeyPair(c, k)
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

// ---------- kubelet-style Secret volume ----------

var writeSeq atomic.Int64

// kubeletWrite mimics kubelet's AtomicWriter: the files go into a fresh
// timestamped directory, the ..data symlink is swapped with a rename, and
// the visible names are symlinks through ..data.
func kubeletWrite(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	gen := fmt.Sprintf("..gen_%d_%d", time.Now().UnixNano(), writeSeq.Add(1))
	if err := os.Mkdir(filepath.Join(dir, gen), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, gen, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tmp := filepath.Join(dir, "..data_tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink(gen, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{certFile, keyFile, caFile} {
		link := filepath.Join(dir, name)
		if _, ok := files[name]; !ok {
			continue
		}
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
			t.Fatal(err)
		}
	}
}

func tlsFiles(cert, key, ca []byte) map[string][]byte {
	m := map[string][]byte{certFile: cert, keyFile: key}
	if ca != nil {
		m[caFile] = ca
	}
	return m
}

// ---------- logs ----------

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ---------- upstream app ----------

// newUpstream is the plain-HTTP app behind the proxy: it echoes what it saw,
// streams, sleeps on request, and speaks a minimal WebSocket handshake.
func newUpstream(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(upstreamHandler())
	t.Cleanup(srv.Close)
	return srv
}

func upstreamHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Seen-Host", r.Host)
		w.Header().Set("X-Seen-XFF", r.Header.Get("X-Forwarded-For"))
		w.Header().Set("X-Seen-XF-Proto", r.Header.Get("X-Forwarded-Proto"))
		w.Header().Set("X-Seen-XF-Host", r.Header.Get("X-Forwarded-Host"))
		w.Header().Set("X-Seen-Hop", r.Header.Get("X-Hop"))
		w.Header().Set("X-Seen-Proto", r.Proto)
		w.Header().Set("X-Seen-XFCC", r.Header.Get("X-Forwarded-Client-Cert"))
		io.WriteString(w, "hello from upstream "+r.URL.Path)
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		for i := range 3 {
			fmt.Fprintf(w, "data: event %d\n\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(150 * time.Millisecond):
			}
		}
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		d, _ := time.ParseDuration(r.URL.Query().Get("d"))
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "slow done")
	})
	mux.HandleFunc("/ws", serveEchoWebSocket)
	return mux
}

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

func wsAccept(key string) string {
	h := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// serveEchoWebSocket completes the RFC 6455 handshake and then echoes raw
// bytes; the proxy is byte-transparent after the 101, so framing is moot.
func serveEchoWebSocket(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		http.Error(w, "want websocket", http.StatusBadRequest)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
		wsAccept(r.Header.Get("Sec-WebSocket-Key")))
	brw.Flush()
	buf := make([]byte, 4096)
	for {
		n, err := brw.Read(buf)
		if n > 0 {
			if _, werr := conn.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// ---------- the proxy under test ----------

type harness struct {
	t        testing.TB
	srv      *Server
	cancel   context.CancelFunc
	done     chan error
	logs     *syncBuffer
	dir      string
	ca       *testCA
	serial   *big.Int
	url      string // https://127.0.0.1:port
	adminURL string
}

type harnessOpts struct {
	upstream string   // default: a fresh newUpstream
	args     []string // extra flags
	ca       *testCA
	files    map[string][]byte // initial --tls-dir content; default: a fresh server pair
}

func startProxy(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	h := &harness{t: t, logs: &syncBuffer{}, dir: t.TempDir(), ca: o.ca}
	if h.ca == nil {
		h.ca = newTestCA(t, "test-ca")
	}
	if o.upstream == "" {
		o.upstream = newUpstream(t).URL
	}
	files := o.files
	if files == nil {
		c, k, serial := h.ca.issue(t, "localhost", leafOpts{})
		h.serial = serial
		files = tlsFiles(c, k, nil)
	}
	kubeletWrite(t, h.dir, files)

	args := append([]string{
		"--listen=127.0.0.1:0", "--admin-listen=127.0.0.1:0",
		"--upstream=" + o.upstream, "--tls-dir=" + h.dir,
		"--drain-delay=0", "--watch-interval=20ms", "--log-level=debug",
		"--shutdown-timeout=5s",
	}, o.args...)
	cfg, err := ParseConfig(args, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: cfg.LogLevel}))
	h.srv, err = NewServer(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.srv.Listen(); err != nil {
		t.Fatal(err)
	}
	var ctx context.Context
	ctx, h.cancel = context.WithCancel(context.Background())
	h.done = make(chan error, 1)
	go func() { h.done <- h.srv.Serve(ctx) }()
	h.url = "https://" + h.srv.Addr().String()
	scheme := "https://"
	if !cfg.AdminTLS {
		scheme = "http://"
	}
	h.adminURL = scheme + h.srv.AdminAddr().String()
	t.Cleanup(func() {
		h.stop(10 * time.Second)
		if strings.Contains(h.logs.String(), "PRIVATE KEY") {
			t.Errorf("logs contain key material")
		}
		if t.Failed() {
			t.Logf("proxy logs:\n%s", h.logs.String())
		}
	})
	return h
}

// stop cancels Serve (as SIGTERM does) and waits for it, bounded.
func (h *harness) stop(limit time.Duration) error {
	h.cancel()
	select {
	case err, ok := <-h.done:
		if ok {
			close(h.done)
		}
		return err
	case <-time.After(limit):
		h.t.Errorf("Serve did not return within %s", limit)
		return nil
	}
}

func (h *harness) tlsConfig() *tls.Config {
	return &tls.Config{RootCAs: h.ca.pool(), ServerName: "localhost"}
}

// client returns an HTTP client trusting the test CA; h2 selects HTTP/2.
func (h *harness) client(h2 bool) *http.Client {
	tr := &http.Transport{
		TLSClientConfig:     h.tlsConfig(),
		ForceAttemptHTTP2:   h2,
		MaxIdleConnsPerHost: 64,
	}
	if !h2 {
		tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
	}
	h.t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func (h *harness) get(c *http.Client, url string) (int, string, http.Header) {
	h.t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		h.t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// servedSerial does a fresh handshake and returns the leaf's serial.
func (h *harness) servedSerial() (*big.Int, error) {
	d := &net.Dialer{Timeout: 2 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", h.srv.Addr().String(), h.tlsConfig())
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber, nil
}

func (h *harness) metrics() string {
	h.t.Helper()
	_, body, _ := h.get(h.client(false), h.adminURL+"/metrics")
	return body
}

// waitFor polls cond every 10ms until it holds or the deadline passes.
func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// freePort returns a 127.0.0.1 address nobody listens on (right now).
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// metricValue finds "name value" in exposition text.
func metricValue(text, series string) (string, bool) {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			return rest, true
		}
	}
	return "", false
}
