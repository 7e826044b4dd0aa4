package main

import (
	"math/bits"
	"time"
)

// histSubBits sets the histogram's precision: each power of two is split into 2^histSubBits
// buckets, so a recorded value is off by at most 1/64 (1.6 %).
const (
	histSubBits  = 6
	histSubCount = 1 << histSubBits
	histMaxBits  = 40 // values are clamped below 2^40 ns (about 18 minutes)
	histBuckets  = 2*histSubCount + (histMaxBits-histSubBits-1)*histSubCount
)

// histogram is a log-linear histogram of non-negative durations in nanoseconds. It is not safe
// for concurrent use: each goroutine records into its own and the results are merged.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	max    int64
	sum    float64
}

// bucketOf returns the bucket index of v.
func bucketOf(v int64) int {
	if v < 0 {
		v = 0
	}
	if v >= 1<<histMaxBits {
		v = 1<<histMaxBits - 1
	}
	u := uint64(v)
	if u < 2*histSubCount {
		return int(u)
	}
	shift := bits.Len64(u) - histSubBits - 1 // ≥ 1
	return 2*histSubCount + (shift-1)*histSubCount + int(u>>uint(shift)) - histSubCount
}

// bucketValue returns a representative value (the middle) of bucket idx.
func bucketValue(idx int) int64 {
	if idx < 2*histSubCount {
		return int64(idx)
	}
	r := idx - 2*histSubCount
	shift := r/histSubCount + 1
	low := int64(r%histSubCount+histSubCount) << uint(shift)
	return low + (int64(1)<<uint(shift)-1)/2
}

// record adds one value.
func (h *histogram) record(v int64) {
	h.counts[bucketOf(v)]++
	h.n++
	h.sum += float64(v)
	if v > h.max {
		h.max = v
	}
}

// merge adds every value of o.
func (h *histogram) merge(o *histogram) {
	for k, c := range o.counts {
		h.counts[k] += c
	}
	h.n += o.n
	h.sum += o.sum
	if o.max > h.max {
		h.max = o.max
	}
}

// quantile returns the value at quantile q (0 < q ≤ 1): the smallest recorded value v such
// that at least q of all values are ≤ v, to the histogram's precision. It returns 0 when empty.
func (h *histogram) quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.999999999)
	if rank < 1 {
		rank = 1
	}
	if rank >= h.n {
		return h.max
	}
	var cum uint64
	for k, c := range h.counts {
		cum += c
		if cum >= rank {
			v := bucketValue(k)
			if v > h.max {
				v = h.max
			}
			return v
		}
	}
	return h.max
}

// mean returns the average value, or 0 when empty.
func (h *histogram) mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}

// micros converts nanoseconds to microseconds for reporting.
func micros(ns int64) float64 { return float64(ns) / float64(time.Microsecond) }
