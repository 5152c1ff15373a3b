package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Names of the keys of a kubernetes.io/tls Secret, as files in --tls-dir.
const (
	certFile = "tls.crt"
	keyFile  = "tls.key"
	caFile   = "ca.crt"
)

// maxPEMBytes bounds what is read from any one file in --tls-dir.
const maxPEMBytes = 1 << 20

// certBundle is one validated, immutable generation of TLS material. It is
// published as a whole through an atomic pointer so a handshake never sees a
// certificate paired with a stale CA pool.
type certBundle struct {
	cert     *tls.Certificate
	clientCA *x509.CertPool // nil when ca.crt is absent
	// serverConfig is used by GetConfigForClient when client certificates are
	// verified: ClientCAs has no callback, so each CA generation gets a config.
	serverConfig *tls.Config
	fingerprint  dirFingerprint
}

func (b *certBundle) leaf() *x509.Certificate { return b.cert.Leaf }

// CertStore loads the key pair from a directory, serves it to handshakes
// through an atomic pointer, and swaps in a new pair only once it validates.
type CertStore struct {
	dir        string
	clientAuth ClientAuth
	log        *slog.Logger
	metrics    *Metrics
	base       *tls.Config // server config template; set by ServerTLSConfig

	cur atomic.Pointer[certBundle]
	mu  sync.Mutex // serialises reloads
	now func() time.Time
}

// NewCertStore loads the material in dir once; an error means the process
// cannot start.
func NewCertStore(dir string, clientAuth ClientAuth, log *slog.Logger, m *Metrics) (*CertStore, error) {
	s := &CertStore{dir: dir, clientAuth: clientAuth, log: log, metrics: m, now: time.Now}
	s.base = s.newServerTLSConfig()
	b, err := s.load()
	if err != nil {
		m.certReloads(false)
		return nil, fmt.Errorf("--tls-dir: %w (want tls.crt and tls.key in PEM, as in a kubernetes.io/tls Secret)", err)
	}
	s.cur.Store(b) // logged and counted by LogStartup once serving begins
	return s, nil
}

// Current returns the certificate being served.
func (s *CertStore) Current() *tls.Certificate { return s.cur.Load().cert }

// GetCertificate is the tls.Config hook: one atomic load per handshake.
func (s *CertStore) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return s.cur.Load().cert, nil
}

// getConfigForClient hands out the config carrying the current CA pool.
func (s *CertStore) getConfigForClient(*tls.ClientHelloInfo) (*tls.Config, error) {
	return s.cur.Load().serverConfig, nil
}

// Valid reports whether the served certificate is within its validity
// window; readiness fails otherwise.
func (s *CertStore) Valid() (bool, string) {
	b := s.cur.Load()
	if b == nil {
		return false, "no certificate loaded"
	}
	now := s.now()
	if now.After(b.leaf().NotAfter) {
		return false, "certificate expired at " + b.leaf().NotAfter.UTC().Format(time.RFC3339)
	}
	if now.Before(b.leaf().NotBefore) {
		return false, "certificate not valid before " + b.leaf().NotBefore.UTC().Format(time.RFC3339)
	}
	return true, ""
}

// Reload re-reads --tls-dir. On any error the previous pair keeps serving.
func (s *CertStore) Reload(reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.load()
	if err == nil {
		if old := s.cur.Load(); old != nil {
			if ok, _ := s.Valid(); ok && s.now().After(b.leaf().NotAfter) {
				err = fmt.Errorf("%s: new certificate expired at %s, keeping the current one",
					filepath.Join(s.dir, certFile), b.leaf().NotAfter.UTC().Format(time.RFC3339))
			}
		}
	}
	if err != nil {
		s.metrics.certReloads(false)
		s.log.Error("certificate reload failed, keeping the current certificate",
			"reason", reason, "error", err.Error(), "serial", serialHex(s.cur.Load().leaf()))
		return err
	}
	s.publish(b, reason)
	return nil
}

// LogStartup records the initial load, once the process is known to start.
func (s *CertStore) LogStartup() { s.logLoaded(s.cur.Load(), "startup") }

func (s *CertStore) publish(b *certBundle, reason string) {
	s.cur.Store(b)
	s.logLoaded(b, reason)
}

func (s *CertStore) logLoaded(b *certBundle, reason string) {
	s.metrics.certReloads(true)
	s.metrics.setCertExpiry(b.leaf().NotAfter)
	attrs := []any{
		"reason", reason,
		"serial", serialHex(b.leaf()),
		"not_after", b.leaf().NotAfter.UTC().Format(time.RFC3339),
		"subject", b.leaf().Subject.CommonName,
		"dns_names", b.leaf().DNSNames,
		"client_ca", b.clientCA != nil,
	}
	s.log.Info("certificate loaded", attrs...)
}

func serialHex(c *x509.Certificate) string {
	if c == nil || c.SerialNumber == nil {
		return ""
	}
	return fmt.Sprintf("%x", c.SerialNumber)
}

// load reads and validates the directory without touching the served state.
func (s *CertStore) load() (*certBundle, error) {
	fp := fingerprintDir(s.dir)
	certPEM, err := readLimited(filepath.Join(s.dir, certFile))
	if err != nil {
		return nil, err
	}
	keyPEM, err := readLimited(filepath.Join(s.dir, keyFile))
	if err != nil {
		return nil, err
	}
	cert, err := parseKeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s / %s: %w", filepath.Join(s.dir, certFile), filepath.Join(s.dir, keyFile), err)
	}
	b := &certBundle{cert: cert, fingerprint: fp}

	caPath := filepath.Join(s.dir, caFile)
	caPEM, err := readLimited(caPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if s.clientAuth != ClientAuthNone {
			return nil, fmt.Errorf("%s: not found, but --client-auth=%s needs it (allowed without ca.crt: none)", caPath, s.clientAuth)
		}
	case err != nil:
		return nil, err
	default:
		pool, err := parseCAPool(caPEM)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", caPath, err)
		}
		b.clientCA = pool
	}
	if s.clientAuth != ClientAuthNone {
		cfg := s.base.Clone()
		cfg.GetConfigForClient = nil
		cfg.ClientCAs = b.clientCA
		b.serverConfig = cfg
	}
	return b, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", path, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("%s: cannot read: %v", path, errors.Unwrap(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPEMBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read: %v", path, err)
	}
	if len(b) > maxPEMBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxPEMBytes)
	}
	return b, nil
}

// parseKeyPair validates a PEM certificate chain and its private key. The
// error never quotes key material.
func parseKeyPair(certPEM, keyPEM []byte) (*tls.Certificate, error) {
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("invalid key pair: %s", sanitizeTLSError(err))
	}
	if cert.Leaf == nil {
		leaf, err := x509.ParseCertificate(cert.Certificate[0])
		if err != nil {
			return nil, fmt.Errorf("invalid certificate: %v", err)
		}
		cert.Leaf = leaf
	}
	return &cert, nil
}

// sanitizeTLSError keeps crypto/tls's own explanation; those messages describe
// the problem ("private key does not match public key") without content.
func sanitizeTLSError(err error) string {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

func parseCAPool(caPEM []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	n := 0
	rest := caPEM
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("invalid CA certificate: %v", err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, errors.New("no PEM CERTIFICATE block found")
	}
	return pool, nil
}

// dirFingerprint identifies the files' current contents cheaply: kubelet
// swaps the ..data symlink, so the resolved inode changes on every update;
// in-place writers change size or mtime.
type dirFingerprint [3]fileID

type fileID struct {
	dev, ino uint64
	size     int64
	mtime    int64
	exists   bool
}

func fingerprintDir(dir string) dirFingerprint {
	var fp dirFingerprint
	for i, name := range []string{certFile, keyFile, caFile} {
		st, err := os.Stat(filepath.Join(dir, name)) // follows symlinks
		if err != nil {
			continue
		}
		id := fileID{size: st.Size(), mtime: st.ModTime().UnixNano(), exists: true}
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			id.dev, id.ino = uint64(sys.Dev), uint64(sys.Ino)
		}
		fp[i] = id
	}
	return fp
}

// Watch polls --tls-dir every interval and reloads when the resolved files
// change. Polling (rather than inotify) is dependency-free, sees kubelet's
// atomic ..data swap as an inode change, and costs three stat calls a tick.
func (s *CertStore) Watch(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	last := s.cur.Load().fingerprint
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fp := fingerprintDir(s.dir)
		if fp == last {
			continue
		}
		// Remember the attempt even if it fails: a broken pair is retried only
		// when the files change again, not logged every tick.
		last = fp
		_ = s.Reload("watch")
	}
}
