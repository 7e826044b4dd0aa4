package engineio

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// TestBadInputStaysInItsSession throws malformed requests, payloads and frames at a server
// (each at its own session) and checks that none panics, each gets an error answer, and a
// bystander session is untouched.
func TestBadInputStaysInItsSession(t *testing.T) {
	rec := newRecorder(t)
	rec.echo = true
	srv := NewServer(Options{Handler: rec, AllowEIO3: true, MaxPayload: 1000})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				t.Errorf("panic on %s %s: %v", r.Method, r.URL, p)
				panic(http.ErrAbortHandler)
			}
		}()
		srv.ServeHTTP(w, r)
	}))
	e := &env{t: t, rec: rec, srv: srv, hs: hs, url: hs.URL + srv.opts.Path}
	defer func() {
		_ = srv.Close(t.Context())
		hs.CloseClientConnections()
		hs.Close()
	}()

	bystander := e.dial("EIO=4&transport=websocket")
	readWS(t, bystander)

	for _, q := range []string{"", "EIO=4&transport=polling&sid=", "EIO=4&transport=polling&sid=%00",
		"EIO=99&transport=polling", "EIO=4&transport=polling&sid=" + strings.Repeat("x", 5000), "%zz"} {
		status, _, _ := e.do("GET", q, nil)
		if status >= 500 {
			t.Errorf("GET ?%s: %d", q, status)
		}
	}
	bodies4 := []string{"", "\x1e", "4a\x1e", "b", "b!!", "bAQI", "9", "\xff\xfe", "4" + strings.Repeat("y", 2000), "6\x1e5\x1e0"}
	for _, b := range bodies4 {
		sid := e.handshake()
		status, _ := e.post(sid, b)
		if status >= 500 {
			t.Errorf("POST %q: %d", b, status)
		}
	}
	bodies3 := []string{"", "1", "1:", ":4", "9:4", "2:b4", "6:b4!!!!", "99999999999:4", "2:4\xff"}
	for _, b := range bodies3 {
		_, body, _ := e.do("GET", "EIO=3&transport=polling&b64=1", nil)
		_, open, _ := strings.Cut(body, ":")
		sid := parseOpen(t, open).SID
		for _, ct := range []string{"text/plain", "application/octet-stream"} {
			status, _, _ := e.do("POST", "EIO=3&transport=polling&sid="+sid, strings.NewReader(b), "Content-Type", ct)
			if status >= 500 {
				t.Errorf("v3 POST %q (%s): %d", b, ct, status)
			}
		}
	}
	frames := []struct {
		typ  int
		data string
	}{{websocket.TextMessage, ""}, {websocket.TextMessage, "x"}, {websocket.TextMessage, "b"},
		{websocket.TextMessage, "b!!"}, {websocket.TextMessage, "0"}, {websocket.BinaryMessage, ""},
		{websocket.TextMessage, strings.Repeat("4", 3000)}}
	for _, f := range frames {
		for _, v := range []string{"4", "3"} {
			c := e.dial("EIO=" + v + "&transport=websocket")
			readWS(t, c)
			// The server may close at once: write errors are expected.
			_ = c.WriteMessage(f.typ, []byte(f.data))
			_ = c.WriteMessage(websocket.TextMessage, []byte("4after"))
			c.Close()
		}
	}
	// Probes that go wrong.
	for _, first := range []string{"abc", "4hello", "2notprobe", "3probe"} {
		sid := e.handshake()
		c := e.dial("EIO=4&transport=websocket&sid=" + sid)
		writeWS(t, c, websocket.TextMessage, first)
		expectWSClosed(t, c)
	}

	writeWS(t, bystander, websocket.TextMessage, "4alive")
	for {
		_, m := readWS(t, bystander)
		if m == "4alive" {
			break
		}
		if m != "2" {
			t.Fatalf("bystander got %q", m)
		}
	}
}
