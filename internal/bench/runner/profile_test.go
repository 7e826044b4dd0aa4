package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProfilerSavesProfiles(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	dir := t.TempDir()
	p, err := newProfiler(dir, "echo-max-r1")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = strings.TrimPrefix(srv.URL, "http://")
	p.startCPU(variant{Args: []string{"-duration", "1s", "-warmup", "0s"}})
	p.finish()
	for _, f := range []string{"echo-max-r1.cpu.pprof", "echo-max-r1.heap.pprof"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Size() == 0 {
			t.Errorf("%s not saved: %v", f, err)
		}
	}
}
