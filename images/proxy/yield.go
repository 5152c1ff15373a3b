package main

import "runtime"

// yieldBeforeRead lets the other runnable goroutines go first when this one
// is about to read an answer that cannot have arrived yet: the upstream's
// response right after the request went out, and the client's next request
// right after the response went out.
//
// Go always tries a read before parking on the netpoller, so without the
// yield each of those reads is a read(2) that returns EAGAIN, followed by a
// park and a wake-up. After the yield, other connections' work has run
// (microseconds under load) and the data is usually there: one read(2)
// instead of two. Measured on the benchmark's keep-alive load: 7.0 → 5.0
// syscalls per request and about +10% req/s (docs/benchmark.md). When
// nothing else is runnable (a quiet proxy) Gosched returns at once, so an
// idle request pays nothing but the call.
func yieldBeforeRead() { runtime.Gosched() }
