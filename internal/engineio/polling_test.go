package engineio

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestPollingEcho(t *testing.T) {
	e := newEnv(t, Options{}, func(r *recorder) { r.echo = true })
	sid := e.handshake()
	if status, body := e.post(sid, "4hello\x1ebAQIDBA==\x1e4é"); status != 200 || body != "ok" {
		t.Fatalf("post: %d %q", status, body)
	}
	for _, want := range []event{{data: "hello"}, {data: "\x01\x02\x03\x04", binary: true}, {data: "é"}} {
		ev := e.rec.next(t, "message")
		if ev.data != want.data || ev.binary != want.binary {
			t.Fatalf("message %+v, want %+v", ev, want)
		}
	}
	if status, body := e.poll(sid); status != 200 || body != "4hello\x1ebAQIDBA==\x1e4é" {
		t.Fatalf("poll: %d %q", status, body)
	}
}

func TestPollingBatchesWhatIsQueued(t *testing.T) {
	e := newEnv(t, Options{})
	sid := e.handshake()
	s := e.rec.session(sid)
	_ = s.Send(Message{Data: []byte("a")}, Message{Data: []byte("b")})
	_ = s.Send(Message{Data: []byte{0xff}, Binary: true})
	if _, body := e.poll(sid); body != "4a\x1e4b\x1eb/w==" {
		t.Fatalf("poll %q", body)
	}
	// A pending GET is answered as soon as something comes.
	done := make(chan string)
	go func() { _, body := e.poll(sid); done <- body }()
	time.Sleep(50 * time.Millisecond)
	_ = s.Send(Message{Data: []byte("late")})
	if body := <-done; body != "4late" {
		t.Fatalf("pending poll %q", body)
	}
}

func TestPollingHeartbeat(t *testing.T) {
	e := newEnv(t, Options{PingInterval: 50 * time.Millisecond, PingTimeout: 200 * time.Millisecond})
	sid := e.handshake()
	for i := 0; i < 3; i++ {
		if _, body := e.poll(sid); body != "2" {
			t.Fatalf("poll %d: %q", i, body)
		}
		if status, _ := e.post(sid, "3"); status != 200 {
			t.Fatalf("pong: %d", status)
		}
	}
	// No pong now: the session times out.
	if _, body := e.poll(sid); body != "2" {
		t.Fatalf("last ping %q", body)
	}
	ev := e.rec.next(t, "close")
	if ev.reason != ReasonPingTimeout {
		t.Fatalf("close %+v", ev)
	}
	if status, _ := e.poll(sid); status != 400 {
		t.Fatalf("poll after timeout: %d", status)
	}
}

// A request past the pong deadline finds the session timed out even when the timeout timer
// has not run (on a loaded machine timers run late).
func TestPollingPastDeadlineWithLateTimer(t *testing.T) {
	e := newEnv(t, Options{PingInterval: 50 * time.Millisecond, PingTimeout: 100 * time.Millisecond})
	sid := e.handshake()
	if _, body := e.poll(sid); body != "2" {
		t.Fatalf("poll %q", body)
	}
	s := e.rec.session(sid)
	s.mu.Lock()
	s.timeoutTimer.Stop() // as if it were late
	deadline := s.deadline
	s.mu.Unlock()
	time.Sleep(time.Until(deadline) + 10*time.Millisecond)
	if status, _ := e.poll(sid); status != 400 {
		t.Fatalf("poll past the deadline: %d", status)
	}
	if ev := e.rec.next(t, "close"); ev.reason != ReasonPingTimeout {
		t.Fatalf("close %+v", ev)
	}
}

func TestPollingClientClose(t *testing.T) {
	e := newEnv(t, Options{})
	sid := e.handshake()
	got := make(chan string)
	go func() { _, body := e.poll(sid); got <- body }()
	time.Sleep(50 * time.Millisecond)
	e.post(sid, "1")
	if body := <-got; body != "6" {
		t.Fatalf("pending poll got %q", body)
	}
	if ev := e.rec.next(t, "close"); ev.reason != ReasonTransportClose {
		t.Fatalf("close %+v", ev)
	}
}

func TestPollingDuplicateGet(t *testing.T) {
	e := newEnv(t, Options{})
	sid := e.handshake()
	got := make(chan string)
	go func() { _, body := e.poll(sid); got <- body }()
	time.Sleep(50 * time.Millisecond)
	if status, _ := e.poll(sid); status != 400 {
		t.Fatalf("second poll: %d", status)
	}
	if body := <-got; body != "1" {
		t.Fatalf("first poll got %q", body)
	}
	if ev := e.rec.next(t, "close"); ev.reason != ReasonTransportError {
		t.Fatalf("close %+v", ev)
	}
}

func TestPollingAbortedGetClosesSession(t *testing.T) {
	e := newEnv(t, Options{})
	sid := e.handshake()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.url+"?EIO=4&transport=polling&sid="+sid, nil)
	errc := make(chan error)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	<-errc
	if ev := e.rec.next(t, "close"); ev.reason != ReasonTransportClose {
		t.Fatalf("close %+v", ev)
	}
}

func TestPollingParseError(t *testing.T) {
	e := newEnv(t, Options{})
	sid := e.handshake()
	if status, _ := e.post(sid, "4ok\x1eabc\x1e4never"); status != 400 {
		t.Fatalf("post: %d", status)
	}
	if ev := e.rec.next(t, "message"); ev.data != "ok" {
		t.Fatalf("first message %+v", ev)
	}
	if ev := e.rec.next(t, "close"); ev.reason != ReasonParseError {
		t.Fatalf("close %+v", ev)
	}
	if status, _ := e.poll(sid); status != 400 {
		t.Fatalf("poll: %d", status)
	}
}

func TestPollingMaxPayload(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		e := newEnv(t, Options{MaxPayload: 100})
		sid := e.handshake()
		body := io.Reader(strings.NewReader("4" + strings.Repeat("x", 200)))
		if chunked {
			body = io.MultiReader(body) // no length known: sent chunked
		}
		status, _, _ := e.do("POST", "EIO=4&transport=polling&sid="+sid, body)
		if status != http.StatusRequestEntityTooLarge {
			t.Fatalf("chunked=%v: status %d", chunked, status)
		}
		if ev := e.rec.next(t, "close"); ev.reason != ReasonTransportError {
			t.Fatalf("close %+v", ev)
		}
		// Exactly at the limit is fine on a new session.
		sid = e.handshake()
		if status, _ := e.post(sid, "4"+strings.Repeat("x", 99)); status != 200 {
			t.Fatalf("at the limit: %d", status)
		}
	}
}

func TestSessionCloseDrainsOnPolling(t *testing.T) {
	e := newEnv(t, Options{})
	sid := e.handshake()
	s := e.rec.session(sid)
	_ = s.Send(Message{Data: []byte("bye")})
	s.Close()
	if err := s.Send(Message{Data: []byte("no")}); err != ErrClosed {
		t.Fatalf("Send after Close: %v", err)
	}
	// What was queued comes first, the close packet in the next response (as Node): a client
	// reading both in one payload would handle the close before the message.
	if _, body := e.poll(sid); body != "4bye" {
		t.Fatalf("poll %q", body)
	}
	if _, body := e.poll(sid); body != "1" {
		t.Fatalf("second poll %q", body)
	}
	if ev := e.rec.next(t, "close"); ev.reason != ReasonForcedClose {
		t.Fatalf("close %+v", ev)
	}
	if status, _ := e.poll(sid); status != 400 {
		t.Fatalf("poll after close: %d", status)
	}
}

func TestSlowClient(t *testing.T) {
	e := newEnv(t, Options{MaxPayload: 100, SendQueueBytes: 1000})
	sid := e.handshake()
	s := e.rec.session(sid)
	msg := Message{Data: []byte(strings.Repeat("z", 99))}
	var err error
	for i := 0; i < 20 && err == nil; i++ {
		err = s.Send(msg)
	}
	if err != ErrClosed {
		t.Fatalf("Send never failed: %v", err)
	}
	if ev := e.rec.next(t, "close"); ev.reason != ReasonSlowClient {
		t.Fatalf("close %+v", ev)
	}
	if e.srv.SessionCount() != 0 {
		t.Fatalf("session still counted")
	}
}

func TestSendVolatile(t *testing.T) {
	e := newEnv(t, Options{})
	sid := e.handshake()
	s := e.rec.session(sid)
	if s.SendVolatile(Message{Data: []byte("dropped")}) {
		t.Fatal("volatile queued without a pending poll")
	}
	got := make(chan string)
	go func() { _, body := e.poll(sid); got <- body }()
	deadline := time.Now().Add(2 * time.Second)
	for !s.SendVolatile(Message{Data: []byte("v")}) {
		if time.Now().After(deadline) {
			t.Fatal("volatile never queued")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if body := <-got; body != "4v" {
		t.Fatalf("poll %q", body)
	}
}

// TestPollingCloseRacingGet: the client POSTs its close packet and sends a GET at once; when
// the POST wins, the GET still gets its noop, and only the one after it is refused.
func TestPollingCloseRacingGet(t *testing.T) {
	e := newEnv(t, Options{})
	sid := e.handshake()
	e.post(sid, "1")
	if ev := e.rec.next(t, "close"); ev.reason != ReasonTransportClose {
		t.Fatalf("close %+v", ev)
	}
	if e.srv.SessionCount() != 0 {
		t.Fatalf("count %d", e.srv.SessionCount())
	}
	if status, _ := e.post(sid, "4x"); status != 400 {
		t.Fatalf("post after close: %d", status)
	}
	if status, body := e.poll(sid); status != 200 || body != "6" {
		t.Fatalf("racing poll: %d %q", status, body)
	}
	if status, _ := e.poll(sid); status != 400 {
		t.Fatalf("next poll: %d", status)
	}
}

func TestPollingCapsPacketsPerResponse(t *testing.T) {
	e := newEnv(t, Options{})
	sid := e.handshake()
	s := e.rec.session(sid)
	for i := 0; i < 40; i++ {
		_ = s.Send(Message{Data: []byte{byte('a' + i%26)}})
	}
	s.Close()
	var all []string
	for len(all) == 0 || all[len(all)-1] != "1" {
		status, body := e.poll(sid)
		if status != 200 {
			t.Fatalf("poll: %d after %d packets", status, len(all))
		}
		parts := strings.Split(body, "\x1e")
		if len(parts) > maxPollPackets {
			t.Fatalf("%d packets in one response", len(parts))
		}
		all = append(all, parts...)
	}
	if len(all) != 41 {
		t.Fatalf("got %d packets", len(all))
	}
	if ev := e.rec.next(t, "close"); ev.reason != ReasonForcedClose {
		t.Fatalf("close %+v", ev)
	}
}
