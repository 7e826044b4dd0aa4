package main

import (
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// meter measures one interval: wall time, the server's CPU time (when its PID is known) and
// the tool's own CPU time, which shows whether the tool itself was the bottleneck.
type meter struct {
	pid      int
	t0       time.Time
	srv0     procSample
	self0    time.Duration
	srvOK    bool
	seconds  float64
	srvCPU   time.Duration
	selfCPU  time.Duration
	measured bool
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (m *meter) start() {
	if m.pid > 0 {
		s, err := readProc(m.pid)
		m.srv0, m.srvOK = s, err == nil
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadgen: reading server /proc:", err)
		}
	}
	m.self0 = selfCPU()
	m.t0 = time.Now()
}

func (m *meter) stop() {
	m.seconds = time.Since(m.t0).Seconds()
	m.selfCPU = selfCPU() - m.self0
	if m.srvOK {
		if s, err := readProc(m.pid); err == nil {
			m.srvCPU = s.cpu - m.srv0.cpu
			m.measured = true
		}
	}
}

// fill sets the CPU figures of r for ops operations in the interval.
func (m *meter) fill(r *Result, ops int64) {
	r.Seconds = m.seconds
	r.Ops = ops
	if m.seconds > 0 {
		r.OpsPerS = float64(ops) / m.seconds
		r.LoadgenCPUPct = 100 * m.selfCPU.Seconds() / m.seconds
	}
	r.Measured = m.measured
	if m.measured {
		r.CPUPercent = 100 * m.srvCPU.Seconds() / m.seconds
		if ops > 0 {
			r.CPUUsPerOp = float64(m.srvCPU.Microseconds()) / float64(ops)
		}
	}
}

// progress prints a count and its rate to stderr every second until stop is closed.
func progress(quiet bool, label string, count func() int64, stop <-chan struct{}) {
	if quiet {
		return
	}
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		last, lastT := count(), time.Now()
		for {
			select {
			case <-stop:
				return
			case now := <-t.C:
				c := count()
				fmt.Fprintf(os.Stderr, "  %s: %d (%.0f/s)\n", label, c, float64(c-last)/now.Sub(lastT).Seconds())
				last, lastT = c, now
			}
		}
	}()
}

// gauge is an atomic counter padded to its own cache line, for per-goroutine counts that
// another goroutine reads.
type gauge struct {
	atomic.Int64
	_ [56]byte
}
