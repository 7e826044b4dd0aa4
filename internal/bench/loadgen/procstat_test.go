package main

import (
	"os"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// The name holds spaces and a ')': fields are counted from the last one.
	stat := "4242 (node ) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 11 0 123 456 789\n"
	got, err := parseStatCPU([]byte(stat))
	if err != nil || got != 3*time.Second {
		t.Fatalf("parseStatCPU = %v, %v; want 3s", got, err)
	}
	if _, err := parseStatCPU([]byte("12 (x) S 1 2")); err == nil {
		t.Error("short stat accepted")
	}
}

func TestParseStatusRSS(t *testing.T) {
	st := "Name:\tnode\nVmPeak:\t  999 kB\nVmRSS:\t   74480 kB\nThreads:\t11\n"
	got, err := parseStatusRSS([]byte(st))
	if err != nil || got != 74480 {
		t.Fatalf("parseStatusRSS = %d, %v", got, err)
	}
	if _, err := parseStatusRSS([]byte("Name:\tx\n")); err == nil {
		t.Error("status without VmRSS accepted")
	}
}

func TestReadProcSelf(t *testing.T) {
	s, err := readProc(os.Getpid())
	if err != nil || s.rssKiB <= 0 {
		t.Fatalf("readProc(self) = %+v, %v", s, err)
	}
}
