// Command runner runs Parley's benchmarks: every scenario of the load tool against Parley's
// benchmark server and its Node.js twin, interleaved, for several rounds, with a fresh server
// process for each run; the server and the load tool are pinned to different cores when the
// machine has two. It prints the medians and the Parley/Node ratios as a table and writes
// results.json, medians.json, summary.md and chart.svg into -out.
//
//	runner -loadgen .cache/bin/loadgen -parley .cache/bin/bench-server \
//	    -node "node internal/bench/node/server.js" -rounds 3 -scale full -out bench-results
//
// With -scale smoke it runs every scenario once, tiny, and exits 1 on any lost or reordered
// message, failed handshake or dropped connection.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// loadgenBusy is the load tool's own CPU use (percent of one core) above which a pinned run's
// throughput may say more about the tool than about the server; serverIdle is the server's
// CPU use below which a max-rate run did not saturate it.
const (
	loadgenBusy = 90
	serverIdle  = 85
)

// saturationNote warns when a pinned max-rate run's throughput may not be the server's limit.
func saturationNote(r run) string {
	if !r.Pinned || r.res == nil {
		return ""
	}
	switch {
	case r.res.LoadgenCPU >= loadgenBusy:
		return fmt.Sprintf(" — WARNING: the load tool used %.0f%% of its core and may have been the bottleneck", r.res.LoadgenCPU)
	case r.res.Mode == "max" && r.res.Measured && r.res.ServerCPU < serverIdle:
		return fmt.Sprintf(" — note: the server used only %.0f%% of its core (tool %.0f%%): throughput is bounded by the closed loop (the tool, the kernel), not the server; compare CPU per operation", r.res.ServerCPU, r.res.LoadgenCPU)
	}
	return ""
}

// run is one load tool invocation against one fresh server.
type run struct {
	Variant  string          `json:"variant"`
	Server   string          `json:"server"`
	Round    int             `json:"round"`
	Pinned   bool            `json:"pinned"`
	Banner   string          `json:"banner,omitempty"`
	Raw      json.RawMessage `json:"result,omitempty"`
	Err      string          `json:"error,omitempty"`
	Failures string          `json:"failures,omitempty"`
	res      *result
}

func main() {
	var (
		loadgen  = flag.String("loadgen", "", "the load tool's binary (required)")
		parley   = flag.String("parley", "", "command that starts Parley's benchmark server (empty or missing binary: Node only)")
		node     = flag.String("node", "node internal/bench/node/server.js", "command that starts the Node.js twin (empty: none)")
		rounds   = flag.Int("rounds", 3, "rounds; every variant runs once per server per round")
		scaleN   = flag.String("scale", "full", "full, small or smoke")
		duration = flag.Duration("duration", 0, "measured interval of each throughput run (0: the scale's)")
		only     = flag.String("only", "", "comma-separated variant names or prefixes to run (default: all)")
		out      = flag.String("out", "bench-results", "directory for results.json, summary.md, chart.svg and server logs")
		pin      = flag.String("pin", "auto", "auto (pin when there are ≥2 cores and taskset), on, off")
		profile  = flag.Bool("profile", false, "give Parley PPROF_ADDR and save a CPU and heap profile per run")
		verbose  = flag.Bool("v", true, "show the load tool's progress")
	)
	flag.Parse()
	sc, ok := scales[*scaleN]
	if *loadgen == "" || !ok || *rounds < 1 {
		fmt.Fprintln(os.Stderr, "runner: need -loadgen, -scale full|small|smoke and -rounds ≥ 1")
		os.Exit(2)
	}
	smoke := *scaleN == "smoke"
	if smoke {
		*rounds = 1
	}
	raiseFileLimit()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var targets []target
	if cmd := strings.Fields(*parley); len(cmd) > 0 {
		if _, err := exec.LookPath(cmd[0]); err == nil {
			targets = append(targets, target{Name: "parley", Cmd: cmd})
		} else {
			fmt.Fprintf(os.Stderr, "runner: Parley's benchmark server %q is not built (internal/bench/server missing?): running Node only\n", cmd[0])
		}
	} else {
		fmt.Fprintln(os.Stderr, "runner: no -parley command: running Node only")
	}
	if cmd := strings.Fields(*node); len(cmd) > 0 {
		targets = append(targets, target{Name: "node", Cmd: cmd})
	}
	if len(targets) == 0 {
		fmt.Fprintln(os.Stderr, "runner: no server to run")
		os.Exit(2)
	}

	pinned := false
	switch *pin {
	case "on":
		pinned = true
	case "auto":
		_, err := exec.LookPath("taskset")
		pinned = runtime.NumCPU() >= 2 && err == nil
	}
	variants := selectVariants(plan(sc, *duration), *only)
	if smoke {
		variants = pinnedOnly(variants) // the unpinned twins run the same code
	}
	if err := os.MkdirAll(filepath.Join(*out, "logs"), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "runner:", err)
		os.Exit(2)
	}
	fmt.Fprintf(os.Stderr, "runner: %d variants × %d servers × %d rounds, scale %s, pinning %v\n",
		len(variants), len(targets), *rounds, *scaleN, pinned)

	var runs []run
	for round := 1; round <= *rounds && ctx.Err() == nil; round++ {
		for _, v := range variants {
			// Alternate which server goes first, so neither always runs on a warmer machine.
			order := targets
			if round%2 == 0 {
				order = reversed(targets)
			}
			for _, t := range order {
				if ctx.Err() != nil {
					break
				}
				r := runOne(ctx, t, v, round, pinned && v.Pinned, *loadgen, *out, *profile, *verbose && !smoke)
				runs = append(runs, r)
				line := fmt.Sprintf("round %d %-22s %-6s", round, v.Name, t.Name)
				switch {
				case r.Err != "":
					line += " ERROR " + r.Err
				case r.Failures != "":
					line += " FAILED " + r.Failures
				default:
					line += fmt.Sprintf(" ok: %s", brief(v, r.res))
					line += saturationNote(r)
				}
				fmt.Fprintln(os.Stderr, line)
			}
		}
	}

	rep := buildReport(variants, targets, runs)
	table := rep.table()
	fmt.Println(table)
	if err := writeOutputs(*out, runs, rep, table); err != nil {
		fmt.Fprintln(os.Stderr, "runner:", err)
		os.Exit(2)
	}
	fmt.Fprintf(os.Stderr, "runner: wrote %s/{results.json,medians.json,summary.md,chart.svg}\n", *out)
	bad := 0
	for _, r := range runs {
		if r.Err != "" || r.Failures != "" {
			bad++
		}
	}
	if bad > 0 {
		fmt.Fprintf(os.Stderr, "runner: %d of %d runs failed\n", bad, len(runs))
		os.Exit(1)
	}
	if ctx.Err() != nil {
		os.Exit(1)
	}
}

// runOne starts a fresh server, runs the load tool once against it, and stops the server.
func runOne(ctx context.Context, t target, v variant, round int, pinned bool, loadgen, out string, profile, verbose bool) run {
	r := run{Variant: v.Name, Server: t.Name, Round: round, Pinned: pinned}
	logPath := filepath.Join(out, "logs", fmt.Sprintf("%s-%s-r%d.log", t.Name, v.Name, round))
	log, err := os.Create(logPath)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	defer log.Close()
	serverCore, loadCore := -1, -1
	if pinned {
		serverCore, loadCore = 0, 1
	}
	var env []string
	var prof *profiler
	if profile && t.Name == "parley" {
		prof, err = newProfiler(filepath.Join(out, "profiles"), fmt.Sprintf("%s-r%d", v.Name, round))
		if err == nil {
			env = append(env, "PPROF_ADDR="+prof.addr)
		}
	}
	srv, err := startServer(ctx, t, serverCore, loadgen, log, env)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	r.Banner = srv.banner

	args := append([]string{"-url", srv.url, "-pid", fmt.Sprint(srv.pid())}, v.Args...)
	if !verbose {
		args = append(args, "-q")
	}
	name := loadgen
	if loadCore >= 0 {
		args = append([]string{"-c", fmt.Sprint(loadCore), loadgen}, args...)
		name = "taskset"
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(lctx, name, args...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if verbose {
		cmd.Stderr = os.Stderr
	} else {
		cmd.Stderr = log
	}
	if prof != nil {
		prof.startCPU(v)
	}
	runErr := cmd.Run()
	if prof != nil {
		prof.finish()
	}
	if err := srv.stop(); err != nil {
		r.Err = fmt.Sprintf("%s (see %s)", err, logPath)
	}
	raw := lastJSONLine(stdout.Bytes())
	if raw == nil {
		r.Err = fmt.Sprintf("load tool gave no result: %v (see %s)", runErr, logPath)
		return r
	}
	r.Raw = raw
	var res result
	if err := json.Unmarshal(raw, &res); err != nil {
		r.Err = "load tool result: " + err.Error()
		return r
	}
	r.res = &res
	r.Failures = res.failures()
	return r
}

func lastJSONLine(b []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(b), []byte{'\n'})
	for k := len(lines) - 1; k >= 0; k-- {
		if l := bytes.TrimSpace(lines[k]); len(l) > 0 && l[0] == '{' {
			return l
		}
	}
	return nil
}

func selectVariants(vs []variant, only string) []variant {
	if only == "" {
		return vs
	}
	var sel []variant
	for _, v := range vs {
		for _, p := range strings.Split(only, ",") {
			if p = strings.TrimSpace(p); p != "" && strings.HasPrefix(v.Name, p) {
				sel = append(sel, v)
				break
			}
		}
	}
	return sel
}

func pinnedOnly(vs []variant) []variant {
	var out []variant
	for _, v := range vs {
		if v.Pinned {
			out = append(out, v)
		}
	}
	return out
}

func reversed(ts []target) []target {
	r := make([]target, len(ts))
	for k, t := range ts {
		r[len(ts)-1-k] = t
	}
	return r
}

// brief formats a run's metrics for the progress line.
func brief(v variant, r *result) string {
	var parts []string
	for _, m := range v.Metrics {
		parts = append(parts, fmt.Sprintf("%s %s%s", m.Label, fmtNum(m.get(r)), m.Unit))
	}
	return strings.Join(parts, ", ")
}

// raiseFileLimit lifts the soft RLIMIT_NOFILE to the hard limit; the servers and the load tool
// inherit it (each connection is a file on both sides).
func raiseFileLimit() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}
