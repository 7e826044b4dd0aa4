package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
)

// row is one metric of one variant: the median of each server's runs.
type row struct {
	Variant string
	Metric  metric
	Median  map[string]float64 // by server name; absent when no run produced a figure
	N       map[string]int     // runs that went into the median
}

// ratio returns Parley's median over Node's, or NaN when either is missing or zero (a zero
// is below the measurement's resolution, e.g. CPU time under one 10 ms tick).
func (r *row) ratio() float64 {
	p, okP := r.Median["parley"]
	n, okN := r.Median["node"]
	if !okP || !okN || n == 0 || p == 0 {
		return math.NaN()
	}
	return p / n
}

// better reports whether Parley's figure is the better one (NaN ratios: false).
func (r *row) better() bool {
	q := r.ratio()
	if math.IsNaN(q) {
		return false
	}
	if r.Metric.HigherBetter {
		return q > 1
	}
	return q < 1
}

// report is the medians of every (variant, metric) row.
type report struct {
	Servers []string
	Rows    []row
}

// buildReport takes, for each variant and metric, the median over the runs of each server that
// produced a result without correctness failures. CPU and memory figures count only when the
// server's /proc was read.
func buildReport(vs []variant, ts []target, runs []run) report {
	rep := report{}
	for _, t := range ts {
		rep.Servers = append(rep.Servers, t.Name)
	}
	for _, v := range vs {
		for _, m := range v.Metrics {
			rw := row{Variant: v.Name, Metric: m, Median: map[string]float64{}, N: map[string]int{}}
			for _, t := range ts {
				var xs []float64
				for _, r := range runs {
					if r.Variant != v.Name || r.Server != t.Name || r.res == nil || r.Failures != "" {
						continue
					}
					if (m.Key == "cpu_us_per_op" || m.Key == "kib_per_conn") && !r.res.Measured {
						continue
					}
					xs = append(xs, m.get(r.res))
				}
				if len(xs) > 0 {
					rw.Median[t.Name] = median(xs)
					rw.N[t.Name] = len(xs)
				}
			}
			rep.Rows = append(rep.Rows, rw)
		}
	}
	return rep
}

// median returns the middle value (the mean of the two middle ones for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// fmtNum formats a figure with precision that suits its size.
func fmtNum(x float64) string {
	switch a := math.Abs(x); {
	case math.IsNaN(x):
		return "–"
	case a >= 1000:
		return groupThousands(fmt.Sprintf("%.0f", x))
	case a >= 100:
		return fmt.Sprintf("%.0f", x)
	case a >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}

func groupThousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for k, c := range s {
		if k > 0 && (len(s)-k)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// table renders the report as a Markdown table (readable as plain text too).
func (rep *report) table() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 1, ' ', 0)
	hdr := "| variant\t| metric\t| unit\t"
	sep := "|---\t|---\t|---\t"
	for _, s := range rep.Servers {
		hdr += "| " + s + "\t"
		sep += "|---:\t"
	}
	hasRatio := rep.has("parley") && rep.has("node")
	if hasRatio {
		hdr += "| Parley/Node\t| better\t"
		sep += "|---:\t|---\t"
	}
	fmt.Fprintln(tw, hdr+"|")
	fmt.Fprintln(tw, sep+"|")
	for _, r := range rep.Rows {
		dir := "lower is better"
		if r.Metric.HigherBetter {
			dir = "higher is better"
		}
		line := fmt.Sprintf("| %s\t| %s (%s)\t| %s\t", r.Variant, r.Metric.Label, dir, r.Metric.Unit)
		for _, s := range rep.Servers {
			v, ok := r.Median[s]
			if !ok {
				v = math.NaN()
			}
			line += "| " + fmtNum(v) + "\t"
		}
		if hasRatio {
			q := r.ratio()
			verdict := "–"
			if !math.IsNaN(q) {
				verdict = "Node"
				if r.better() {
					verdict = "Parley"
				}
			}
			line += fmt.Sprintf("| %s\t| %s\t", fmtRatio(q), verdict)
		}
		fmt.Fprintln(tw, line+"|")
	}
	tw.Flush()
	if !hasRatio {
		b.WriteString("\n(no Parley/Node ratios: only " + strings.Join(rep.Servers, ", ") + " ran)\n")
	}
	return b.String()
}

func (rep *report) has(server string) bool {
	for _, s := range rep.Servers {
		if s == server {
			return true
		}
	}
	return false
}

func fmtRatio(q float64) string {
	if math.IsNaN(q) {
		return "–"
	}
	return fmt.Sprintf("%.2f×", q)
}

// medianRow is one row of medians.json.
type medianRow struct {
	Variant      string             `json:"variant"`
	Metric       string             `json:"metric"`
	Label        string             `json:"label"`
	Unit         string             `json:"unit"`
	HigherBetter bool               `json:"higher_is_better"`
	Median       map[string]float64 `json:"median"`
	Runs         map[string]int     `json:"runs"`
	Ratio        *float64           `json:"parley_over_node,omitempty"`
}

// medians returns the report's rows for medians.json.
func (rep *report) medians() []medianRow {
	var out []medianRow
	for _, r := range rep.Rows {
		m := medianRow{Variant: r.Variant, Metric: r.Metric.Key, Label: r.Metric.Label, Unit: r.Metric.Unit,
			HigherBetter: r.Metric.HigherBetter, Median: r.Median, Runs: r.N}
		if q := r.ratio(); !math.IsNaN(q) {
			m.Ratio = &q
		}
		out = append(out, m)
	}
	return out
}

// writeOutputs writes results.json (every run), medians.json, summary.md (the table) and
// chart.svg.
func writeOutputs(dir string, runs []run, rep report, table string) error {
	js, err := json.MarshalIndent(runs, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	med, err := json.MarshalIndent(rep.medians(), "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "medians.json"), append(med, '\n'), 0o644); err != nil {
		return err
	}
	md := "# Benchmark medians\n\n" + table
	if err := os.WriteFile(filepath.Join(dir, "summary.md"), []byte(md), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "chart.svg"), []byte(rep.svg()), 0o644)
}
