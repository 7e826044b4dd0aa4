package engineio

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzPollingPOST feeds arbitrary POST bodies to a polling session (v4, v3 string, v3 binary)
// through the whole server: no input may panic, and a bystander session stays open.
func FuzzPollingPOST(f *testing.F) {
	for _, seed := range []string{"4hello\x1ebAQIDBA==", "1", "abc", "", "\x1e\x1e", "6:4hello", "1:2", "\x00\x01\xff4", "\x01\x02\xff\x04\x01"} {
		f.Add([]byte(seed), 4, false)
		f.Add([]byte(seed), 3, false)
		f.Add([]byte(seed), 3, true)
	}
	rec := newRecorder(f)
	rec.echo = true
	rec.quiet = true
	srv := NewServer(Options{Handler: rec, AllowEIO3: true, MaxPayload: 4096})
	defer func() { _ = srv.Close(context.Background()) }()
	open := func(tb testing.TB, v int) string {
		w := httptest.NewRecorder()
		q := "EIO=4&transport=polling"
		if v == 3 {
			q = "EIO=3&transport=polling&b64=1"
		}
		srv.ServeHTTP(w, httptest.NewRequest("GET", "/engine.io/?"+q, nil))
		body := w.Body.String()
		if v == 3 {
			_, body, _ = strings.Cut(body, ":")
		}
		first, _, _ := strings.Cut(body, "\x1e")
		return parseOpen(tb, first).SID
	}
	bystander := open(f, 4)
	f.Fuzz(func(t *testing.T, body []byte, v int, binaryCT bool) {
		if v != 3 {
			v = 4
		}
		sid := open(t, v)
		req := httptest.NewRequest("POST", "/engine.io/?EIO="+string(rune('0'+v))+"&transport=polling&sid="+sid, bytes.NewReader(body))
		if binaryCT {
			req.Header.Set("Content-Type", "application/octet-stream")
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != 200 && w.Code != 400 && w.Code != 413 {
			t.Fatalf("status %d for %q", w.Code, body)
		}
		if s := rec.session(sid); !s.isClosed() {
			s.Close()
		}
		if rec.session(bystander).isClosed() {
			t.Fatal("bystander closed")
		}
	})
}
