package engineio

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestWebSocketOnly(t *testing.T) {
	e := newEnv(t, Options{}, func(r *recorder) { r.echo = true })
	c := e.dial("EIO=4&transport=websocket")
	typ, open := readWS(t, c)
	o := parseOpen(t, open)
	if typ != websocket.TextMessage || len(o.Upgrades) != 0 {
		t.Fatalf("open %q", open)
	}
	ev := e.rec.next(t, "open")
	if e.rec.session(ev.sid).Transport() != "websocket" {
		t.Fatal("transport")
	}
	writeWS(t, c, websocket.TextMessage, "4héllo")
	writeWS(t, c, websocket.BinaryMessage, "\x01\x02")
	if typ, m := readWS(t, c); typ != websocket.TextMessage || m != "4héllo" {
		t.Fatalf("echo %d %q", typ, m)
	}
	if typ, m := readWS(t, c); typ != websocket.BinaryMessage || m != "\x01\x02" {
		t.Fatalf("binary echo %d %q", typ, m)
	}
	writeWS(t, c, websocket.TextMessage, "1")
	expectWSClosed(t, c)
	if ev := e.rec.next(t, "close"); ev.reason != ReasonTransportClose {
		t.Fatalf("close %+v", ev)
	}
}

func TestWebSocketHeartbeatAndTimeout(t *testing.T) {
	e := newEnv(t, Options{PingInterval: 50 * time.Millisecond, PingTimeout: 100 * time.Millisecond})
	c := e.dial("EIO=4&transport=websocket")
	readWS(t, c)
	for i := 0; i < 3; i++ {
		if _, m := readWS(t, c); m != "2" {
			t.Fatalf("ping %q", m)
		}
		writeWS(t, c, websocket.TextMessage, "3")
	}
	readWS(t, c) // a ping left unanswered
	expectWSClosed(t, c)
	if ev := e.rec.next(t, "close"); ev.reason != ReasonPingTimeout {
		t.Fatalf("close %+v", ev)
	}
}

func TestWebSocketBadInput(t *testing.T) {
	e := newEnv(t, Options{MaxPayload: 100})
	other := e.dial("EIO=4&transport=websocket")
	readWS(t, other)

	bad := e.dial("EIO=4&transport=websocket")
	readWS(t, bad)
	writeWS(t, bad, websocket.TextMessage, "abc")
	expectWSClosed(t, bad)
	if ev := e.rec.next(t, "close"); ev.reason != ReasonParseError {
		t.Fatalf("close %+v", ev)
	}

	big := e.dial("EIO=4&transport=websocket")
	readWS(t, big)
	writeWS(t, big, websocket.TextMessage, "4"+strings.Repeat("x", 200))
	expectWSClosed(t, big)
	if ev := e.rec.next(t, "close"); ev.reason != ReasonTransportError {
		t.Fatalf("close %+v", ev)
	}

	// The other session is untouched.
	if e.srv.SessionCount() != 1 {
		t.Fatalf("sessions: %d", e.srv.SessionCount())
	}
	writeWS(t, other, websocket.TextMessage, "4still here")
	if ev := e.rec.next(t, "message"); ev.data != "still here" {
		t.Fatalf("message %+v", ev)
	}
}

func TestUpgrade(t *testing.T) {
	e := newEnv(t, Options{}, func(r *recorder) { r.echo = true })
	sid := e.handshake()
	s := e.rec.session(sid)

	pending := make(chan string)
	go func() { _, body := e.poll(sid); pending <- body }()
	time.Sleep(30 * time.Millisecond)

	c := e.dial("EIO=4&transport=websocket&sid=" + sid)
	writeWS(t, c, websocket.TextMessage, "2probe")
	if _, m := readWS(t, c); m != "3probe" {
		t.Fatalf("probe answer %q", m)
	}
	if body := <-pending; body != "6" {
		t.Fatalf("pending poll released with %q", body)
	}
	// Queued during the upgrade: goes out after "5", on the WebSocket, in order.
	_ = s.Send(Message{Data: []byte("q1")}, Message{Data: []byte("q2")})
	writeWS(t, c, websocket.TextMessage, "5")
	writeWS(t, c, websocket.TextMessage, "4after")
	for _, want := range []string{"4q1", "4q2", "4after"} {
		if _, m := readWS(t, c); m != want {
			t.Fatalf("got %q, want %q", m, want)
		}
	}
	if s.Transport() != "websocket" {
		t.Fatal("not upgraded")
	}
	if status, _ := e.poll(sid); status != 400 {
		t.Fatalf("poll after upgrade: %d", status)
	}
	second := e.dial("EIO=4&transport=websocket&sid=" + sid)
	expectWSClosed(t, second)
	writeWS(t, c, websocket.TextMessage, "4still")
	if _, m := readWS(t, c); m != "4still" {
		t.Fatalf("after second ws: %q", m)
	}
}

func TestUpgradeTimeout(t *testing.T) {
	e := newEnv(t, Options{UpgradeTimeout: 100 * time.Millisecond}, func(r *recorder) { r.echo = true })
	sid := e.handshake()
	c := e.dial("EIO=4&transport=websocket&sid=" + sid)
	writeWS(t, c, websocket.TextMessage, "2probe")
	readWS(t, c)
	expectWSClosed(t, c) // never sent "5"
	// The session goes on over polling.
	e.post(sid, "4x")
	if _, body := e.poll(sid); body != "4x" {
		t.Fatalf("poll %q", body)
	}
	// And can upgrade again.
	c2 := e.dial("EIO=4&transport=websocket&sid=" + sid)
	writeWS(t, c2, websocket.TextMessage, "2probe")
	if _, m := readWS(t, c2); m != "3probe" {
		t.Fatalf("second probe %q", m)
	}
}

func TestDisableUpgrades(t *testing.T) {
	e := newEnv(t, Options{DisableUpgrades: true})
	sid := e.handshake()
	c := e.dial("EIO=4&transport=websocket&sid=" + sid)
	expectWSClosed(t, c)
	if e.rec.session(sid).Transport() != "polling" {
		t.Fatal("upgraded")
	}
}

func TestSessionCloseOnWebSocket(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.dial("EIO=4&transport=websocket")
	readWS(t, c)
	s := e.rec.session(e.rec.next(t, "open").sid)
	_ = s.Send(Message{Data: []byte("bye")})
	s.Close()
	if got := expectWSClosed(t, c); strings.Join(got, ",") != "4bye,1" {
		t.Fatalf("got %q", got)
	}
	if ev := e.rec.next(t, "close"); ev.reason != ReasonForcedClose {
		t.Fatalf("close %+v", ev)
	}
}

func TestServerClose(t *testing.T) {
	rec := newRecorder(t)
	srv := NewServer(Options{Handler: rec})
	e := &env{t: t, rec: rec, srv: srv}
	hs := newHTTPTest(t, srv)
	e.hs, e.url = hs, hs.URL+srv.opts.Path

	sid := e.handshake()
	pending := make(chan string)
	go func() { _, body := e.poll(sid); pending <- body }()
	c := e.dial("EIO=4&transport=websocket")
	readWS(t, c)
	e.rec.next(t, "open")
	idle := e.handshake() // polling, no pending GET
	_ = idle
	time.Sleep(30 * time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if body := <-pending; body != "1" {
		t.Fatalf("pending poll got %q", body)
	}
	if got := expectWSClosed(t, c); len(got) != 1 || got[0] != "1" {
		t.Fatalf("ws got %q", got)
	}
	for i := 0; i < 3; i++ {
		if ev := e.rec.next(t, "close"); ev.reason != ReasonServerShuttingDown {
			t.Fatalf("close %+v", ev)
		}
	}
	if status, _, _ := e.do("GET", "EIO=4&transport=polling", nil); status != 503 {
		t.Fatalf("after close: %d", status)
	}
	if srv.SessionCount() != 0 {
		t.Fatalf("sessions left: %d", srv.SessionCount())
	}
}

// TestUpgradeLosesNothing sends a stream of messages from the server while the client
// upgrades as engine.io-client does (poll until the probe is answered, let the pending poll
// finish, then "5"): every message arrives once, in order, part on polling, part on WebSocket.
func TestUpgradeLosesNothing(t *testing.T) {
	e := newEnv(t, Options{})
	sid := e.handshake()
	s := e.rec.session(sid)
	const total = 2000
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for i := 0; i < total; i++ {
			if err := s.Send(Message{Data: []byte(strconv.Itoa(i))}); err != nil {
				t.Errorf("Send %d: %v", i, err)
				return
			}
			if i%50 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	var got []string
	add := func(payload string) {
		for _, p := range strings.Split(payload, "\x1e") {
			if strings.HasPrefix(p, "4") {
				got = append(got, p[1:])
			}
		}
	}
	_, body := e.poll(sid)
	add(body)
	c := e.dial("EIO=4&transport=websocket&sid=" + sid)
	writeWS(t, c, websocket.TextMessage, "2probe")
	probed := make(chan struct{})
	go func() {
		defer close(probed)
		if _, m := readWS(t, c); m != "3probe" {
			t.Errorf("probe answer %q", m)
		}
	}()
	// Poll until the probe has been answered and a poll has come back after it.
	for done := false; !done; {
		select {
		case <-probed:
			done = true
		default:
		}
		_, body := e.poll(sid)
		add(body)
	}
	writeWS(t, c, websocket.TextMessage, "5")
	for len(got) < total {
		_, m := readWS(t, c)
		if strings.HasPrefix(m, "4") {
			got = append(got, m[1:])
		}
	}
	<-sent
	for i, m := range got {
		if m != strconv.Itoa(i) {
			t.Fatalf("message %d is %q (of %d)", i, m, len(got))
		}
	}
}

// TestDeliverySerialisedAcrossUpgrade races a polling POST against WebSocket frames during
// and after an upgrade: the recorder fails on any concurrent or post-close handler call.
func TestDeliverySerialisedAcrossUpgrade(t *testing.T) {
	e := newEnv(t, Options{})
	sid := e.handshake()
	c := e.dial("EIO=4&transport=websocket&sid=" + sid)
	writeWS(t, c, websocket.TextMessage, "2probe")
	readWS(t, c)
	var payload []string
	for i := 0; i < 200; i++ {
		payload = append(payload, "4p"+strconv.Itoa(i))
	}
	done := make(chan int, 1)
	go func() {
		status, _, _ := e.do("POST", "EIO=4&transport=polling&sid="+sid, strings.NewReader(strings.Join(payload, "\x1e")))
		done <- status
	}()
	writeWS(t, c, websocket.TextMessage, "5")
	for i := 0; i < 200; i++ {
		writeWS(t, c, websocket.TextMessage, "4w"+strconv.Itoa(i))
	}
	want := 200 // the WebSocket's messages, and the POST's if it came before the upgrade
	if status := <-done; status == 200 {
		want += 200
	}
	var p, w int
	for p+w < want {
		ev := e.rec.next(t, "message")
		switch {
		case strings.HasPrefix(ev.data, "p"):
			if ev.data != "p"+strconv.Itoa(p) {
				t.Fatalf("polling message %q, want p%d", ev.data, p)
			}
			p++
		case strings.HasPrefix(ev.data, "w"):
			if ev.data != "w"+strconv.Itoa(w) {
				t.Fatalf("websocket message %q, want w%d", ev.data, w)
			}
			w++
		}
	}
}

func TestPerMessageDeflate(t *testing.T) {
	e := newEnv(t, Options{PerMessageDeflate: true}, func(r *recorder) { r.echo = true })
	d := websocket.Dialer{EnableCompression: true}
	u := "ws" + strings.TrimPrefix(e.url, "http") + "?EIO=4&transport=websocket"
	c, res, err := d.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ext := res.Header.Get("Sec-Websocket-Extensions"); !strings.Contains(ext, "permessage-deflate") {
		t.Fatalf("extensions %q", ext)
	}
	readWS(t, c)
	big := "4" + strings.Repeat("compressible ", 1000)
	writeWS(t, c, websocket.TextMessage, big)
	if _, m := readWS(t, c); m != big {
		t.Fatal("echo differs")
	}
	// Off by default.
	off := newEnv(t, Options{})
	c2, res2, err := d.Dial("ws"+strings.TrimPrefix(off.url, "http")+"?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if ext := res2.Header.Get("Sec-Websocket-Extensions"); ext != "" {
		t.Fatalf("compression negotiated by default: %q", ext)
	}
}
