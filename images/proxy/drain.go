package main

import (
	"net/http"
	"sync"
	"time"
)

// drainRecovery is how long a drain started by GET /drain lasts without a
// SIGTERM following it: a pod being deleted gets its SIGTERM well within it;
// after a stray request to the admin port, keep-alive comes back.
const drainRecovery = 2 * time.Minute

// drainState is the drain begun before SIGTERM, by the app container's
// preStop hook (GET /drain on the admin port).
//
// Why: a native sidecar is stopped only after the app has exited, so on SIGTERM
// alone the proxy learns of the pod's end too late: keep-alive clients stay
// pinned to a proxy whose app is gone and get 502. The kubelet runs the app's
// preStop hook first; through it the proxy starts draining (readiness fails,
// responses carry Connection: close, idle connections are closed) while the
// app still answers, and holds the hook for --drain-delay, so the app gets its
// SIGTERM only once clients have moved to other pods.
//
// /readyz keeps passing: a terminating pod is out of its Service's ready
// endpoints anyway, and while it is still "serving" kube-proxy can fall back to
// it when no other endpoint is ready yet (measured: failing readiness here
// made the Service refuse a new connection now and then during rollouts).
type drainState struct {
	mu      sync.Mutex
	started time.Time // zero: not draining early
	timer   *time.Timer
}

// startEarlyDrain begins the drain unless it already began; safe to repeat.
func (s *Server) startEarlyDrain() {
	s.early.mu.Lock()
	defer s.early.mu.Unlock()
	if !s.early.started.IsZero() {
		return
	}
	s.early.started = time.Now()
	s.inst.closeConns.Store(true)
	s.log.Info("draining before SIGTERM (preStop): asking clients to reconnect", "drain_delay", s.cfg.DrainDelay.String(),
		"inflight", s.metrics.inflight.Load())
	s.early.timer = time.AfterFunc(drainRecovery, s.endEarlyDrain)
}

// endEarlyDrain serves normally again when no SIGTERM followed the drain.
func (s *Server) endEarlyDrain() {
	s.early.mu.Lock()
	defer s.early.mu.Unlock()
	if s.shuttingDown.Load() || s.early.started.IsZero() {
		return
	}
	s.early.started = time.Time{}
	s.inst.closeConns.Store(false)
	s.log.Warn("no SIGTERM followed the drain begun by /drain: keep-alive again", "after", drainRecovery.String())
}

// earlyDrainAge is how long ago the early drain began (0 when it did not).
func (s *Server) earlyDrainAge() time.Duration {
	s.early.mu.Lock()
	defer s.early.mu.Unlock()
	if s.early.started.IsZero() {
		return 0
	}
	return time.Since(s.early.started)
}

// serveDrain is GET /drain: begin draining, answer after --drain-delay (the
// preStop hook's duration), or at once when the drain began that long ago.
func (s *Server) serveDrain(w http.ResponseWriter, r *http.Request) {
	s.startEarlyDrain()
	wait := s.cfg.DrainDelay - s.earlyDrainAge()
	if wait > 0 {
		// the admin server's write timeout is shorter than a long drain delay
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(wait + 5*time.Second))
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("drained\n"))
}
