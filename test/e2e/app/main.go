// Command e2eapp stands in for the user's unmodified plain-HTTP app in the pod-level e2e test, and doubles as
// the pod's network-namespace holder ("pause" mode), so the e2e needs no image it cannot build itself.
//
//	e2eapp [--listen=:80]   serve; the listen address also comes from $APP_LISTEN
//	e2eapp pause            block until SIGTERM/SIGINT, like Kubernetes' pause container
//	e2eapp grpc [--listen=:80]   serve gRPC over h2c instead (grpcapp: health service and a bidirectional echo)
//
// Endpoints: / echoes method, proto, host, remote address and request headers as JSON; /ws is a WebSocket
// echo; /slow?ms=N answers after N milliseconds (at most 30000), for the in-flight-on-SIGTERM test; /down?ms=N
// stops listening for N milliseconds (at most 60000), so the app is down while its container keeps running
// (an exited container would be restarted by the kubelet at once); /healthz.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"tlssidecar/e2eapp/grpcapp"
)

// Marker is in every echo body and response, so a test can tell the app's answers from anyone else's.
const Marker = "tls-sidecar-e2e-app"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "pause" {
		pause()
		return
	}
	def := os.Getenv("APP_LISTEN")
	if def == "" {
		def = ":80"
	}
	grpcMode := len(os.Args) > 1 && os.Args[1] == "grpc"
	fs := flag.NewFlagSet("e2eapp", flag.ExitOnError)
	listen := fs.String("listen", def, "address to serve plain HTTP (or gRPC) on")
	args := os.Args[1:]
	if grpcMode {
		args = args[1:]
	}
	_ = fs.Parse(args)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if grpcMode {
		grpcapp.Serve(ctx, *listen, Marker)
		return
	}
	for {
		srv := &http.Server{Addr: *listen, Handler: Handler(), ReadHeaderTimeout: 10 * time.Second}
		served := make(chan error, 1)
		go func() { served <- srv.ListenAndServe() }()
		log.Printf("e2eapp: serving on %s", *listen)
		select {
		case err := <-served:
			if !errors.Is(err, http.ErrServerClosed) {
				log.Fatalf("e2eapp: %v", err)
			}
			return
		case <-ctx.Done():
			// Exit at once, as nginx does on SIGTERM ("fast shutdown") and as many apps do: the hardest case for a
			// rollout, since the kubelet signals the app while kube-proxy may still send it new connections.
			log.Printf("e2eapp: SIGTERM, exiting")
			return
		case d := <-downs:
			_ = srv.Close()
			log.Printf("e2eapp: down for %s", d)
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return
			}
		}
	}
}

// downs carries /down's requests to main's serve loop.
var downs = make(chan time.Duration, 1)

func pause() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	fmt.Println("e2eapp: pause")
	<-sig
}

// Echo is the JSON body of "/".
type Echo struct {
	Server     string              `json:"server"`
	Method     string              `json:"method"`
	Path       string              `json:"path"`
	Proto      string              `json:"proto"`
	Host       string              `json:"host"`
	RemoteAddr string              `json:"remoteAddr"`
	Headers    map[string][]string `json:"headers"`
}

// Handler serves the app's endpoints.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, Echo{Server: Marker, Method: r.Method, Path: r.URL.RequestURI(), Proto: r.Proto, Host: r.Host,
			RemoteAddr: r.RemoteAddr, Headers: r.Header})
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"server": Marker, "status": "ok"})
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
		if err != nil || ms < 0 || ms > 30000 {
			http.Error(w, "ms must be an integer from 0 to 30000", http.StatusBadRequest)
			return
		}
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
			writeJSON(w, map[string]any{"server": Marker, "sleptMs": ms})
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
		if err != nil || ms < 0 || ms > 60000 {
			http.Error(w, "ms must be an integer from 0 to 60000", http.StatusBadRequest)
			return
		}
		writeJSON(w, map[string]any{"server": Marker, "downMs": ms})
		// after this answer has left
		go func() {
			time.Sleep(100 * time.Millisecond)
			select {
			case downs <- time.Duration(ms) * time.Millisecond:
			default: // already going down
			}
		}()
	})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return // Accept has answered
		}
		defer c.CloseNow()
		ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
		defer cancel()
		for i := 0; i < 1000; i++ { // bounded: an echo session of at most 1000 messages or a minute
			typ, msg, err := c.Read(ctx)
			if err != nil {
				return
			}
			if err := c.Write(ctx, typ, msg); err != nil {
				return
			}
		}
		c.Close(websocket.StatusNormalClosure, "enough")
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-E2e-App", Marker)
	_ = json.NewEncoder(w).Encode(v)
}
