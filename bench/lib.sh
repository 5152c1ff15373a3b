# Shared by bench/run.sh and bench/icount.sh (sourced, not run): a work dir removed on exit with
# every process started in it, the test certificate, and the app every proxy forwards to.

# bench_workdir NAME: sets WORK (a fresh dir) and PIDS (processes to stop on exit).
bench_workdir() {
  WORK=$(mktemp -d "/tmp/$1.XXXXXX")
  chmod 755 "$WORK"
  PIDS=()
  trap bench_cleanup EXIT
}

bench_cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}

# bench_cert DIR: an ECDSA P-256 certificate for localhost/127.0.0.1 as DIR/tls.crt and DIR/tls.key.
bench_cert() {
  mkdir -p "$1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$1/tls.key" -out "$1/tls.crt" -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
}

# bench_app_conf PORT DIR: nginx config of the app (a fixed 18-byte body, HTTP/1.1 keep-alive, no request
# limit per connection), with its pid, log and temp files under DIR.
bench_app_conf() {
  cat <<CONF
worker_processes 1;
pid $2/app-$1.pid;
error_log $2/app-$1.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $2/body; proxy_temp_path $2/proxy;
  fastcgi_temp_path $2/fcgi; uwsgi_temp_path $2/uwsgi; scgi_temp_path $2/scgi;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$1 reuseport backlog=4096;
    location / { default_type text/plain; return 200 "hello from the app\n"; }
  }
}
CONF
}

# bench_start_app PORT: the app in the background under $WORK/app, answering before this returns.
bench_start_app() {
  mkdir -p "$WORK/app"
  bench_app_conf "$1" "$WORK/app" >"$WORK/app/app.conf"
  nginx -e "$WORK/app/error.log" -p "$WORK/app" -c "$WORK/app/app.conf" -g 'daemon off;' &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$1/" >/dev/null && return 0; sleep 0.1; done
  echo "bench: the app did not start on port $1" >&2
  return 1
}
