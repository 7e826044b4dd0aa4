package main

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// npmClientDir is where the e2e tests' npm packages put the socket.io client.
const npmClientDir = "../../internal/e2e/node_modules/socket.io-client/dist"

func get(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Result(), string(body)
}

func TestPageLoadsThePinnedClient(t *testing.T) {
	mux := http.NewServeMux()
	if err := mountPage(mux, ""); err != nil {
		t.Fatal(err)
	}
	resp, page := get(t, mux, "/")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	tag := regexp.MustCompile(`<script src="([^"]+)"\s+integrity="(sha384-[^"]+)"\s+crossorigin="anonymous">`).FindStringSubmatch(page)
	if tag == nil || tag[1] != clientCDN {
		t.Fatalf("the page does not load %s with an integrity hash", clientCDN)
	}
	for _, f := range []string{"/app.js", "/style.css", "/favicon.svg"} {
		if resp, _ := get(t, mux, f); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", f, resp.StatusCode)
		}
	}

	// The hash must be that of the npm package's file, which is the file the CDN serves.
	js, err := os.ReadFile(filepath.Join(npmClientDir, "socket.io.min.js"))
	if err != nil {
		t.Skipf("socket.io-client not installed (make npm-e2e): %v", err)
	}
	sum := sha512.Sum384(js)
	if want := "sha384-" + base64.StdEncoding.EncodeToString(sum[:]); tag[2] != want {
		t.Fatalf("integrity %s, the npm package's file hashes to %s", tag[2], want)
	}
	var pkg struct {
		Version string `json:"version"`
	}
	raw, _ := os.ReadFile(filepath.Join(npmClientDir, "..", "package.json"))
	if json.Unmarshal(raw, &pkg) != nil || !strings.Contains(clientCDN, "@"+pkg.Version+"/") {
		t.Fatalf("the CDN URL %s is not for the installed version %q", clientCDN, pkg.Version)
	}
}

func TestPageWithLocalClient(t *testing.T) {
	if _, err := os.Stat(filepath.Join(npmClientDir, "socket.io.min.js")); err != nil {
		t.Skipf("socket.io-client not installed (make npm-e2e): %v", err)
	}
	mux := http.NewServeMux()
	if err := mountPage(mux, npmClientDir); err != nil {
		t.Fatal(err)
	}
	_, page := get(t, mux, "/")
	if strings.Contains(page, clientCDN) || !strings.Contains(page, `src="`+clientLocal+`"`) {
		t.Fatal("with -client-dir the page still loads the CDN")
	}
	if resp, body := get(t, mux, clientLocal); resp.StatusCode != http.StatusOK || len(body) < 10000 {
		t.Fatalf("GET %s: %d, %d bytes", clientLocal, resp.StatusCode, len(body))
	}
	if err := mountPage(http.NewServeMux(), t.TempDir()); err == nil {
		t.Fatal("a -client-dir without socket.io.min.js was accepted")
	}
}

func TestHeartbeatIsTheReferenceJSON(t *testing.T) {
	b, err := json.Marshal(heartbeat(time.UnixMilli(1700000000123)))
	if err != nil {
		t.Fatal(err)
	}
	// JSON.stringify({timestamp: Date.now(), message: "heartbeat"})
	if string(b) != `{"timestamp":1700000000123,"message":"heartbeat"}` {
		t.Fatalf("heartbeat %s", b)
	}
}
