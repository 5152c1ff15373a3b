// Command icount drives an exact number of keep-alive HTTPS requests at a
// server, the way wrk does (raw "GET / HTTP/1.1" on C connections, TLS with
// ALPN http/1.1), or with -h2 the way h2load does (C HTTP/2 connections, M
// concurrent streams on each), and runs a shell command before and after the measured
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
	h2 := flag.Bool("h2", false, "HTTP/2 (ALPN h2) instead of HTTP/1.1")
	streams := flag.Int("m", 4, "with -h2: concurrent streams per connection")
	warm := flag.Int("warm", 200, "warm-up requests per connection (not measured)")
	n := flag.Int("n", 4000, "measured requests (total, split over the connections)")
	before := flag.String("before", "", "shell command run after the warm-up")
	after := flag.String("after", "", "shell command run after the measured requests")
	flag.Parse()

	var workers []worker
	if *h2 {
		workers = h2Workers(*addr, *conns, *streams)
	} else {
		workers = h1Workers(*addr, *conns)
	}
	var errs atomic.Int64
	var firstErr atomic.Value
	bad := func(err error) {
		errs.Add(1)
		firstErr.CompareAndSwap(nil, err.Error())
	}
	run := func(perWorker []int) {
		var wg sync.WaitGroup
		for i, w := range workers {
			wg.Go(func() {
				for range perWorker[i] {
					status, err := w()
					if err != nil {
						bad(err)
						return
					}
					if status != 200 {
						bad(fmt.Errorf("status %d", status))
					}
				}
			})
		}
		wg.Wait()
	}
	split := func(total int) []int {
		s := make([]int, len(workers))
		for i := range s {
			s[i] = total / len(workers)
			if i < total%len(workers) {
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
}

// A worker sends one request and reads its response to the end; the
// workers of one connection share it.
type worker func() (status int, err error)

// h1Workers: one worker per connection, writing wrk's request line.
func h1Workers(addr string, conns int) []worker {
	cfg := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}}
	req := []byte("GET / HTTP/1.1\r\nHost: " + addr + "\r\n\r\n")
	ws := make([]worker, conns)
	for i := range ws {
		c, err := tls.Dial("tcp", addr, cfg)
		if err != nil {
			fail(err)
		}
		br := bufio.NewReader(c)
		ws[i] = func() (int, error) {
			if _, err := c.Write(req); err != nil {
				return 0, err
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				return 0, err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode, nil
		}
	}
	return ws
}

// h2Workers: streams workers per connection; each connection is a
// transport of its own, limited to one HTTP/2 connection.
func h2Workers(addr string, conns, streams int) []worker {
	var ws []worker
	for range conns {
		var protocols http.Protocols
		protocols.SetHTTP2(true)
		tr := &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
			Protocols:       &protocols,
			MaxConnsPerHost: 1,
		}
		client := &http.Client{Transport: tr}
		for range streams {
			ws = append(ws, func() (int, error) {
				resp, err := client.Get("https://" + addr + "/")
				if err != nil {
					return 0, err
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.ProtoMajor != 2 {
					return 0, fmt.Errorf("%s, want HTTP/2", resp.Proto)
				}
				return resp.StatusCode, nil
			})
		}
	}
	return ws
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
