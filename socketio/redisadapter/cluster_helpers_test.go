package redisadapter_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/redis/go-redis/v9"

	"github.com/parley-go/parley/internal/parser/sio"
)

// redisProc is a private redis-server that a test may stop and start again on its port.
type redisProc struct {
	t    testing.TB
	port int
	cmd  *exec.Cmd
	addr string
}

func startRedisServer(t testing.TB) *redisProc {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not on PATH (make redis-server)")
	}
	r := &redisProc{t: t, port: freeTestPort(t)}
	r.addr = fmt.Sprintf("127.0.0.1:%d", r.port)
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *redisProc) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: r.addr})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on %s does not answer", r.addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends the redis-server this test started (by its PID).
func (r *redisProc) stop() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = r.cmd.Process.Kill()
		<-done
	}
	r.cmd = nil
}

func (r *redisProc) client(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: r.addr, DialTimeout: time.Second, MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func freeTestPort(t testing.TB) int {
	for range 200 {
		port := 43000 + rand.IntN(1000)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			_ = l.Close()
			return port
		}
	}
	t.Fatal("no free port in 43000-43999")
	return 0
}

// serve runs h on a free port of 127.0.0.1 until the test ends.
func serve(t testing.TB, h http.Handler) string {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", freeTestPort(t)))
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return ln.Addr().String()
}

// event is what a test client received.
type event struct {
	Name string
	Args []any // binary as []byte
}

// tclient is a minimal Socket.IO v5 client over WebSocket for one namespace. It answers
// events that ask for an acknowledgement with {"client": name, "event": ev}, unless silent.
type tclient struct {
	t      testing.TB
	name   string
	nsp    string
	ws     *websocket.Conn
	wmu    sync.Mutex
	ID     string
	PID    string
	silent bool

	mu     sync.Mutex
	events []event
	acks   map[int64]chan []any
	nextID int64
	closed chan struct{}
}

// dial connects a client to nsp of the server at addr with auth.
func dial(t testing.TB, addr, nsp, name string, auth map[string]any) *tclient {
	t.Helper()
	c, err := tryDial(t, addr, nsp, name, auth)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func tryDial(t testing.TB, addr, nsp, name string, auth map[string]any) (*tclient, error) {
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/socket.io/?EIO=4&transport=websocket&client="+name, nil)
	if err != nil {
		return nil, err
	}
	c := &tclient{t: t, name: name, nsp: nsp, ws: ws, acks: map[int64]chan []any{}, closed: make(chan struct{})}
	t.Cleanup(c.close)
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, msg, err := ws.ReadMessage(); err != nil || msg[0] != '0' {
		return nil, fmt.Errorf("open: %q %v", msg, err)
	}
	if auth == nil {
		auth = map[string]any{}
	}
	a, _ := json.Marshal(auth)
	c.write(websocket.TextMessage, []byte("40"+c.prefix()+string(a)))
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			return nil, err
		}
		if bytes.HasPrefix(msg, []byte("44")) {
			return nil, fmt.Errorf("connect error: %s", msg)
		}
		if bytes.HasPrefix(msg, []byte("40")) {
			var ok struct{ SID, PID string }
			_ = json.Unmarshal(msg[bytes.IndexByte(msg, '{'):], &ok)
			c.ID, c.PID = ok.SID, ok.PID
			break
		}
	}
	_ = ws.SetReadDeadline(time.Time{})
	go c.read()
	return c, nil
}

func (c *tclient) prefix() string {
	if c.nsp == "/" {
		return ""
	}
	return c.nsp + ","
}

func (c *tclient) write(kind int, b []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.WriteMessage(kind, b)
}

func (c *tclient) close() {
	_ = c.ws.Close()
	<-c.closed
}

func (c *tclient) read() {
	defer close(c.closed)
	var dec sio.Decoder
	for {
		kind, msg, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if kind == websocket.TextMessage {
			if string(msg) == "2" {
				c.write(websocket.TextMessage, []byte("3"))
				continue
			}
			if msg[0] != '4' {
				continue
			}
			msg = msg[1:]
		}
		p, bin, err := dec.Add(msg, kind == websocket.BinaryMessage)
		if err != nil || p == nil {
			continue
		}
		args := make([]any, len(p.Args))
		for i, raw := range p.Args {
			var refs []sio.Placeholder
			var atts [][]byte
			if bin != nil {
				refs, atts = bin.Refs[i], bin.Attachments
			}
			_ = sio.Unmarshal(raw, refs, atts, &args[i])
		}
		switch p.Type {
		case sio.Event, sio.BinaryEvent:
			name, _ := args[0].(string)
			c.mu.Lock()
			c.events = append(c.events, event{Name: name, Args: args[1:]})
			c.mu.Unlock()
			if p.ID >= 0 && !c.silent {
				reply, _ := json.Marshal([]any{map[string]any{"client": c.name, "event": name}})
				c.write(websocket.TextMessage, []byte("43"+c.prefix()+strconv.FormatInt(p.ID, 10)+string(reply)))
			}
		case sio.Ack, sio.BinaryAck:
			c.mu.Lock()
			ch := c.acks[p.ID]
			delete(c.acks, p.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- args
			}
		}
	}
}

// emitAck sends an event (binary arguments as attachments) and waits for its ack.
func (c *tclient) emitAck(ev string, args ...any) []any {
	c.t.Helper()
	var atts [][]byte
	payload, _ := json.Marshal(placeholders(append([]any{ev}, args...), &atts))
	c.mu.Lock()
	id := c.nextID
	c.nextID++
	ch := make(chan []any, 1)
	c.acks[id] = ch
	c.mu.Unlock()
	head := "2"
	if len(atts) > 0 {
		head = "5" + strconv.Itoa(len(atts)) + "-"
	}
	c.write(websocket.TextMessage, []byte("4"+head+c.prefix()+strconv.FormatInt(id, 10)+string(payload)))
	for _, a := range atts {
		c.write(websocket.BinaryMessage, a)
	}
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		c.t.Fatalf("%s: no ack for %s", c.name, ev)
		return nil
	}
}

func placeholders(v any, atts *[][]byte) any {
	switch x := v.(type) {
	case []byte:
		*atts = append(*atts, x)
		return map[string]any{"_placeholder": true, "num": len(*atts) - 1}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = placeholders(e, atts)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = placeholders(e, atts)
		}
		return out
	}
	return v
}

func (c *tclient) received(name string) []event {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []event
	for _, e := range c.events {
		if e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// waitFor waits for the first event called name.
func (c *tclient) waitFor(name string, d time.Duration) (event, bool) {
	deadline := time.Now().Add(d)
	for {
		if got := c.received(name); len(got) > 0 {
			return got[0], true
		}
		if time.Now().After(deadline) {
			return event{}, false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// norm turns a value into comparable JSON text: binary becomes {"$binary": base64},
// numbers compare by value.
func norm(v any) string {
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case []byte:
			return map[string]any{"$binary": base64.StdEncoding.EncodeToString(x)}
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = walk(e)
			}
			return out
		case map[string]any:
			out := make(map[string]any, len(x))
			for k, e := range x {
				out[k] = walk(e)
			}
			return out
		}
		return v
	}
	b, _ := json.Marshal(walk(v))
	var back any
	_ = json.Unmarshal(b, &back)
	b, _ = json.Marshal(back)
	return string(b)
}

// until polls cond every 20 ms for at most d.
func until(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// names returns the sorted set of strings.
func sortedJoin(s []string) string {
	cp := append([]string(nil), s...)
	for i := range cp {
		for j := i + 1; j < len(cp); j++ {
			if cp[j] < cp[i] {
				cp[i], cp[j] = cp[j], cp[i]
			}
		}
	}
	return strings.Join(cp, ",")
}
