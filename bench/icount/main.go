// Command icount drives an exact number of keep-alive HTTPS requests at a
// server, the way wrk does (raw "GET / HTTP/1.1" on C connections, TLS with
// ALPN http/1.1), and runs a shell command before and after the measured
// requests. bench/icount.sh uses it to zero and dump valgrind's callgrind
// counters (or start and stop `perf stat`) on the proxy, so that a change
// can be judged by instructions (and syscalls) per request instead of
// wall-clock req/s, which a shared machine makes too noisy.
package main

import (
	"bufio"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18445", "server address")
	conns := flag.Int("c", 16, "keep-alive connections")
	warm := flag.Int("warm", 200, "warm-up requests per connection (not measured)")
	n := flag.Int("n", 4000, "measured requests (total, split over the connections)")
	before := flag.String("before", "", "shell command run after the warm-up")
	after := flag.String("after", "", "shell command run after the measured requests")
	flag.Parse()

	cfg := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}}
	req := []byte("GET / HTTP/1.1\r\nHost: " + *addr + "\r\n\r\n")
	type cl struct {
		c  *tls.Conn
		br *bufio.Reader
	}
	cls := make([]cl, *conns)
	for i := range cls {
		c, err := tls.Dial("tcp", *addr, cfg)
		if err != nil {
			fail(err)
		}
		cls[i] = cl{c, bufio.NewReader(c)}
	}
	var errs atomic.Int64
	var firstErr atomic.Value
	bad := func(err error) {
		errs.Add(1)
		firstErr.CompareAndSwap(nil, err.Error())
	}
	run := func(perConn []int) {
		var wg sync.WaitGroup
		for i := range cls {
			wg.Add(1)
			go func(c cl, k int) {
				defer wg.Done()
				for j := 0; j < k; j++ {
					if _, err := c.c.Write(req); err != nil {
						bad(err)
						return
					}
					resp, err := http.ReadResponse(c.br, nil)
					if err != nil {
						bad(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						bad(fmt.Errorf("status %d", resp.StatusCode))
					}
				}
			}(cls[i], perConn[i])
		}
		wg.Wait()
	}
	split := func(total int) []int {
		s := make([]int, len(cls))
		for i := range s {
			s[i] = total / len(cls)
			if i < total%len(cls) {
				s[i]++
			}
		}
		return s
	}
	run(split(*warm * *conns))
	sh(*before)
	run(split(*n))
	sh(*after)
	if e := errs.Load(); e > 0 {
		fail(fmt.Errorf("%d failed requests, first: %v", e, firstErr.Load()))
	}
	for _, c := range cls {
		c.c.Close()
	}
}

func sh(cmd string) {
	if cmd == "" {
		return
	}
	c := exec.Command("sh", "-c", cmd)
	c.Stdout, c.Stderr = os.Stderr, os.Stderr
	if err := c.Run(); err != nil {
		fail(fmt.Errorf("%q: %v", cmd, err))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "icount:", err)
	os.Exit(1)
}
