package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
)

// Result is what one scenario run reports: one JSON object on stdout. Counts that a scenario
// does not measure are zero; CPU and memory figures are absent without a server PID.
type Result struct {
	Scenario  string  `json:"scenario"`        // conns, fanout, echo, echo-polling
	Mode      string  `json:"mode,omitempty"`  // max or rate
	Transport string  `json:"transport"`       // websocket or polling
	Conns     int     `json:"conns,omitempty"` // conns: connections held
	Receivers int     `json:"receivers,omitempty"`
	Senders   int     `json:"senders,omitempty"`
	Clients   int     `json:"clients,omitempty"` // echo: clients
	Window    int     `json:"window,omitempty"`  // outstanding acks allowed per sender/client
	Target    float64 `json:"target_per_s,omitempty"`
	Seconds   float64 `json:"seconds"` // the measured interval

	Ops     int64   `json:"ops"`       // connects, deliveries or round trips in the interval
	OpsPerS float64 `json:"ops_per_s"` // Ops / Seconds
	Sent    int64   `json:"sent,omitempty"`
	P50Us   float64 `json:"p50_us,omitempty"`
	P99Us   float64 `json:"p99_us,omitempty"`
	MaxUs   float64 `json:"max_us,omitempty"`
	MeanUs  float64 `json:"mean_us,omitempty"`
	// RxClock says where latency ends: "kernel" (the kernel's receive timestamp of the
	// message), "tool" (when the tool read it), or "mixed" (kernel where it could be had).
	RxClock  string `json:"rx_clock,omitempty"`
	Measured bool   `json:"server_measured"` // CPU and memory below were read from /proc

	CPUUsPerOp    float64 `json:"cpu_us_per_op,omitempty"`
	CPUPercent    float64 `json:"cpu_percent,omitempty"` // server CPU time / interval
	RSSBeforeKiB  int64   `json:"rss_before_kib,omitempty"`
	RSSAfterKiB   int64   `json:"rss_after_kib,omitempty"`
	KiBPerConn    float64 `json:"kib_per_conn,omitempty"`
	Lost          int64   `json:"lost"`
	Reordered     int64   `json:"reordered"`
	Duplicated    int64   `json:"duplicated"`
	FailedHS      int64   `json:"failed_handshakes"`
	Disconnected  int64   `json:"disconnected"` // connections the server dropped mid-run
	Errors        int64   `json:"errors"`
	FirstError    string  `json:"first_error,omitempty"`
	LoadgenCPUPct float64 `json:"loadgen_cpu_percent,omitempty"`
}

// OK reports whether the run saw no correctness failure.
func (r *Result) OK() bool {
	return r.Lost == 0 && r.Reordered == 0 && r.Duplicated == 0 && r.FailedHS == 0 &&
		r.Disconnected == 0 && r.Errors == 0
}

// writeJSON writes r as one line.
func (r *Result) writeJSON(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// human returns a one-line summary.
func (r *Result) human() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", r.Scenario)
	if r.Mode != "" {
		fmt.Fprintf(&b, "/%s", r.Mode)
	}
	fmt.Fprintf(&b, ": %.0f ops/s (%d in %.2fs)", r.OpsPerS, r.Ops, r.Seconds)
	if r.P50Us > 0 || r.P99Us > 0 {
		fmt.Fprintf(&b, " p50 %.0fµs p99 %.0fµs", r.P50Us, r.P99Us)
		if r.RxClock != "" && r.RxClock != "tool" {
			fmt.Fprintf(&b, " (received: %s clock)", r.RxClock)
		}
	}
	if r.Measured {
		fmt.Fprintf(&b, " cpu %.2fµs/op (%.0f%%)", r.CPUUsPerOp, r.CPUPercent)
		if r.KiBPerConn != 0 {
			fmt.Fprintf(&b, " mem %.1f KiB/conn", r.KiBPerConn)
		}
	}
	fmt.Fprintf(&b, " lost %d reordered %d dup %d failed-hs %d dropped %d errors %d",
		r.Lost, r.Reordered, r.Duplicated, r.FailedHS, r.Disconnected, r.Errors)
	if r.FirstError != "" {
		fmt.Fprintf(&b, " (first: %s)", r.FirstError)
	}
	return b.String()
}

// errCounter counts errors from many goroutines and keeps the first message.
type errCounter struct {
	n     atomic.Int64
	once  sync.Once
	first string
	mu    sync.Mutex
}

func (e *errCounter) add(err error) {
	e.n.Add(1)
	e.once.Do(func() {
		e.mu.Lock()
		e.first = err.Error()
		e.mu.Unlock()
	})
}

func (e *errCounter) firstMsg() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.first
}
