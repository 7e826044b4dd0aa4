package main

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

func TestBucketRoundTrip(t *testing.T) {
	prev := -1
	for _, v := range []int64{0, 1, 127, 128, 129, 255, 256, 1000, 1e6, 123456789, 1<<40 - 1} {
		b := bucketOf(v)
		if b < prev {
			t.Fatalf("bucketOf not monotonic at %d", v)
		}
		prev = b
		if b >= histBuckets {
			t.Fatalf("bucketOf(%d) = %d, out of range", v, b)
		}
		got := bucketValue(b)
		if err := float64(got-v) / float64(v+1); err > 1.0/64 || err < -1.0/64 {
			t.Errorf("bucketValue(bucketOf(%d)) = %d, off by %.3f", v, got, err)
		}
	}
	if bucketOf(-5) != 0 || bucketOf(1<<50) != histBuckets-1 {
		t.Error("out-of-range values are not clamped")
	}
}

func TestQuantileAgainstSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h histogram
	vals := make([]int64, 100000)
	for k := range vals {
		vals[k] = int64(r.ExpFloat64() * float64(500*time.Microsecond))
		h.record(vals[k])
	}
	sort.Slice(vals, func(a, b int) bool { return vals[a] < vals[b] })
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		exact := vals[int(q*float64(len(vals)))-1]
		got := h.quantile(q)
		if d := float64(got-exact) / float64(exact); d > 0.02 || d < -0.02 {
			t.Errorf("q%.3f = %d, exact %d (off %.3f)", q, got, exact, d)
		}
	}
	if h.quantile(1) != vals[len(vals)-1] {
		t.Errorf("q1 = %d, want the max %d", h.quantile(1), vals[len(vals)-1])
	}
}

func TestQuantileSmall(t *testing.T) {
	var h histogram
	if h.quantile(0.5) != 0 || h.mean() != 0 {
		t.Fatal("empty histogram")
	}
	for _, v := range []int64{10, 20, 30, 40} {
		h.record(v)
	}
	if got := h.quantile(0.5); got != 20 {
		t.Errorf("p50 of 10,20,30,40 = %d, want 20", got)
	}
	if got := h.quantile(0.99); got != 40 {
		t.Errorf("p99 = %d, want 40", got)
	}
	if h.mean() != 25 {
		t.Errorf("mean = %v", h.mean())
	}
}

func TestMerge(t *testing.T) {
	var a, b histogram
	for v := int64(1); v <= 50; v++ {
		a.record(v)
		b.record(v + 50)
	}
	a.merge(&b)
	if a.n != 100 || a.max != 100 || a.quantile(0.5) != 50 {
		t.Errorf("merged n=%d max=%d p50=%d", a.n, a.max, a.quantile(0.5))
	}
}
