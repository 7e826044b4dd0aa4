package main

import (
	"strconv"
	"time"
)

// result is the part of loadgen's JSON output that the runner reads.
type result struct {
	Scenario     string  `json:"scenario"`
	Mode         string  `json:"mode"`
	Ops          int64   `json:"ops"`
	Sent         int64   `json:"sent"`
	OpsPerS      float64 `json:"ops_per_s"`
	P50Us        float64 `json:"p50_us"`
	P99Us        float64 `json:"p99_us"`
	Measured     bool    `json:"server_measured"`
	CPUUsPerOp   float64 `json:"cpu_us_per_op"`
	KiBPerConn   float64 `json:"kib_per_conn"`
	Lost         int64   `json:"lost"`
	Reordered    int64   `json:"reordered"`
	Duplicated   int64   `json:"duplicated"`
	FailedHS     int64   `json:"failed_handshakes"`
	Disconnected int64   `json:"disconnected"`
	Errors       int64   `json:"errors"`
	FirstError   string  `json:"first_error"`
	LoadgenCPU   float64 `json:"loadgen_cpu_percent"`
	ServerCPU    float64 `json:"cpu_percent"`
}

// failures returns a description of the run's correctness failures, or "".
func (r *result) failures() string {
	if r.Ops == 0 && r.Sent == 0 {
		return "no operation at all (nothing connected, sent or received)"
	}
	if r.Lost+r.Reordered+r.Duplicated+r.FailedHS+r.Disconnected+r.Errors == 0 {
		return ""
	}
	s := "lost " + strconv.FormatInt(r.Lost, 10) + ", reordered " + strconv.FormatInt(r.Reordered, 10) +
		", duplicated " + strconv.FormatInt(r.Duplicated, 10) + ", failed handshakes " +
		strconv.FormatInt(r.FailedHS, 10) + ", dropped " + strconv.FormatInt(r.Disconnected, 10) +
		", errors " + strconv.FormatInt(r.Errors, 10)
	if r.FirstError != "" {
		s += " (" + r.FirstError + ")"
	}
	return s
}

// metric is one figure read from a result.
type metric struct {
	Key          string
	Label        string
	Unit         string
	HigherBetter bool
	get          func(*result) float64
}

var (
	mThroughput = func(label string) metric {
		return metric{"ops_per_s", label, "/s", true, func(r *result) float64 { return r.OpsPerS }}
	}
	mP50 = metric{"p50_us", "p50 latency", "µs", false, func(r *result) float64 { return r.P50Us }}
	mP99 = metric{"p99_us", "p99 latency", "µs", false, func(r *result) float64 { return r.P99Us }}
	mCPU = func(label string) metric {
		return metric{"cpu_us_per_op", label, "µs", false, func(r *result) float64 { return r.CPUUsPerOp }}
	}
	mHandshakeP99 = metric{"p99_us", "handshake p99", "µs", false, func(r *result) float64 { return r.P99Us }}
	mMem          = metric{"kib_per_conn", "memory per connection", "KiB", false,
		func(r *result) float64 { return r.KiBPerConn }}
)

// variant is one load tool invocation, run against every server in every round.
type variant struct {
	Name    string
	Args    []string // loadgen arguments besides -url and -pid
	Pinned  bool     // server and load tool on different cores (when there are two)
	Metrics []metric
}

// scale sets the sizes of a plan.
type scale struct {
	conns     []int
	receivers int
	senders   int
	clients   int
	fanRate   int
	echoRate  int
	pollRate  int
	duration  time.Duration
	warmup    time.Duration
	hold      time.Duration
}

var scales = map[string]scale{
	// full: the figures BENCHMARKS.md reports.
	"full": {conns: []int{5000, 9000}, receivers: 1000, senders: 10, clients: 50,
		fanRate: 20000, echoRate: 5000, pollRate: 2000,
		duration: 10 * time.Second, warmup: 2 * time.Second, hold: 3 * time.Second},
	// small: for development on a shared machine.
	"small": {conns: []int{500}, receivers: 200, senders: 5, clients: 50,
		fanRate: 5000, echoRate: 2000, pollRate: 1000,
		duration: 3 * time.Second, warmup: time.Second, hold: time.Second},
	// smoke: a few seconds in all; checks correctness, not speed.
	"smoke": {conns: []int{50}, receivers: 20, senders: 2, clients: 5,
		fanRate: 2000, echoRate: 500, pollRate: 200,
		duration: 700 * time.Millisecond, warmup: 200 * time.Millisecond, hold: 200 * time.Millisecond},
}

// plan returns the variants of a scale; duration overrides the scale's when non-zero.
func plan(sc scale, duration time.Duration) []variant {
	if duration > 0 {
		sc.duration = duration
	}
	d := func() []string {
		return []string{"-duration", sc.duration.String(), "-warmup", sc.warmup.String()}
	}
	itoa := strconv.Itoa
	var vs []variant
	for _, n := range sc.conns {
		vs = append(vs, variant{
			Name:    "conns-" + itoa(n),
			Args:    []string{"-scenario", "conns", "-n", itoa(n), "-concurrency", "150", "-hold", sc.hold.String()},
			Pinned:  true,
			Metrics: []metric{mMem, mThroughput("connects"), mCPU("CPU per connect"), mHandshakeP99},
		})
	}
	fan := []string{"-scenario", "fanout", "-receivers", itoa(sc.receivers), "-senders", itoa(sc.senders)}
	fanMax := append(append(append([]string{}, fan...), "-mode", "max"), d()...)
	vs = append(vs,
		variant{Name: "fanout-max", Args: fanMax, Pinned: true,
			Metrics: []metric{mThroughput("deliveries"), mP50, mP99, mCPU("CPU per delivery")}},
		variant{Name: "fanout-max-unpinned", Args: fanMax, Pinned: false,
			Metrics: []metric{mThroughput("deliveries"), mP50, mP99, mCPU("CPU per delivery")}},
		variant{Name: "fanout-rate", Pinned: true,
			Args:    append(append(append([]string{}, fan...), "-mode", "rate", "-rate", itoa(sc.fanRate)), d()...),
			Metrics: []metric{mP50, mP99, mCPU("CPU per delivery")}},
	)
	for _, sn := range []string{"echo", "echo-polling"} {
		rate := sc.echoRate
		if sn == "echo-polling" {
			rate = sc.pollRate
		}
		base := []string{"-scenario", sn, "-clients", itoa(sc.clients)}
		maxArgs := append(append(append([]string{}, base...), "-mode", "max", "-window", "1"), d()...)
		maxMetrics := []metric{mThroughput("round trips"), mP50, mP99, mCPU("CPU per round trip")}
		vs = append(vs, variant{Name: sn + "-max", Pinned: true, Args: maxArgs, Metrics: maxMetrics})
		// The load tool spends about as much CPU per round trip as a server does (most of it
		// in the kernel's loopback TCP, and in net/http for polling); unpinned, it is not held
		// to one core.
		vs = append(vs, variant{Name: sn + "-max-unpinned", Pinned: false, Args: maxArgs, Metrics: maxMetrics})
		vs = append(vs,
			variant{Name: sn + "-rate", Pinned: true,
				Args:    append(append(append([]string{}, base...), "-mode", "rate", "-rate", itoa(rate)), d()...),
				Metrics: []metric{mP50, mP99, mCPU("CPU per round trip")}},
		)
	}
	return vs
}
