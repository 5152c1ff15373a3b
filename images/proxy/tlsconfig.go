package main

import "crypto/tls"

// mozillaIntermediateSuites are the TLS 1.2 suites of Mozilla's
// "intermediate" profile that Go implements (the DHE suites it lists are not
// implemented by crypto/tls). TLS 1.3 suites are not configurable in Go and
// are exactly the three the profile names.
var mozillaIntermediateSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// The profile's groups (X25519, P-256, P-384), preceded by the post-quantum
// hybrid that current browsers offer first.
var mozillaIntermediateCurves = []tls.CurveID{
	tls.X25519MLKEM768,
	tls.X25519,
	tls.CurveP256,
	tls.CurveP384,
}

// baseTLSConfig is shared by the proxy and admin listeners.
func (s *CertStore) baseTLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:       tls.VersionTLS12,
		CipherSuites:     mozillaIntermediateSuites,
		CurvePreferences: mozillaIntermediateCurves,
		GetCertificate:   s.GetCertificate,
		NextProtos:       []string{"h2", "http/1.1"},
	}
}

// newServerTLSConfig is the proxy listener's config. With client
// verification on, every handshake gets the config built for the current CA
// generation; the session ticket keys stay those of this parent config, so
// resumption survives reloads.
func (s *CertStore) newServerTLSConfig() *tls.Config {
	cfg := s.baseTLSConfig()
	switch s.clientAuth {
	case ClientAuthRequest:
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	case ClientAuthRequire:
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg
}

// ServerTLSConfig returns the config for the proxy listener.
func (s *CertStore) ServerTLSConfig() *tls.Config {
	cfg := s.base.Clone()
	if s.clientAuth != ClientAuthNone {
		cfg.GetConfigForClient = s.getConfigForClient
	}
	return cfg
}

// AdminTLSConfig serves the same certificate without asking for client
// certificates: kubelet probes present none.
func (s *CertStore) AdminTLSConfig() *tls.Config {
	cfg := s.baseTLSConfig()
	cfg.NextProtos = []string{"http/1.1"}
	return cfg
}
