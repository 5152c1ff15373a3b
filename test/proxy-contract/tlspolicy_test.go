package proxycontract

import (
	"crypto/tls"
	"slices"
	"testing"
)

// listeners are the proxy's two TLS listeners: the admin one follows the
// same policy (it is TLS by default).
func (p *proxy) listeners() map[string]string {
	return map[string]string{"proxy": p.addr, "admin": p.adminAddr}
}

// TestTLSMinVersion13: with --tls-min-version=1.3 a TLS 1.2 client is
// refused on both listeners and a TLS 1.3 one served.
func TestTLSMinVersion13(t *testing.T) {
	p := startProxy(t, proxyOpts{args: []string{"--tls-min-version=1.3"}})
	for name, addr := range p.listeners() {
		if _, err := handshake(addr, withVersions(p, tls.VersionTLS12, tls.VersionTLS12)); err == nil {
			t.Errorf("%s: a TLS 1.2 client was served under --tls-min-version=1.3", name)
		}
		if st, err := handshake(addr, withVersions(p, tls.VersionTLS12, tls.VersionTLS13)); err != nil || st.Version != tls.VersionTLS13 {
			t.Errorf("%s: TLS 1.3: %v (negotiated %s)", name, err, tls.VersionName(st.Version))
		}
	}
}

// tls12Suites is every TLS 1.2 suite Go's client knows, secure or not.
func tls12Suites() []*tls.CipherSuite {
	var out []*tls.CipherSuite
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if slices.Contains(s.SupportedVersions, tls.VersionTLS12) {
			out = append(out, s)
		}
	}
	return out
}

// TestTLSProfileSuites: each TLS 1.2 suite Go knows is offered alone, on
// both listeners, for an ECDSA and an RSA certificate; exactly the
// profile's suites for that key are accepted. intermediate (the default,
// also when named) is Mozilla's ECDHE+AEAD list (its DHE suites are not
// implemented by rustls, and Go's client has none either); modern serves
// TLS 1.3 only, so none. (Go's client cannot offer a single TLS 1.3 suite:
// TLS 1.3 is checked by version, in TestTLSVersions and above.)
func TestTLSProfileSuites(t *testing.T) {
	intermediate := map[keyKind][]uint16{
		ecPKCS8: {tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256},
		rsaPKCS1: {tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256},
	}
	ca := newCA(t, "contract-ca")
	for _, tc := range []struct {
		name string
		args []string
		want map[keyKind][]uint16
	}{
		{"default", nil, intermediate},
		{"intermediate", []string{"--tls-profile=intermediate"}, intermediate},
		{"modern", []string{"--tls-profile=modern"}, map[keyKind][]uint16{}},
	} {
		for _, key := range []keyKind{ecPKCS8, rsaPKCS1} {
			t.Run(tc.name+map[keyKind]string{ecPKCS8: "/ECDSA", rsaPKCS1: "/RSA"}[key], func(t *testing.T) {
				pair := ca.issue(t, certSpec{key: key})
				p := startProxy(t, proxyOpts{ca: ca, pair: pair, args: tc.args})
				for name, addr := range p.listeners() {
					var accepted []uint16
					for _, s := range tls12Suites() {
						cfg := withVersions(p, tls.VersionTLS12, tls.VersionTLS12)
						cfg.CipherSuites = []uint16{s.ID}
						if st, err := handshake(addr, cfg); err == nil && st.CipherSuite == s.ID {
							accepted = append(accepted, s.ID)
						}
					}
					if !sameSuites(accepted, tc.want[key]) {
						t.Errorf("%s: TLS 1.2 suites accepted %v, want %v", name, suiteNames(accepted), suiteNames(tc.want[key]))
					}
					if st, err := handshake(addr, withVersions(p, tls.VersionTLS13, tls.VersionTLS13)); err != nil {
						t.Errorf("%s: TLS 1.3 refused: %v (%s)", name, err, tls.VersionName(st.Version))
					}
				}
			})
		}
	}
}

func sameSuites(a, b []uint16) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func suiteNames(ids []uint16) []string {
	var out []string
	for _, id := range ids {
		out = append(out, tls.CipherSuiteName(id))
	}
	return out
}

// TestTLSGroups: with --tls-groups=P-384,X25519 a client offering only one
// of them is served (TLS 1.2 and 1.3, both listeners) and one offering only
// a group not listed (P-256, the hybrid X25519MLKEM768) is refused. Without
// the flag, the hybrid post-quantum group is what a client offering it first
// gets (TestKeyExchangeGroups checks each default group alone).
func TestTLSGroups(t *testing.T) {
	p := startProxy(t, proxyOpts{args: []string{"--tls-groups=P-384,X25519"}})
	for name, addr := range p.listeners() {
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			for _, tc := range []struct {
				group tls.CurveID
				ok    bool
			}{{tls.CurveP384, true}, {tls.X25519, true}, {tls.CurveP256, false}, {tls.X25519MLKEM768, false}} {
				if tc.group == tls.X25519MLKEM768 && v == tls.VersionTLS12 {
					continue // a TLS 1.3 group
				}
				cfg := withVersions(p, v, v)
				cfg.CurvePreferences = []tls.CurveID{tc.group}
				st, err := handshake(addr, cfg)
				if ok := err == nil && st.CurveID == tc.group; ok != tc.ok {
					t.Errorf("%s %s with only %s: served %v (%v), want %v", name, tls.VersionName(v), tc.group, ok, err, tc.ok)
				}
			}
		}
	}
	d := startProxy(t, proxyOpts{})
	cfg := withVersions(d, tls.VersionTLS13, tls.VersionTLS13)
	cfg.CurvePreferences = []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256}
	if st, err := handshake(d.addr, cfg); err != nil || st.CurveID != tls.X25519MLKEM768 {
		t.Errorf("default groups: negotiated %s (%v), want X25519MLKEM768", st.CurveID, err)
	}
}

// TestTLSPolicyRefusedAtStart: a name the TLS library does not implement,
// and a combination it could not serve as asked, stop the process at start
// (exit 2, one line naming the flag and what is allowed), as flag or
// variable, never a proxy that quietly serves something else.
func TestTLSPolicyRefusedAtStart(t *testing.T) {
	ca := newCA(t, "contract-ca")
	vol := newSecretVolume(t, secretFiles(ca.server(t), nil))
	for _, tc := range []struct {
		name   string
		args   []string
		env    map[string]string
		tokens []string
	}{
		{"P-521 is not implemented", []string{"--tls-groups=X25519,P-521"}, nil,
			[]string{"--tls-groups", "P-521", "X25519MLKEM768", "X25519", "P-256", "P-384"}},
		{"an unknown group by variable", nil, map[string]string{"PROXY_TLS_GROUPS": "X448"},
			[]string{"PROXY_TLS_GROUPS", "X448", "X25519MLKEM768"}},
		{"modern with TLS 1.2 asked for", []string{"--tls-profile=modern", "--tls-min-version=1.2"}, nil,
			[]string{"--tls-profile=modern", "--tls-min-version", "1.3", "intermediate"}},
		{"modern with TLS 1.2 asked for by variable", []string{"--tls-profile=modern"}, map[string]string{"PROXY_TLS_MIN_VERSION": "1.2"},
			[]string{"--tls-profile=modern", "--tls-min-version"}},
		{"TLS 1.2 with TLS 1.3-only groups", []string{"--tls-groups=X25519MLKEM768"}, nil,
			[]string{"--tls-groups", "TLS 1.3", "X25519", "--tls-min-version=1.3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stderr, stdout := runToExit(t, append(validArgs(t, vol), tc.args...), tc.env, vol)
			wantOneLine(t, code, stderr, stdout, 2, tc.tokens...)
		})
	}
}

// TestTLSPolicyModernOrMin13Serves: the valid ways to ask for TLS 1.3 only
// start and serve (TLS 1.3-only groups are then fine).
func TestTLSPolicyModernOrMin13Serves(t *testing.T) {
	for _, args := range [][]string{
		{"--tls-profile=modern"},
		{"--tls-profile=modern", "--tls-min-version=1.3", "--tls-groups=X25519MLKEM768"},
	} {
		p := startProxy(t, proxyOpts{args: args})
		cfg := withVersions(p, tls.VersionTLS12, tls.VersionTLS13)
		if st, err := handshake(p.addr, cfg); err != nil || st.Version != tls.VersionTLS13 {
			t.Errorf("%v: %v (%s)", args, err, tls.VersionName(st.Version))
		}
	}
}
