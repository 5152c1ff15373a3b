// A STAND-IN for Cloudflare's edge, for the tunnel e2e only: it speaks cloudflared's own protocol (QUIC on
// port 7844, the Cap'n Proto RPC of cloudflared's tunnelrpc packages) with the code of the vendored cloudflared
// source it is built in (test/e2e/infra/build-cloudflared.sh copies this file into that tree). It is not the edge:
// it accepts any token, keeps no account, and only does what the test asks through its control API:
//
//	GET  /registrations             the connections cloudflared registered (account tag, tunnel ID, secret, times)
//	POST /config?version=N          pushes a remote configuration (the JSON the dashboard would send) to every connection
//	GET  /request?host=H&path=P     sends one GET through the first connection, returns status, headers and body
//
// Flags: -listen (UDP address for cloudflared), -control (TCP address of the API, keep it on 127.0.0.1), -ca-out
// (where to write the CA that signed its certificate: cloudflared trusts it through TUNNEL_CACERT).
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/quic-go/quic-go"

	"github.com/cloudflare/cloudflared/tunnelrpc"
	"github.com/cloudflare/cloudflared/tunnelrpc/pogs"
	rpcquic "github.com/cloudflare/cloudflared/tunnelrpc/quic"
)

// The names cloudflared expects in the edge's certificate (connection/protocol.go).
var edgeNames = []string{"quic.cftunnel.com", "h2.cftunnel.com"}

type registration struct {
	AccountTag     string     `json:"accountTag"`
	TunnelID       string     `json:"tunnelID"`
	TunnelSecret   []byte     `json:"tunnelSecret"`
	ConnIndex      uint8      `json:"connIndex"`
	ClientVersion  string     `json:"clientVersion"`
	RegisteredAt   time.Time  `json:"registeredAt"`
	UnregisteredAt *time.Time `json:"unregisteredAt,omitempty"`
}

type edgeConn struct {
	conn *quic.Conn
	reg  *registration
}

type edge struct {
	mu    sync.Mutex
	conns []*edgeConn
}

// registrationServer answers one connection's control stream.
type registrationServer struct {
	e  *edge
	ec *edgeConn
}

func (s *registrationServer) RegisterConnection(_ context.Context, auth pogs.TunnelAuth, tunnelID uuid.UUID, connIndex byte, options *pogs.ConnectionOptions) (*pogs.ConnectionDetails, error) {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	s.ec.reg = &registration{AccountTag: auth.AccountTag, TunnelID: tunnelID.String(), TunnelSecret: auth.TunnelSecret, ConnIndex: connIndex,
		ClientVersion: options.Client.Version, RegisteredAt: time.Now()}
	s.e.conns = append(s.e.conns, s.ec)
	log.Printf("registered connection %d of tunnel %s (cloudflared %s)", connIndex, tunnelID, options.Client.Version)
	return &pogs.ConnectionDetails{UUID: uuid.New(), Location: "stand-in", TunnelIsRemotelyManaged: true}, nil
}

func (s *registrationServer) UnregisterConnection(context.Context) {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	now := time.Now()
	if s.ec.reg != nil {
		s.ec.reg.UnregisteredAt = &now
	}
	log.Printf("connection unregistered")
}

func (s *registrationServer) UpdateLocalConfiguration(context.Context, []byte) error { return nil }

func (e *edge) serve(ctx context.Context, conn *quic.Conn) {
	control, err := conn.AcceptStream(ctx)
	if err != nil {
		log.Printf("no control stream from %s: %v", conn.RemoteAddr(), err)
		return
	}
	err = tunnelrpc.NewRegistrationServer(&registrationServer{e: e, ec: &edgeConn{conn: conn}}).Serve(ctx, control)
	log.Printf("control stream of %s ended: %v", conn.RemoteAddr(), err)
}

func (e *edge) live() []*edgeConn {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []*edgeConn
	for _, c := range e.conns {
		if c.conn.Context().Err() == nil && c.reg.UnregisteredAt == nil {
			out = append(out, c)
		}
	}
	return out
}

func (e *edge) pushConfig(ctx context.Context, version int32, config []byte) ([]string, error) {
	var results []string
	for _, c := range e.live() {
		stream, err := c.conn.OpenStreamSync(ctx)
		if err != nil {
			return nil, err
		}
		client, err := rpcquic.NewCloudflaredClient(ctx, stream, 10*time.Second)
		if err != nil {
			return nil, err
		}
		resp, err := client.UpdateConfiguration(ctx, version, config)
		client.Close()
		if err != nil {
			return nil, err
		}
		result := fmt.Sprintf("applied version %d", resp.LastAppliedVersion)
		if resp.Err != nil {
			result = fmt.Sprintf("refused (still version %d): %v", resp.LastAppliedVersion, resp.Err)
		}
		results = append(results, result)
	}
	return results, nil
}

type response struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	Error   string            `json:"error,omitempty"`
}

func (e *edge) request(ctx context.Context, host, path string) (*response, error) {
	conns := e.live()
	if len(conns) == 0 {
		return nil, fmt.Errorf("no registered connection")
	}
	stream, err := conns[0].conn.OpenStreamSync(ctx)
	if err != nil {
		return nil, err
	}
	rs := &rpcquic.RequestClientStream{ReadWriteCloser: stream}
	err = rs.WriteConnectRequestData("https://"+host+path, pogs.ConnectionTypeHTTP,
		pogs.Metadata{Key: "HttpMethod", Val: http.MethodGet}, pogs.Metadata{Key: "HttpHost", Val: host},
		pogs.Metadata{Key: "HttpHeader:User-Agent", Val: "tls-sidecar-standin-edge"})
	if err != nil {
		return nil, err
	}
	_ = stream.Close() // no request body: closes our sending side only
	connect, err := rs.ReadConnectResponseData()
	if err != nil {
		return nil, err
	}
	out := &response{Headers: map[string]string{}, Error: connect.Error}
	for _, m := range connect.Metadata {
		switch {
		case m.Key == "HttpStatus":
			out.Status, _ = strconv.Atoi(m.Val)
		case len(m.Key) > len("HttpHeader:") && m.Key[:len("HttpHeader:")] == "HttpHeader:":
			out.Headers[m.Key[len("HttpHeader:"):]] = m.Val
		}
	}
	body, err := io.ReadAll(io.LimitReader(stream, 1<<20))
	if err != nil {
		return nil, err
	}
	out.Body = string(body)
	return out, nil
}

// selfSignedEdge returns the edge's TLS certificate and the PEM of the CA that signed it (both made per run).
func selfSignedEdge() (tls.Certificate, []byte, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	caTemplate := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tls-sidecar stand-in edge CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leafTemplate := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: edgeNames[0]}, DNSNames: edgeNames,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTemplate, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	return tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), nil
}

func writeJSON(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		v = map[string]string{"error": err.Error()}
	}
	_ = json.NewEncoder(w).Encode(v)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:7844", "UDP address cloudflared dials (TUNNEL_EDGE)")
	control := flag.String("control", "127.0.0.1:7845", "TCP address of the control API")
	caOut := flag.String("ca-out", "standin-edge-ca.crt", "file to write the CA PEM to (TUNNEL_CACERT)")
	flag.Parse()

	cert, caPEM, err := selfSignedEdge()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*caOut, caPEM, 0o644); err != nil {
		log.Fatal(err)
	}
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"argotunnel"}, MinVersion: tls.VersionTLS13}
	listener, err := quic.ListenAddr(*listen, tlsConfig, &quic.Config{EnableDatagrams: true, MaxIncomingStreams: 1 << 10, KeepAlivePeriod: 5 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	e := &edge{}
	ctx := context.Background()
	go func() {
		for {
			conn, err := listener.Accept(ctx)
			if err != nil {
				log.Fatal(err)
			}
			go e.serve(ctx, conn)
		}
	}()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /registrations", func(w http.ResponseWriter, _ *http.Request) {
		e.mu.Lock()
		regs := make([]registration, 0, len(e.conns))
		for _, c := range e.conns {
			regs = append(regs, *c.reg)
		}
		e.mu.Unlock()
		writeJSON(w, regs, nil)
	})
	mux.HandleFunc("POST /config", func(w http.ResponseWriter, r *http.Request) {
		version, err := strconv.ParseInt(r.URL.Query().Get("version"), 10, 32)
		if err != nil {
			writeJSON(w, nil, fmt.Errorf("version: %w", err))
			return
		}
		config, err := io.ReadAll(r.Body)
		if err != nil {
			writeJSON(w, nil, err)
			return
		}
		results, err := e.pushConfig(r.Context(), int32(version), config)
		writeJSON(w, results, err)
	})
	mux.HandleFunc("GET /request", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		resp, err := e.request(ctx, r.URL.Query().Get("host"), r.URL.Query().Get("path"))
		writeJSON(w, resp, err)
	})
	controlListener, err := net.Listen("tcp", *control)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("stand-in edge: QUIC on %s, control API on %s, CA in %s", *listen, *control, *caOut)
	log.Fatal(http.Serve(controlListener, mux))
}
