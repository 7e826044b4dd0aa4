package engineio

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// event is what the recording handler saw.
type event struct {
	kind   string // "open", "message", "close"
	sid    string
	data   string
	binary bool
	reason Reason
	err    error
}

// recorder is a Handler that records every event and can echo messages.
type recorder struct {
	echo   bool
	onOpen func(s *Session)
	events chan event

	quiet bool // no message events (benchmarks)

	mu       sync.Mutex
	sessions map[string]*Session
	inCall   map[string]bool
	t        testing.TB
}

func newRecorder(t testing.TB) *recorder {
	return &recorder{events: make(chan event, 1024), sessions: map[string]*Session{}, inCall: map[string]bool{}, t: t}
}

func (r *recorder) Open(s *Session) SessionHandler {
	r.mu.Lock()
	r.sessions[s.ID()] = s
	r.mu.Unlock()
	if r.onOpen != nil {
		r.onOpen(s)
	}
	r.emit(event{kind: "open", sid: s.ID()})
	return &recSession{r: r, s: s}
}

// emit records ev; a quiet recorder (benchmarks, fuzzing) drops what nobody reads.
func (r *recorder) emit(ev event) {
	if !r.quiet {
		r.events <- ev
		return
	}
	select {
	case r.events <- ev:
	default:
	}
}

func (r *recorder) session(sid string) *Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sessions[sid]
}

type recSession struct {
	r      *recorder
	s      *Session
	mu     sync.Mutex
	busy   bool
	closed bool
}

func (h *recSession) enter() {
	h.mu.Lock()
	if h.busy {
		h.r.t.Errorf("session %s: concurrent handler calls", h.s.ID())
	}
	if h.closed {
		h.r.t.Errorf("session %s: call after OnClose", h.s.ID())
	}
	h.busy = true
	h.mu.Unlock()
}

func (h *recSession) leave() {
	h.mu.Lock()
	h.busy = false
	h.mu.Unlock()
}

func (h *recSession) OnMessage(data []byte, binary bool) {
	h.enter()
	defer h.leave()
	h.r.emit(event{kind: "message", sid: h.s.ID(), data: string(data), binary: binary})
	if h.r.echo {
		_ = h.s.Send(Message{Data: append([]byte(nil), data...), Binary: binary})
	}
}

func (h *recSession) OnClose(reason Reason, err error) {
	h.enter()
	h.mu.Lock()
	h.closed = true
	h.busy = false
	h.mu.Unlock()
	h.r.emit(event{kind: "close", sid: h.s.ID(), reason: reason, err: err})
}

// next returns the next event of kind (others are skipped), failing after a deadline.
func (r *recorder) next(t testing.TB, kind string) event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-r.events:
			if ev.kind == kind {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event", kind)
		}
	}
}

// env is a server under test on an httptest server.
type env struct {
	t   testing.TB
	rec *recorder
	srv *Server
	hs  *httptest.Server
	url string
}

func newEnv(t *testing.T, opts Options, setup ...func(*recorder)) *env {
	t.Helper()
	return newEnvTB(t, opts, setup...)
}

func newEnvTB(t testing.TB, opts Options, setup ...func(*recorder)) *env {
	t.Helper()
	rec := newRecorder(t)
	for _, f := range setup {
		f(rec)
	}
	opts.Handler = rec
	srv := NewServer(opts)
	hs := httptest.NewServer(srv)
	e := &env{t: t, rec: rec, srv: srv, hs: hs, url: hs.URL + srv.opts.Path}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("Server.Close: %v", err)
		}
		hs.CloseClientConnections()
		hs.Close()
	})
	return e
}

// do sends a request and returns the status and body.
func (e *env) do(method, query string, body io.Reader, hdr ...string) (int, string, http.Header) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+"?"+query, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

type openInfo struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int      `json:"pingInterval"`
	PingTimeout  int      `json:"pingTimeout"`
	MaxPayload   int      `json:"maxPayload"`
}

func parseOpen(t testing.TB, p string) openInfo {
	t.Helper()
	if !strings.HasPrefix(p, "0") {
		t.Fatalf("not an open packet: %q", p)
	}
	var o openInfo
	if err := json.Unmarshal([]byte(p[1:]), &o); err != nil {
		t.Fatalf("open packet %q: %v", p, err)
	}
	return o
}

// handshake opens a polling session and returns its sid.
func (e *env) handshake() string {
	e.t.Helper()
	status, body, _ := e.do("GET", "EIO=4&transport=polling", nil)
	if status != 200 {
		e.t.Fatalf("handshake: %d %s", status, body)
	}
	first, _, _ := strings.Cut(body, "\x1e")
	sid := parseOpen(e.t, first).SID
	e.rec.next(e.t, "open")
	return sid
}

func (e *env) poll(sid string) (int, string) {
	e.t.Helper()
	status, body, _ := e.do("GET", "EIO=4&transport=polling&sid="+sid, nil)
	return status, body
}

func (e *env) post(sid, payload string) (int, string) {
	e.t.Helper()
	status, body, _ := e.do("POST", "EIO=4&transport=polling&sid="+sid, strings.NewReader(payload))
	return status, body
}

// dial opens a WebSocket with the query.
func (e *env) dial(query string) *websocket.Conn {
	e.t.Helper()
	return e.dialTB(e.t, query)
}

func (e *env) dialTB(t testing.TB, query string) *websocket.Conn {
	t.Helper()
	u := "ws" + strings.TrimPrefix(e.url, "http") + "?" + query
	c, res, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", u, err, res)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func readWS(t *testing.T, c *websocket.Conn) (int, string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return typ, string(b)
}

func writeWS(t *testing.T, c *websocket.Conn, typ int, s string) {
	t.Helper()
	if err := c.WriteMessage(typ, []byte(s)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// expectWSClosed reads until the connection ends, failing if it does not in time.
func expectWSClosed(t *testing.T, c *websocket.Conn) []string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got []string
	for {
		_, b, err := c.ReadMessage()
		if err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				t.Fatalf("connection not closed; got %q", got)
			}
			return got
		}
		got = append(got, string(b))
	}
}

func newHTTPTest(t *testing.T, h http.Handler) *httptest.Server {
	hs := httptest.NewServer(h)
	t.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
	})
	return hs
}
