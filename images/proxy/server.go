package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is one proxy process: the TLS proxy listener, the admin listener,
// the certificate store and watcher.
type Server struct {
	cfg     *Config
	log     *slog.Logger
	metrics *Metrics
	certs   *CertStore
	health  *Health
	inst    *instrument

	proxySrv *http.Server
	adminSrv *http.Server
	proxyLn  net.Listener
	adminLn  net.Listener

	// baseCtx parents every request context; cancelling it at the shutdown
	// deadline ends upgraded connections that did not finish on their own.
	baseCtx    context.Context
	cancelBase context.CancelFunc

	hurry     chan struct{} // closed by Hurry: skip the rest of --drain-delay
	hurryOnce sync.Once

	early        drainState  // a drain begun by GET /drain (the app's preStop hook)
	shuttingDown atomic.Bool // SIGTERM came: an early drain no longer ends by itself
}

// Hurry ends the drain delay early (a second SIGTERM/SIGINT). In-flight
// requests still get --shutdown-timeout.
func (s *Server) Hurry() { s.hurryOnce.Do(func() { close(s.hurry) }) }

// NewServer loads the certificates and builds the handlers; it does not bind.
func NewServer(cfg *Config, logger *slog.Logger) (*Server, error) {
	m := &Metrics{}
	certs, err := NewCertStore(cfg.TLSDir, cfg.ClientAuth, logger, m)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: logger, metrics: m, certs: certs, hurry: make(chan struct{})}
	s.baseCtx, s.cancelBase = context.WithCancel(context.Background())
	s.health = &Health{certs: certs, upstream: newUpstreamProbe(cfg.Upstream), metrics: m}

	transport := newFastTransport(newTransport(cfg), upstreamDialAddr(cfg.Upstream), cfg.UpstreamMaxIdleConns)
	rp := newReverseProxy(cfg.Upstream, transport, m, logger)
	s.inst = &instrument{next: rp, m: m, log: logger, accessLog: cfg.AccessLog}

	errLog := log.New(&serverErrorWriter{log: logger}, "", 0)
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(true)
	s.proxySrv = &http.Server{
		Handler:           s.inst,
		TLSConfig:         certs.ServerTLSConfig(),
		Protocols:         &protocols,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          errLog,
		ConnState:         s.trackConn,
		BaseContext:       func(net.Listener) context.Context { return s.baseCtx },
	}
	admin := s.health.adminMux(m)
	admin.HandleFunc("GET /drain", s.serveDrain)
	s.adminSrv = &http.Server{
		Handler:           admin,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          errLog,
	}
	if cfg.AdminTLS {
		s.adminSrv.TLSConfig = certs.AdminTLSConfig()
	}
	return s, nil
}

// trackConn counts connections and failed TLS handshakes: a connection that
// closes before its handshake completed is a handshake error (bad client
// cert, no shared cipher, plain HTTP on the TLS port, a bare TCP probe).
func (s *Server) trackConn(c net.Conn, state http.ConnState) {
	switch state {
	case http.StateNew:
		s.metrics.openConns.Add(1)
		s.metrics.acceptedConns.Add(1)
	case http.StateHijacked:
		s.metrics.openConns.Add(-1)
	case http.StateClosed:
		s.metrics.openConns.Add(-1)
		if tc, ok := c.(*tls.Conn); ok && !tc.ConnectionState().HandshakeComplete {
			s.metrics.tlsHandshakeErrors.Add(1)
		}
	}
}

// Listen binds both listeners; a taken port is a startup error.
func (s *Server) Listen() error {
	var err error
	if s.proxyLn, err = net.Listen("tcp", s.cfg.Listen); err != nil {
		return fmt.Errorf("--listen %s: %v", s.cfg.Listen, err)
	}
	if s.adminLn, err = net.Listen("tcp", s.cfg.AdminListen); err != nil {
		_ = s.proxyLn.Close()
		return fmt.Errorf("--admin-listen %s: %v", s.cfg.AdminListen, err)
	}
	return nil
}

// Addr and AdminAddr are the bound addresses (useful with port 0).
func (s *Server) Addr() net.Addr      { return s.proxyLn.Addr() }
func (s *Server) AdminAddr() net.Addr { return s.adminLn.Addr() }

// Serve runs until ctx is cancelled (SIGTERM), then drains: readiness fails
// for --drain-delay, the listener closes, in-flight requests and upgraded
// connections get until --shutdown-timeout to finish, and whatever is left
// is closed. It returns nil after a drain, forced or not.
func (s *Server) Serve(ctx context.Context) error {
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	s.certs.LogStartup()
	go s.certs.Watch(watchCtx, s.cfg.WatchInterval)

	errc := make(chan error, 2)
	go func() { errc <- serveErr("proxy", s.proxySrv.ServeTLS(s.proxyLn, "", "")) }()
	go func() {
		if s.cfg.AdminTLS {
			errc <- serveErr("admin", s.adminSrv.ServeTLS(s.adminLn, "", ""))
		} else {
			errc <- serveErr("admin", s.adminSrv.Serve(s.adminLn))
		}
	}()
	s.log.Info("serving", "listen", s.proxyLn.Addr().String(), "admin_listen", s.adminLn.Addr().String(),
		"admin_tls", s.cfg.AdminTLS, "upstream", s.cfg.Upstream.String(), "client_auth", string(s.cfg.ClientAuth))

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
		s.log.Error("listener failed", "error", runErr.Error())
	}
	s.shutdown()
	return runErr
}

func serveErr(name string, err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("%s listener: %w", name, err)
}

func (s *Server) shutdown() {
	s.shuttingDown.Store(true)
	s.health.draining.Store(true)
	s.proxySrv.SetKeepAlivesEnabled(false) // ask keep-alive clients to go elsewhere
	// The part of the drain delay an early drain (GET /drain) has not already spent.
	delay := s.cfg.DrainDelay - s.earlyDrainAge()
	s.log.Info("draining: readiness now fails", "drain_delay", max(delay, 0).String(),
		"shutdown_timeout", s.cfg.ShutdownTimeout.String(), "inflight", s.metrics.inflight.Load())
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-s.hurry:
			t.Stop()
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	start := time.Now()
	// Shutdown closes the listener and idle connections and waits for active
	// ones; hijacked (upgraded) connections are waited for through inst.wg.
	err := s.proxySrv.Shutdown(ctx)
	done := make(chan struct{})
	go func() { s.inst.wg.Wait(); close(done) }()
	forced := false
	if err == nil {
		select {
		case <-done:
		case <-ctx.Done():
			forced = true
		}
	} else {
		forced = true
	}
	if forced {
		left := s.metrics.inflight.Load()
		s.cancelBase() // ends ReverseProxy upgrade copies and upstream requests
		_ = s.proxySrv.Close()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
		s.log.Warn("shutdown timeout reached, closed remaining connections", "closed_inflight", left)
	}
	s.cancelBase()

	actx, acancel := context.WithTimeout(context.Background(), time.Second)
	defer acancel()
	_ = s.adminSrv.Shutdown(actx)
	s.log.Info("shutdown complete", "took", time.Since(start).Round(time.Millisecond).String(), "forced", forced)
}

// serverErrorWriter routes net/http's internal log lines into slog. TLS
// handshake failures are routine noise from scanners and probes (they are
// counted in proxy_tls_handshake_errors_total), so they go to debug.
type serverErrorWriter struct{ log *slog.Logger }

func (w *serverErrorWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	level := slog.LevelWarn
	if strings.Contains(msg, "TLS handshake error") {
		level = slog.LevelDebug
	}
	w.log.Log(context.Background(), level, "http server", "error", msg)
	return len(p), nil
}
