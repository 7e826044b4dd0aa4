package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Chart geometry, in SVG user units.
const (
	svgWidth   = 920
	svgLabelW  = 360
	svgRight   = 40
	svgRowH    = 22
	svgGroupH  = 26
	svgTop     = 70
	svgBottom  = 50
	svgMaxLog2 = 3 // the axis spans 1/8× … 8×; longer bars are clipped and marked
)

// svg draws the Parley/Node ratio of every metric as a horizontal bar on a log scale, grouped
// by variant: green where Parley is better, red where Node is; the axis is centred on 1×.
func (rep *report) svg() string {
	var rows []row
	for _, r := range rep.Rows {
		if !math.IsNaN(r.ratio()) {
			rows = append(rows, r)
		}
	}
	groups := 0
	for k, r := range rows {
		if k == 0 || rows[k-1].Variant != r.Variant {
			groups++
		}
	}
	h := svgTop + groups*svgGroupH + len(rows)*svgRowH + svgBottom
	if len(rows) == 0 {
		h = svgTop + 60
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		svgWidth, h, svgWidth, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="16" font-weight="bold">Parley / Node.js socket.io, medians (log scale)</text>`+"\n", 12)
	fmt.Fprintf(&b, `<text x="%d" y="44" fill="#555">green: Parley better, red: Node better; the label says which way is better for each metric</text>`+"\n", 12)
	if len(rows) == 0 {
		fmt.Fprintf(&b, `<text x="12" y="%d">No ratios: Parley's and Node's servers did not both produce results (servers: %s).</text>`+"\n",
			svgTop+20, html.EscapeString(strings.Join(rep.Servers, ", ")))
		b.WriteString("</svg>\n")
		return b.String()
	}
	plotL, plotR := float64(svgLabelW), float64(svgWidth-svgRight)
	x := func(q float64) float64 {
		l := math.Max(-svgMaxLog2, math.Min(svgMaxLog2, math.Log2(q)))
		return plotL + (l+svgMaxLog2)/(2*svgMaxLog2)*(plotR-plotL)
	}
	plotTop, plotBot := svgTop, h-svgBottom
	for e := -svgMaxLog2; e <= svgMaxLog2; e++ {
		q := math.Pow(2, float64(e))
		xx := x(q)
		stroke, width := "#ddd", 1
		if e == 0 {
			stroke, width = "#333", 2
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="%d"/>`+"\n", xx, plotTop, xx, plotBot, stroke, width)
		label := fmt.Sprintf("%g×", q)
		if e < 0 {
			label = fmt.Sprintf("1/%g×", 1/q)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>`+"\n", xx, plotBot+16, label)
	}
	y := svgTop
	for k, r := range rows {
		if k == 0 || rows[k-1].Variant != r.Variant {
			fmt.Fprintf(&b, `<text x="12" y="%d" font-weight="bold">%s</text>`+"\n", y+18, html.EscapeString(r.Variant))
			y += svgGroupH
		}
		q := r.ratio()
		dir := "↓"
		if r.Metric.HigherBetter {
			dir = "↑"
		}
		fmt.Fprintf(&b, `<text x="24" y="%d">%s %s better</text>`+"\n", y+15, html.EscapeString(r.Metric.Label), dir)
		x0, x1 := x(1), x(q)
		left, w := math.Min(x0, x1), math.Abs(x1-x0)
		color := "#c62828"
		if r.better() {
			color = "#2e7d32"
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s %s: Parley %s, Node %s %s</title></rect>`+"\n",
			left, y+3, math.Max(w, 1), svgRowH-6, color, html.EscapeString(r.Variant), html.EscapeString(r.Metric.Label),
			fmtNum(r.Median["parley"]), fmtNum(r.Median["node"]), html.EscapeString(r.Metric.Unit))
		tx, anchor := x1+4, "start"
		if q < 1 {
			tx, anchor = x1-4, "end"
		}
		clipped := ""
		if math.Abs(math.Log2(q)) > svgMaxLog2 {
			clipped = " (off scale)"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="%s">%s%s</text>`+"\n", tx, y+15, anchor, fmtRatio(q), clipped)
		y += svgRowH
	}
	b.WriteString("</svg>\n")
	return b.String()
}
