package engineio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// rawWS is a hand-driven WebSocket client: it writes exactly the frames a test gives it.
type rawWS struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, e *env, query string) *rawWS {
	t.Helper()
	u, err := url.Parse(e.url)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	req := "GET " + u.Path + "?" + query + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 101 || res.Header.Get("Sec-Websocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("handshake: %d %v", res.StatusCode, res.Header)
	}
	return &rawWS{t: t, c: c, br: br}
}

// frame builds a client frame; masked unless told otherwise.
func clientFrame(b0 byte, payload string, masked bool) []byte {
	var f []byte
	n := len(payload)
	b1 := byte(0)
	if masked {
		b1 = bitMask
	}
	switch {
	case n <= 125:
		f = append(f, b0, b1|byte(n))
	case n <= 0xffff:
		f = append(f, b0, b1|126, byte(n>>8), byte(n))
	default:
		f = append(f, b0, b1|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	p := []byte(payload)
	if masked {
		key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
		f = append(f, key[:]...)
		maskBytes(key, 0, p)
	}
	return append(f, p...)
}

func (r *rawWS) send(frames ...[]byte) {
	r.t.Helper()
	if _, err := r.c.Write(bytes.Join(frames, nil)); err != nil {
		r.t.Fatal(err)
	}
}

// next reads one server frame: its first byte and payload.
func (r *rawWS) next() (byte, string) {
	r.t.Helper()
	_ = r.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var h [2]byte
	if _, err := io.ReadFull(r.br, h[:]); err != nil {
		r.t.Fatalf("read frame: %v", err)
	}
	if h[1]&bitMask != 0 {
		r.t.Fatal("server frame masked")
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		io.ReadFull(r.br, l[:])
		n = int(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		io.ReadFull(r.br, l[:])
		n = int(binary.BigEndian.Uint64(l[:]))
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r.br, p); err != nil {
		r.t.Fatalf("read payload: %v", err)
	}
	return h[0], string(p)
}

func TestWebSocketFraming(t *testing.T) {
	e := newEnv(t, Options{MaxPayload: 1000}, func(r *recorder) { r.echo = true })
	r := dialRaw(t, e, "EIO=4&transport=websocket")
	if b0, open := r.next(); b0 != bitFin|opText || !strings.HasPrefix(open, "0{") {
		t.Fatalf("open %x %q", b0, open)
	}
	// A fragmented message with a ping between its fragments, a binary message whose
	// length takes the 16-bit form, and two frames in one write.
	big := strings.Repeat("x", 300)
	r.send(clientFrame(opText, "4he", true), clientFrame(bitFin|opPing, "hi", true),
		clientFrame(opContinuation, "ll", true), clientFrame(bitFin|opContinuation, "o", true),
		clientFrame(bitFin|opBinary, big, true))
	if b0, p := r.next(); b0 != bitFin|opPong || p != "hi" {
		t.Fatalf("pong %x %q", b0, p)
	}
	if b0, p := r.next(); b0 != bitFin|opText || p != "4hello" {
		t.Fatalf("echo %x %q", b0, p)
	}
	if b0, p := r.next(); b0 != bitFin|opBinary || p != big {
		t.Fatalf("binary echo %x %d bytes", b0, len(p))
	}
	// The peer's close frame is answered with its status.
	r.send(clientFrame(bitFin|opClose, "\x03\xe8", true))
	if b0, p := r.next(); b0 != bitFin|opClose || p != "\x03\xe8" {
		t.Fatalf("close %x %q", b0, p)
	}
	if ev := e.rec.next(t, "close"); ev.reason != ReasonTransportClose {
		t.Fatalf("close %+v", ev)
	}
}

func TestWebSocketFramingErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frame  []byte
		status string
		reason Reason
	}{
		{"unmasked", clientFrame(bitFin|opText, "4x", false), "\x03\xea", ReasonTransportClose},
		{"reserved bit", clientFrame(bitFin|bitRsv1|opText, "4x", true), "\x03\xea", ReasonTransportClose},
		{"unknown opcode", clientFrame(bitFin|0x3, "4x", true), "\x03\xea", ReasonTransportClose},
		{"continuation first", clientFrame(bitFin|opContinuation, "4x", true), "\x03\xea", ReasonTransportClose},
		{"fragmented ping", clientFrame(opPing, "", true), "\x03\xea", ReasonTransportClose},
		{"too big", clientFrame(bitFin|opText, "4"+strings.Repeat("y", 1001), true), "\x03\xf1", ReasonTransportError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Options{MaxPayload: 1000})
			r := dialRaw(t, e, "EIO=4&transport=websocket")
			r.next()
			r.send(tc.frame)
			if b0, p := r.next(); b0 != bitFin|opClose || p != tc.status {
				t.Fatalf("got %x %q, want a close frame %q", b0, p, tc.status)
			}
			if ev := e.rec.next(t, "close"); ev.reason != tc.reason {
				t.Fatalf("close %+v", ev)
			}
		})
	}
}

// An idle connection is parked (no reader goroutine, no read buffer) and woken by its next
// frame, as often as it goes quiet.
func TestWebSocketParksWhenIdle(t *testing.T) {
	if !pollerSupported {
		t.Skip("no parking on this system")
	}
	e := newEnv(t, Options{}, func(r *recorder) { r.echo = true })
	c := e.dial("EIO=4&transport=websocket")
	readWS(t, c)
	sid := e.rec.next(t, "open").sid
	s := e.rec.session(sid)
	for i := 0; i < 3; i++ {
		time.Sleep(3 * wsParkAfter)
		if parked := e.srv.pol.parked(); parked != 1 {
			t.Fatalf("round %d: %d connections parked, want 1", i, parked)
		}
		writeWS(t, c, websocket.TextMessage, "4ping")
		if _, m := readWS(t, c); m != "4ping" {
			t.Fatalf("echo %q", m)
		}
	}
	s.Close()
	expectWSClosed(t, c)
}

// wsFakeConn feeds a wsConn bytes and discards what it writes.
type wsFakeConn struct {
	net.Conn
	r io.Reader
}

func (f wsFakeConn) Read(p []byte) (int, error)       { return f.r.Read(p) }
func (f wsFakeConn) Write(p []byte) (int, error)      { return len(p), nil }
func (f wsFakeConn) Close() error                     { return nil }
func (f wsFakeConn) SetReadDeadline(time.Time) error  { return nil }
func (f wsFakeConn) SetWriteDeadline(time.Time) error { return nil }

func FuzzWebSocketFrames(f *testing.F) {
	f.Add(false, clientFrame(bitFin|opText, "4hello", true))
	f.Add(false, append(clientFrame(opText, "4he", true), clientFrame(bitFin|opContinuation, "llo", true)...))
	f.Add(false, clientFrame(bitFin|opPing, "x", true))
	f.Add(false, clientFrame(bitFin|opClose, "\x03\xe8", true))
	f.Add(false, clientFrame(bitFin|opBinary, strings.Repeat("z", 300), true))
	f.Add(false, clientFrame(bitFin|opBinary, strings.Repeat("z", 70000), true)[:40]) // 64-bit length, cut short
	f.Add(true, clientFrame(bitFin|bitRsv1|opText, "\xf2\x00\x00", true))
	f.Add(true, clientFrame(bitFin|bitRsv1|opText, "\x32\x01\x00", true))
	f.Fuzz(func(t *testing.T, deflate bool, in []byte) {
		w := &wsConn{conn: wsFakeConn{r: bytes.NewReader(in)}, maxMsg: 100000, deflate: deflate}
		for i := 0; i < 100; i++ {
			data, _, buf, err := w.read(true)
			if err != nil {
				break
			}
			if int64(len(data)) > w.maxMsg {
				t.Fatalf("message of %d bytes", len(data))
			}
			putBuf(buf)
		}
		w.releaseRead()
	})
}

func TestMaskBytes(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	for n := 0; n < 40; n++ {
		for pos := 0; pos < 4; pos++ {
			b := bytes.Repeat([]byte{0xaa}, n)
			maskBytes(key, pos, b)
			for i, c := range b {
				if c != 0xaa^key[(pos+i)&3] {
					t.Fatalf("n=%d pos=%d byte %d", n, pos, i)
				}
			}
		}
	}
}

// Connections parking, waking and closing all at once (for the race detector): every
// message is echoed, and sessions closed while parked end.
func TestWebSocketParkWakeClose(t *testing.T) {
	e := newEnv(t, Options{}, func(r *recorder) { r.echo = true })
	const n = 30
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		c := e.dial("EIO=4&transport=websocket")
		readWS(t, c)
		sid := e.rec.next(t, "open").sid
		wg.Add(1)
		go func(i int, c *websocket.Conn, s *Session) {
			defer wg.Done()
			for j := 0; j < 4; j++ {
				time.Sleep(time.Duration(i%4) * wsParkAfter / 2)
				if err := c.WriteMessage(websocket.TextMessage, []byte("4m")); err != nil {
					t.Errorf("write: %v", err)
					return
				}
				_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, m, err := c.ReadMessage(); err != nil || string(m) != "4m" {
					t.Errorf("echo %q %v", m, err)
					return
				}
			}
			if i%2 == 0 {
				time.Sleep(2 * wsParkAfter)
				s.Close()
			} else {
				c.Close()
			}
		}(i, c, e.rec.session(sid))
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		e.rec.next(t, "close")
	}
}

// A direct write (Session.Send on an idle WebSocket) is not refused because of a write
// deadline that an earlier writer goroutine set and that has passed since.
func TestWebSocketDirectWriteAfterStaleDeadline(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.dial("EIO=4&transport=websocket")
	readWS(t, c)
	s := e.rec.session(e.rec.next(t, "open").sid)
	for i := 0; i < 3; i++ {
		s.mu.Lock()
		ws := s.ws
		s.mu.Unlock()
		_ = ws.conn.SetWriteDeadline(time.Now().Add(-time.Second))
		if err := s.Send(Message{Data: []byte("m")}); err != nil {
			t.Fatal(err)
		}
		if _, m := readWS(t, c); m != "4m" {
			t.Fatalf("got %q", m)
		}
	}
}

// Enqueue (the broadcast path: the server's flusher writes) and Send (the caller writes)
// mixed on several sessions from several goroutines: every session gets every message once,
// in the order it was given.
func TestWebSocketEnqueueKeepsOrder(t *testing.T) {
	e := newEnv(t, Options{})
	const conns, msgs = 4, 300
	clients := make([]*websocket.Conn, conns)
	sessions := make([]*Session, conns)
	for i := range clients {
		clients[i] = e.dial("EIO=4&transport=websocket")
		readWS(t, clients[i])
		sessions[i] = e.rec.session(e.rec.next(t, "open").sid)
	}
	go func() {
		for j := 0; j < msgs; j++ {
			for i, s := range sessions {
				m := Message{Data: []byte(strconv.Itoa(j))}
				var err error
				if (i+j)%3 == 0 {
					err = s.Send(m)
				} else {
					err = s.Enqueue(m)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()
	for i, c := range clients {
		for j := 0; j < msgs; j++ {
			if _, m := readWS(t, c); m != "4"+strconv.Itoa(j) {
				t.Fatalf("connection %d, message %d: got %q", i, j, m)
			}
		}
	}
}
