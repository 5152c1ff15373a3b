#!/usr/bin/env bash
# Writes a seed corpus per fuzz target into DIR (fuzz/seeds.sh DIR): inputs shaped like real ones, so a short run
# starts past the first bytes of each parser. Key pairs are made here, with openssl, on every run: no key is
# committed, not even a test one.
set -euo pipefail
out=$1
mkdir -p "$out"/{config,headers,pem,xfcc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# config: NUL-separated arguments, then U+FFFD, then NAME=value lines (PROXY_ is added by the target).
seed() { printf -- "$2" >"$out/$1"; }
seed config/flags '--listen\0:8443\0--upstream\0http://127.0.0.1:8080/base\0--tls-dir=/etc/sidecar/tls\0--client-auth=require'
seed config/durations '--shutdown-timeout=25s\0--drain-delay\x001m30s\0--read-header-timeout=500ms\0--idle-timeout=2h0m0s\0--watch-interval=0'
seed config/sizes '--max-header-bytes=64KiB\0--upstream-max-idle-conns=512\0--admin-tls=false\0--access-log'
seed config/env '--log-level=debug\xef\xbf\xbdUPSTREAM=https://[::1]:8443\nUPSTREAM_PROTOCOL=h2c\nTLS_SESSION_RESUMPTION=false\n'
seed config/traffic '--rate-limit-rps=100\0--client-rate-limit-rps\x0010\0--max-concurrent-streams=250\0--hsts-max-age=8760h\0--hsts-include-subdomains\0--hsts-preload\xef\xbf\xbdUPSTREAM_RESPONSE_TIMEOUT=30s\nRATE_LIMIT_BURST=200\n'
seed config/bad '--listen=8443\0--\0extra\0-h'

# headers: one "name: value" per line.
seed headers/hop 'connection: keep-alive, X-Custom, upgrade\nkeep-alive: timeout=5\nx-custom: 1\ntransfer-encoding: chunked\nte: trailers\n'
seed headers/forwarded 'x-forwarded-for: 203.0.113.7, 198.51.100.2\nx-forwarded-proto: http\nforwarded: for=192.0.2.60;proto=http\nx-forwarded-host: evil.example\nx-real-ip: 203.0.113.9\nhost: app.example:8443\n'
seed headers/upgrade 'connection: Upgrade\nupgrade: websocket\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\nproxy-connection: keep-alive\nproxy-authorization: Basic eDp5\n'

# pem: tls.crt, NUL, tls.key, for EC (SEC 1 and PKCS#8) and RSA (PKCS#1 and PKCS#8), and a CA bundle; xfcc: DER
# client certificates whose names hold what XFCC must quote or escape.
san='subjectAltName=DNS:localhost,DNS:*.svc.cluster.local,IP:127.0.0.1,URI:spiffe://cluster.local/ns/a/sa/b,email:ops@example.com'
pair() { # name keygen-args...
  local n=$1; shift
  openssl req -x509 -nodes -days 1 "$@" -keyout "$tmp/$n.key" -out "$tmp/$n.crt" \
    -subj '/CN=client, "quoted"\; name/O=Team =1+2/OU=a\,b' -addext "$san" 2>/dev/null
}
pair ec -newkey ec -pkeyopt ec_paramgen_curve:P-256
pair rsa -newkey rsa:2048
openssl ec -in "$tmp/ec.key" -out "$tmp/ec-sec1.key" 2>/dev/null
openssl rsa -in "$tmp/rsa.key" -traditional -out "$tmp/rsa-pkcs1.key" 2>/dev/null
for k in ec ec-sec1; do { cat "$tmp/ec.crt"; printf '\0'; cat "$tmp/$k.key"; } >"$out/pem/$k"; done
for k in rsa rsa-pkcs1; do { cat "$tmp/rsa.crt"; printf '\0'; cat "$tmp/$k.key"; } >"$out/pem/$k"; done
cat "$tmp/ec.crt" "$tmp/rsa.crt" >"$out/pem/ca-bundle"
for n in ec rsa; do openssl x509 -in "$tmp/$n.crt" -outform DER -out "$out/xfcc/$n.der"; done
