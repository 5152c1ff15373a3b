package main

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// clientCertHeader tells the app which verified client certificate made the request, in the format Envoy and
// Istio use (X-Forwarded-Client-Cert): `Hash=<sha256 of the DER>;Subject="<DN>";URI=<SAN>;DNS=<SAN>`.
// Whatever a client sent under this name is always removed first, so the app can trust the header: it is present
// exactly when the proxy verified a client certificate against ca.crt (--client-auth request or require).
const clientCertHeader = "X-Forwarded-Client-Cert"

// setClientCert replaces out's client-certificate header with the identity verified on in's connection.
func setClientCert(in *http.Request, out http.Header) {
	delete(out, clientCertHeader) // the server canonicalized the client's keys, so this is the only spelling
	if in.TLS == nil || len(in.TLS.VerifiedChains) == 0 || len(in.TLS.VerifiedChains[0]) == 0 {
		return
	}
	leaf := in.TLS.VerifiedChains[0][0]
	sum := sha256.Sum256(leaf.Raw)
	var b strings.Builder
	b.WriteString("Hash=")
	b.WriteString(hex.EncodeToString(sum[:]))
	b.WriteString(`;Subject="`)
	b.WriteString(quoteValue(leaf.Subject.String()))
	b.WriteByte('"')
	for _, u := range leaf.URIs {
		b.WriteString(";URI=")
		b.WriteString(quoteValue(u.String()))
	}
	for _, d := range leaf.DNSNames {
		b.WriteString(";DNS=")
		b.WriteString(quoteValue(d))
	}
	out[clientCertHeader] = []string{b.String()}
}

// quoteValue escapes what would end a quoted value, and drops control characters a header may not carry.
func quoteValue(s string) string {
	if !strings.ContainsAny(s, "\"\\\r\n") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\r' || r == '\n':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
