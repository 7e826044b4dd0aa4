package main

import (
	"encoding/xml"
	"math"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median of nothing should be NaN")
	}
}

func TestFmtNum(t *testing.T) {
	for in, want := range map[float64]string{114835.4: "114,835", 2591: "2,591", 17.44: "17.4", 8.512: "8.51", 250: "250", -1234: "-1,234"} {
		if got := fmtNum(in); got != want {
			t.Errorf("fmtNum(%v) = %q, want %q", in, got, want)
		}
	}
}

func testReport() report {
	vs := []variant{{Name: "echo-max", Metrics: []metric{mThroughput("round trips"), mCPU("CPU per round trip")}}}
	ts := []target{{Name: "parley"}, {Name: "node"}}
	mk := func(server string, ops, cpu float64, failed bool) run {
		r := run{Variant: "echo-max", Server: server, res: &result{OpsPerS: ops, CPUUsPerOp: cpu, Measured: true}}
		if failed {
			r.Failures = "lost 1"
		}
		return r
	}
	runs := []run{
		mk("parley", 100, 10, false), mk("parley", 120, 8, false), mk("parley", 1e9, 1, true), mk("parley", 110, 9, false),
		mk("node", 50, 20, false), mk("node", 60, 18, false), mk("node", 55, 19, false),
	}
	return buildReport(vs, ts, runs)
}

func TestReportRatios(t *testing.T) {
	rep := testReport()
	if len(rep.Rows) != 2 {
		t.Fatalf("%d rows", len(rep.Rows))
	}
	thr, cpu := rep.Rows[0], rep.Rows[1]
	if thr.Median["parley"] != 110 || thr.N["parley"] != 3 {
		t.Errorf("a failed run went into the median: %v %v", thr.Median, thr.N)
	}
	if q := thr.ratio(); q != 2 || !thr.better() {
		t.Errorf("throughput ratio %v better %v", q, thr.better())
	}
	if q := cpu.ratio(); math.Abs(q-9.0/19) > 1e-9 || !cpu.better() {
		t.Errorf("cpu ratio %v better %v", q, cpu.better())
	}
	tab := rep.table()
	for _, want := range []string{"Parley/Node", "2.00×", "0.47×", "higher is better", "lower is better"} {
		if !strings.Contains(tab, want) {
			t.Errorf("table lacks %q:\n%s", want, tab)
		}
	}
}

func TestSVGWellFormed(t *testing.T) {
	for _, rep := range []report{testReport(), {Servers: []string{"node"}}} {
		s := rep.svg()
		d := xml.NewDecoder(strings.NewReader(s))
		for {
			_, err := d.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("chart is not well-formed XML: %v\n%s", err, s)
				}
				break
			}
		}
		if !strings.HasPrefix(s, "<svg") {
			t.Error("not an SVG document")
		}
	}
}

func TestPlanAndSelect(t *testing.T) {
	vs := plan(scales["smoke"], 0)
	names := map[string]bool{}
	for _, v := range vs {
		names[v.Name] = true
		if len(v.Metrics) == 0 {
			t.Errorf("%s has no metrics", v.Name)
		}
	}
	for _, n := range []string{"conns-50", "echo-max-unpinned", "echo-polling-max-unpinned", "fanout-max", "fanout-max-unpinned", "fanout-rate", "echo-max", "echo-rate", "echo-polling-max", "echo-polling-rate"} {
		if !names[n] {
			t.Errorf("plan lacks %s", n)
		}
	}
	if got := selectVariants(vs, "echo-polling,conns"); len(got) != 4 {
		t.Errorf("selectVariants picked %d", len(got))
	}
	if d := argDuration([]string{"-duration", "3s"}, "-duration", 0); d.Seconds() != 3 {
		t.Errorf("argDuration = %v", d)
	}
}

func TestMediansJSON(t *testing.T) {
	rep := testReport()
	m := rep.medians()
	if len(m) != 2 || m[0].Ratio == nil || *m[0].Ratio != 2 || m[0].Median["node"] != 55 {
		t.Errorf("medians: %+v", m)
	}
	only := buildReport([]variant{{Name: "x", Metrics: []metric{mP50}}}, []target{{Name: "node"}}, nil)
	if r := only.medians(); len(r) != 1 || r[0].Ratio != nil {
		t.Errorf("a ratio without Parley: %+v", r)
	}
}
