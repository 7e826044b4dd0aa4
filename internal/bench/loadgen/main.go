// Command loadgen is Parley's benchmark load tool. It speaks Engine.IO v4 / Socket.IO v5 itself
// (WebSocket and HTTP long-polling) and drives any server that follows the benchmark contract
// (BENCHMARKS.md): it holds connections, broadcasts to a room, and echoes with acks, and
// reports throughput, latency, lost and reordered messages, failed handshakes, and the
// server's CPU time per operation and memory per connection read from /proc/<pid>.
//
// Each scenario prints one JSON object on stdout and a human-readable line, and progress, on
// stderr. The exit status is 1 when a correctness check failed (lost, reordered or duplicated
// messages, failed handshakes, dropped connections, protocol errors).
//
//	loadgen -url http://127.0.0.1:42100 -pid 1234 -scenario echo -mode max -clients 50 -duration 5s
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

// config holds the command line.
type config struct {
	base        *url.URL
	pid         int
	scenario    string
	mode        string
	conns       int
	concurrency int
	receivers   int
	senders     int
	clients     int
	window      int
	rate        float64
	duration    time.Duration
	warmup      time.Duration
	hold        time.Duration
	drain       time.Duration
	payload     int
	room        string
	quiet       bool
	rxClock     string // kernel or tool: where a received message's latency ends (see rxStamps)
}

// epoch is the origin of the payloads' send times: nanoseconds since the tool started stay far
// below 2^53, so they survive a JavaScript server's JSON round trip exactly.
var epoch = time.Now()

func nowNs() int64 { return int64(time.Since(epoch)) }

func main() {
	var cfg config
	var rawURL string
	flag.StringVar(&rawURL, "url", "", "server base URL, e.g. http://127.0.0.1:42100 (required)")
	flag.IntVar(&cfg.pid, "pid", 0, "server PID whose /proc CPU and memory are measured (0: none)")
	flag.StringVar(&cfg.scenario, "scenario", "echo", "conns, fanout, echo, echo-polling, or ready")
	flag.StringVar(&cfg.mode, "mode", "max", "max (as fast as acks allow) or rate (fixed -rate)")
	flag.IntVar(&cfg.conns, "n", 5000, "conns: WebSocket connections to hold")
	flag.IntVar(&cfg.concurrency, "concurrency", 150, "conns: handshakes in flight at once")
	flag.IntVar(&cfg.receivers, "receivers", 1000, "fanout: receivers in the room")
	flag.IntVar(&cfg.senders, "senders", 10, "fanout: senders (not in the room)")
	flag.IntVar(&cfg.clients, "clients", 50, "echo: clients")
	flag.IntVar(&cfg.window, "window", 0, "max mode: outstanding acks per sender or client (0: 1 for echo, 4 for fanout)")
	flag.Float64Var(&cfg.rate, "rate", 0, "rate mode: deliveries/s (fanout) or round trips/s (echo), in total")
	flag.DurationVar(&cfg.duration, "duration", 5*time.Second, "measured interval")
	flag.DurationVar(&cfg.warmup, "warmup", time.Second, "unmeasured load before the interval")
	flag.DurationVar(&cfg.hold, "hold", 2*time.Second, "conns: how long to hold the connections before reading RSS")
	flag.DurationVar(&cfg.drain, "drain", 10*time.Second, "how long to wait for outstanding messages after the interval")
	flag.IntVar(&cfg.payload, "payload", 100, "payload size in bytes")
	flag.StringVar(&cfg.room, "room", "bench", "fanout: room name")
	flag.BoolVar(&cfg.quiet, "q", false, "no progress on stderr")
	flag.StringVar(&cfg.rxClock, "rx-clock", "auto", "when a WebSocket message counts as received, for latency: kernel (the kernel's receive timestamp, SO_TIMESTAMPNS), tool (when the tool reads it), or auto (kernel in rate mode, tool at max rate)")
	cpuProfile := flag.String("cpuprofile", "", "write the load tool's own CPU profile to this file")
	flag.Parse()

	u, err := url.Parse(rawURL)
	if rawURL == "" || err != nil || u.Host == "" {
		fmt.Fprintln(os.Stderr, "loadgen: -url http://HOST:PORT is required")
		os.Exit(2)
	}
	cfg.base = u
	if err := checkConfig(&cfg); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	raiseFileLimit()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(2)
		}
		defer pprof.StopCPUProfile()
	}

	var res Result
	switch cfg.scenario {
	case "ready":
		os.Exit(ready(ctx, &cfg))
	case "conns":
		res = runConns(ctx, &cfg)
	case "fanout":
		res = runFanout(ctx, &cfg)
	case "echo", "echo-polling":
		res = runEcho(ctx, &cfg)
	}
	if err := res.writeJSON(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	fmt.Fprintln(os.Stderr, res.human())
	pprof.StopCPUProfile()
	if !res.OK() {
		os.Exit(1)
	}
}

func checkConfig(cfg *config) error {
	switch cfg.scenario {
	case "ready", "conns", "fanout", "echo", "echo-polling":
	default:
		return fmt.Errorf("unknown -scenario %q", cfg.scenario)
	}
	switch cfg.mode {
	case "max":
	case "rate":
		if cfg.rate <= 0 {
			return fmt.Errorf("-mode rate needs -rate > 0")
		}
	default:
		return fmt.Errorf("unknown -mode %q (max or rate)", cfg.mode)
	}
	switch cfg.rxClock {
	case "kernel", "tool":
	case "auto", "":
		cfg.rxClock = "tool"
		if cfg.mode == "rate" {
			cfg.rxClock = "kernel"
		}
	default:
		return fmt.Errorf("unknown -rx-clock %q (kernel, tool or auto)", cfg.rxClock)
	}
	if cfg.window <= 0 {
		cfg.window = 1
		if cfg.scenario == "fanout" {
			cfg.window = 4
		}
	}
	if cfg.conns < 1 || cfg.concurrency < 1 || cfg.receivers < 1 || cfg.senders < 1 || cfg.clients < 1 {
		return fmt.Errorf("counts must be positive")
	}
	if strings.ContainsAny(cfg.room, "\"\\") {
		return fmt.Errorf("-room must not need JSON escaping")
	}
	return nil
}

// raiseFileLimit lifts the soft RLIMIT_NOFILE to the hard limit: each connection is a file.
func raiseFileLimit() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}

// ready makes one WebSocket handshake (OPEN, 40, 40{sid}) and exits 0 when it succeeds.
func ready(ctx context.Context, cfg *config) int {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := dialWS(ctx, newDialer(1024), wsURL(cfg.base))
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen: not ready:", err)
		return 1
	}
	c.Close()
	return 0
}
