package proxycontract

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// ---------- a throwaway PKI ----------

// keyKind is the key algorithm and the PEM encoding of tls.key.
type keyKind int

const (
	ecPKCS8  keyKind = iota // "PRIVATE KEY", P-256
	ecSEC1                  // "EC PRIVATE KEY"
	rsaPKCS1                // "RSA PRIVATE KEY", 2048 bits (cert-manager's default)
	rsaPKCS8                // "PRIVATE KEY", RSA
)

type testCA struct {
	cert    *x509.Certificate
	key     crypto.Signer
	certPEM []byte
	chain   []byte // PEM of the intermediates between this CA and the root (for an intermediate CA)
}

// certSpec describes a leaf; zero fields get server defaults
// (CN and DNS localhost, IP 127.0.0.1, valid from an hour ago for 12 hours).
type certSpec struct {
	cn        string
	org       []string
	dns       []string
	uris      []string
	client    bool
	notBefore time.Time
	notAfter  time.Time
	key       keyKind
}

// keyPair is an issued leaf: PEM files as a Secret holds them, and the parsed leaf.
type keyPair struct {
	certPEM, keyPEM []byte
	leaf            *x509.Certificate
	tls             tls.Certificate
}

func newKey(t testing.TB, kind keyKind) (crypto.Signer, []byte) {
	t.Helper()
	var (
		signer crypto.Signer
		block  *pem.Block
		err    error
	)
	switch kind {
	case rsaPKCS1, rsaPKCS8:
		var k *rsa.PrivateKey
		if k, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
		signer = k
		if kind == rsaPKCS1 {
			block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
		}
	default:
		var k *ecdsa.PrivateKey
		if k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			t.Fatal(err)
		}
		signer = k
		if kind == ecSEC1 {
			der, err := x509.MarshalECPrivateKey(k)
			if err != nil {
				t.Fatal(err)
			}
			block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
		}
	}
	if block == nil {
		der, err := x509.MarshalPKCS8PrivateKey(signer)
		if err != nil {
			t.Fatal(err)
		}
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	}
	return signer, pem.EncodeToMemory(block)
}

func randomSerial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	return n.Add(n, big.NewInt(1))
}

func certPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// newCA returns a self-signed root.
func newCA(t testing.TB, cn string) *testCA {
	t.Helper()
	return signCA(t, cn, nil)
}

// intermediate returns a CA signed by ca; leaves it issues carry the
// intermediate in their PEM chain.
func (ca *testCA) intermediate(t testing.TB, cn string) *testCA {
	t.Helper()
	return signCA(t, cn, ca)
}

func signCA(t testing.TB, cn string, parent *testCA) *testCA {
	t.Helper()
	key, _ := newKey(t, ecPKCS8)
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(t),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-2 * time.Hour),
		NotAfter:              time.Now().Add(48 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	issuer, issuerKey := tmpl, key
	if parent != nil {
		issuer, issuerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), issuerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	ca := &testCA{cert: cert, key: key, certPEM: certPEM(der)}
	if parent != nil {
		ca.chain = append(append([]byte{}, ca.certPEM...), parent.chain...)
	}
	return ca
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// issue signs a leaf; its certPEM is the leaf followed by ca's intermediates.
func (ca *testCA) issue(t testing.TB, s certSpec) keyPair {
	t.Helper()
	key, keyPEM := newKey(t, s.key)
	if s.notBefore.IsZero() {
		s.notBefore = time.Now().Add(-time.Hour)
	}
	if s.notAfter.IsZero() {
		s.notAfter = time.Now().Add(12 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(t),
		Subject:      pkix.Name{CommonName: s.cn, Organization: s.org},
		NotBefore:    s.notBefore,
		NotAfter:     s.notAfter.Truncate(time.Second),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     s.dns,
	}
	if _, isRSA := key.(*rsa.PrivateKey); isRSA {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	if s.client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	} else {
		if tmpl.Subject.CommonName == "" {
			tmpl.Subject.CommonName = "localhost"
		}
		if tmpl.DNSNames == nil {
			tmpl.DNSNames = []string{"localhost"}
		}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	for _, u := range s.uris {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = append(tmpl.URIs, pu)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	chain := append(certPEM(der), ca.chain...)
	pair, err := tls.X509KeyPair(chain, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return keyPair{certPEM: chain, keyPEM: keyPEM, leaf: leaf, tls: pair}
}

// server issues a default server pair (localhost, 127.0.0.1).
func (ca *testCA) server(t testing.TB) keyPair { t.Helper(); return ca.issue(t, certSpec{}) }

// ---------- a Secret volume laid out as kubelet does ----------

const (
	certFile = "tls.crt"
	keyFile  = "tls.key"
	caFile   = "ca.crt"
)

// secretFiles is the content of a kubernetes.io/tls Secret; caPEM may be nil.
func secretFiles(kp keyPair, caPEM []byte) map[string][]byte {
	m := map[string][]byte{certFile: kp.certPEM, keyFile: kp.keyPEM}
	if caPEM != nil {
		m[caFile] = caPEM
	}
	return m
}

// secretVolume is a directory that kubelet's AtomicWriter would produce:
// ..<timestamp>/<key> holds the files, ..data -> ..<timestamp>, and every
// key is a symlink <key> -> ..data/<key>. update swaps ..data atomically.
type secretVolume struct {
	dir  string
	gen  int
	cur  string   // the ..<timestamp> directory ..data points at
	keys [][]byte // every file written that held a private key
}

func newSecretVolume(t testing.TB, files map[string][]byte) *secretVolume {
	t.Helper()
	v := &secretVolume{dir: t.TempDir()}
	v.update(t, files)
	return v
}

// update writes files as a new generation and renames the ..data link onto
// it, then removes the old generation and the links of keys no longer
// present, as kubelet does.
func (v *secretVolume) update(t testing.TB, files map[string][]byte) {
	t.Helper()
	v.gen++
	ts := fmt.Sprintf("..%s.%09d", time.Now().UTC().Format("2006_01_02_15_04_05"), v.gen)
	must(t, os.Mkdir(filepath.Join(v.dir, ts), 0o755))
	for name, b := range files {
		must(t, os.WriteFile(filepath.Join(v.dir, ts, name), b, 0o644))
		if bytes.Contains(b, []byte("PRIVATE KEY")) {
			v.keys = append(v.keys, b)
		}
	}
	tmp := filepath.Join(v.dir, "..data_tmp")
	_ = os.Remove(tmp)
	must(t, os.Symlink(ts, tmp))
	must(t, os.Rename(tmp, filepath.Join(v.dir, "..data")))
	for _, name := range []string{certFile, keyFile, caFile} {
		link := filepath.Join(v.dir, name)
		_, want := files[name]
		_, err := os.Lstat(link)
		switch {
		case want && err != nil:
			must(t, os.Symlink(filepath.Join("..data", name), link))
		case !want && err == nil:
			must(t, os.Remove(link))
		}
	}
	if v.cur != "" {
		must(t, os.RemoveAll(filepath.Join(v.dir, v.cur)))
	}
	v.cur = ts
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
