package proxycontract

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// memCgroup is a memory cgroup made for one test, below the test's own.
type memCgroup struct {
	dir string
	v1  bool
}

// newMemCgroup creates a cgroup limited to limit bytes of memory (and no
// swap, so that going over means the OOM killer, as in a pod) and removes it
// at cleanup, after the processes the test started in it are gone. It needs
// root; CI runs as root, and elsewhere the test is skipped with the reason.
func newMemCgroup(t *testing.T, limit int64) *memCgroup {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("creating a memory cgroup needs root (CI runs as root)")
	}
	own, err := os.ReadFile("/proc/self/cgroup")
	must(t, err)
	var cg *memCgroup
	for _, line := range strings.Split(strings.TrimSpace(string(own)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == "memory" {
				cg = &memCgroup{dir: filepath.Join("/sys/fs/cgroup/memory", parts[2]), v1: true}
			}
		}
		if parts[1] == "" && cg == nil {
			cg = &memCgroup{dir: filepath.Join("/sys/fs/cgroup", parts[2])}
		}
	}
	if cg == nil {
		t.Fatalf("no memory cgroup in /proc/self/cgroup:\n%s", own)
	}
	cg.dir = filepath.Join(cg.dir, fmt.Sprintf("proxy-contract-%d-%d", os.Getpid(), time.Now().UnixNano()))
	if err := os.Mkdir(cg.dir, 0o755); err != nil {
		t.Fatalf("create a memory cgroup: %v", err)
	}
	t.Cleanup(func() {
		// The processes in it are killed by earlier cleanups; the kernel takes a moment to let go.
		deadline := time.Now().Add(5 * time.Second)
		for os.Remove(cg.dir) != nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
	})
	limitText := strconv.FormatInt(limit, 10)
	if cg.v1 {
		cg.write(t, "memory.limit_in_bytes", limitText)
		cg.writeIfPresent("memory.memsw.limit_in_bytes", limitText)
		cg.writeIfPresent("memory.swappiness", "0")
	} else {
		cg.write(t, "memory.max", limitText)
		cg.writeIfPresent("memory.swap.max", "0")
	}
	return cg
}

func (cg *memCgroup) write(t *testing.T, file, value string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(cg.dir, file), []byte(value), 0o644); err != nil {
		t.Fatalf("cgroup %s: %v", file, err)
	}
}

func (cg *memCgroup) writeIfPresent(file, value string) {
	_ = os.WriteFile(filepath.Join(cg.dir, file), []byte(value), 0o644)
}

// procs is the file a process writes its PID into to join the cgroup.
func (cg *memCgroup) procs() string { return filepath.Join(cg.dir, "cgroup.procs") }

// oomKills is how many processes the OOM killer has killed in the cgroup.
func (cg *memCgroup) oomKills(t *testing.T) int {
	t.Helper()
	file, key := "memory.events", "oom_kill"
	if cg.v1 {
		file = "memory.oom_control"
	}
	b, err := os.ReadFile(filepath.Join(cg.dir, file))
	must(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+" "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	t.Fatalf("no %s in %s:\n%s", key, file, b)
	return 0
}

// peak is the cgroup's memory high-water mark in bytes (0 where the kernel
// does not keep one).
func (cg *memCgroup) peak() int64 {
	file := "memory.peak"
	if cg.v1 {
		file = "memory.max_usage_in_bytes"
	}
	b, _ := os.ReadFile(filepath.Join(cg.dir, file))
	n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n
}
