package main

import "runtime"

// yieldBeforeRead lets the other runnable goroutines go first when this one
// is about to read the upstream's answer right after sending the request:
// the app runs elsewhere and cannot have answered yet.
//
// Go always tries a read before parking on the netpoller, so without the
// yield that read is a read(2) that returns EAGAIN, followed by a park and a
// wake-up. After the yield, other connections' work has run (microseconds
// under load) and the answer is usually there: one read(2) instead of two.
// Measured on the benchmark's keep-alive load: 7.0 → 6.0 syscalls per
// request and about +9% req/s (docs/benchmark.md). When nothing else is
// runnable (a quiet proxy) Gosched returns at once, so an idle request pays
// only the call.
//
// The same trick before net/http reads the client's next request (a yield
// at the end of the handler) saved another syscall per request but not
// req/s, and it lengthened the latency tail: yielded goroutines go to the
// global run queue, which the scheduler drains before it polls the network
// again, so connections waiting on the netpoller waited longer (p99 +10-20%).
func yieldBeforeRead() { runtime.Gosched() }
