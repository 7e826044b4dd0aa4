package engineio

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestEIO3Polling(t *testing.T) {
	e := newEnv(t, Options{AllowEIO3: true, PingInterval: 100 * time.Millisecond, PingTimeout: 100 * time.Millisecond},
		func(r *recorder) { r.echo = true })
	status, body, _ := e.do("GET", "EIO=3&transport=polling&b64=1", nil)
	n, open, ok := strings.Cut(body, ":")
	if status != 200 || !ok || n != strconv.Itoa(len(open)) {
		t.Fatalf("handshake %d %q", status, body)
	}
	sid := parseOpen(t, open).SID
	if e.rec.session(sid).Protocol() != 3 {
		t.Fatal("protocol")
	}
	q := "EIO=3&transport=polling&b64=1&sid=" + sid
	// The client pings; the server answers; text lengths count UTF-16 units.
	payload := "1:2" + "37:42[\"chat:message\",{\"text\":\"héllo ✓\"}]" + "10:b4AQIDBA=="
	if status, _, _ := e.do("POST", q, strings.NewReader(payload)); status != 200 {
		t.Fatalf("post %d", status)
	}
	_, got, _ := e.do("GET", q, nil)
	if want := "1:3" + "37:42[\"chat:message\",{\"text\":\"héllo ✓\"}]" + "10:b4AQIDBA=="; got != want {
		t.Fatalf("poll %q, want %q", got, want)
	}
	// No server pings: without a client ping the session ends after interval+timeout.
	if ev := e.rec.next(t, "close"); ev.reason != ReasonPingTimeout {
		t.Fatalf("close %+v", ev)
	}
}

func TestEIO3BinaryPayload(t *testing.T) {
	e := newEnv(t, Options{AllowEIO3: true}, func(r *recorder) { r.echo = true })
	_, body, _ := e.do("GET", "EIO=3&transport=polling", nil)
	_, open, _ := strings.Cut(body, ":")
	sid := parseOpen(t, open).SID
	q := "EIO=3&transport=polling&sid=" + sid
	bin := string([]byte{1, 3, 0xff, 4, 0xaa, 0xbb, 0, 2, 0xff, '4', 'x'})
	if status, _, _ := e.do("POST", q, strings.NewReader(bin), "Content-Type", "application/octet-stream"); status != 200 {
		t.Fatalf("post %d", status)
	}
	_, got, hdr := e.do("GET", q, nil)
	if got != bin || hdr.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("poll %v (%s)", []byte(got), hdr.Get("Content-Type"))
	}
}

func TestEIO3WebSocket(t *testing.T) {
	e := newEnv(t, Options{AllowEIO3: true}, func(r *recorder) { r.echo = true })
	c := e.dial("EIO=3&transport=websocket")
	readWS(t, c)
	writeWS(t, c, websocket.BinaryMessage, "\x04\x01\x02")
	if typ, m := readWS(t, c); typ != websocket.BinaryMessage || m != "\x04\x01\x02" {
		t.Fatalf("binary echo %d %q", typ, m)
	}
	writeWS(t, c, websocket.TextMessage, "2")
	if _, m := readWS(t, c); m != "3" {
		t.Fatalf("pong %q", m)
	}
	writeWS(t, c, websocket.TextMessage, "3") // a pong from a v3 client is wrong
	expectWSClosed(t, c)
	if ev := e.rec.next(t, "close"); ev.reason != ReasonTransportError {
		t.Fatalf("close %+v", ev)
	}
}
