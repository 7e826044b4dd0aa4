package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// profiler saves Parley's CPU and heap profiles for one run from the pprof HTTP listener that
// the server opens on PPROF_ADDR (net/http/pprof's /debug/pprof/ handlers).
type profiler struct {
	dir, name, addr string
	done            chan struct{}
}

func newProfiler(dir, name string) (*profiler, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	return &profiler{dir: dir, name: name, addr: "127.0.0.1:" + strconv.Itoa(port)}, nil
}

// startCPU waits out the variant's warm-up, then records a CPU profile over its measured
// interval and a heap profile right after, while the load is still on.
func (p *profiler) startCPU(v variant) {
	p.done = make(chan struct{})
	warm, dur := argDuration(v.Args, "-warmup", time.Second), argDuration(v.Args, "-duration", 2*time.Second)
	go func() {
		defer close(p.done)
		time.Sleep(warm + 500*time.Millisecond)
		secs := int(dur.Seconds())
		if secs < 1 {
			secs = 1
		}
		p.save(fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), p.name+".cpu.pprof", time.Duration(secs+10)*time.Second)
		p.save("/debug/pprof/heap", p.name+".heap.pprof", 10*time.Second)
	}()
}

// finish waits for the profiles (they end with the measured interval).
func (p *profiler) finish() {
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		fmt.Fprintln(os.Stderr, "runner: profile of", p.name, "did not finish")
	}
}

func (p *profiler) save(path, file string, timeout time.Duration) {
	c := http.Client{Timeout: timeout}
	resp, err := c.Get("http://" + p.addr + path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "runner: pprof:", err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "runner: pprof:", path, resp.Status)
		return
	}
	f, err := os.Create(filepath.Join(p.dir, file))
	if err != nil {
		fmt.Fprintln(os.Stderr, "runner:", err)
		return
	}
	defer f.Close()
	_, _ = io.Copy(f, resp.Body)
}

// argDuration returns the value of flag name in args, or def.
func argDuration(args []string, name string, def time.Duration) time.Duration {
	for k := 0; k+1 < len(args); k++ {
		if args[k] == name {
			if d, err := time.ParseDuration(args[k+1]); err == nil {
				return d
			}
		}
	}
	return def
}
