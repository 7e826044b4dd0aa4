package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat; it is 100 on every
// Linux architecture Parley's benchmarks run on.
const clockTicks = 100

// procSample is one reading of a server process's CPU time and resident memory.
type procSample struct {
	cpu    time.Duration // utime + stime
	rssKiB int64         // VmRSS
}

// readProc reads /proc/<pid>/stat and /proc/<pid>/status.
func readProc(pid int) (procSample, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procSample{}, err
	}
	cpu, err := parseStatCPU(stat)
	if err != nil {
		return procSample{}, err
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procSample{}, err
	}
	rss, err := parseStatusRSS(status)
	if err != nil {
		return procSample{}, err
	}
	return procSample{cpu: cpu, rssKiB: rss}, nil
}

// parseStatCPU returns utime+stime from the contents of /proc/<pid>/stat. The command name
// (field 2) is in parentheses and may hold spaces, so fields are counted from the last ')'.
func parseStatCPU(stat []byte) (time.Duration, error) {
	k := bytes.LastIndexByte(stat, ')')
	if k < 0 {
		return 0, fmt.Errorf("proc stat: no ')'")
	}
	f := bytes.Fields(stat[k+1:])
	// After ')' come field 3 (state) onwards: utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("proc stat: %d fields after the name", len(f))
	}
	ut, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	st, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("proc stat: bad utime/stime %q %q", f[11], f[12])
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// parseStatusRSS returns VmRSS in KiB from the contents of /proc/<pid>/status.
func parseStatusRSS(status []byte) (int64, error) {
	for _, line := range bytes.Split(status, []byte{'\n'}) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) < 1 {
			break
		}
		return strconv.ParseInt(string(f[0]), 10, 64)
	}
	return 0, fmt.Errorf("proc status: no VmRSS")
}
