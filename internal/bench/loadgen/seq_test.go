package main

import "testing"

func TestSeqTracker(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  []int64
		sent int64
		want lossCount
	}{
		{"in order", []int64{0, 1, 2, 3}, 4, lossCount{}},
		{"nothing", nil, 3, lossCount{Lost: 3}},
		{"tail lost", []int64{0, 1}, 4, lossCount{Lost: 2}},
		{"gap", []int64{0, 2, 3}, 4, lossCount{Lost: 1}},
		{"swap", []int64{0, 2, 1, 3}, 4, lossCount{Reordered: 1}},
		{"late by three", []int64{1, 2, 3, 0}, 4, lossCount{Reordered: 1}},
		{"dup", []int64{0, 1, 1, 2}, 3, lossCount{Duplicated: 1, Reordered: 1}},
	} {
		var tr seqTracker
		for _, s := range tc.got {
			tr.observe(s)
		}
		if got := tr.account(tc.sent); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestLossAdd(t *testing.T) {
	c := lossCount{Lost: 1}
	c.add(lossCount{Lost: 2, Reordered: 3, Duplicated: 4})
	if c != (lossCount{Lost: 3, Reordered: 3, Duplicated: 4}) {
		t.Errorf("%+v", c)
	}
}
