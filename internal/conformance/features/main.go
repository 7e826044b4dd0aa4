// Command features is the Socket.IO server the end-to-end tests of internal/e2e/socketio drive
// with the official socket.io-client: every feature of package socketio, reachable from a
// client through a small command protocol.
//
// It listens on -addr (default 127.0.0.1:$PORT, PORT defaulting to 0: a free port) and prints
// one JSON line per event on stdout: {"ev":"listening","addr":...} first, then "connection",
// "any" (OnAny), "outgoing" (OnAnyOutgoing), "error" (socket errors), "disconnecting" (with the
// rooms, still readable), "disconnect" (with the reason), and "closed" after a SIGTERM once
// Server.Close has returned.
//
// Namespaces: "/" and "/other" (open; "/" refuses a client whose auth has a "refuse" object,
// with its message and data), "/admin" (refused unless auth.token == "secret", with data
// {"code":"E_AUTH"}), and the dynamic namespaces ^/dyn-\d+$ (a parent middleware refuses
// "/dyn-13" and sets the socket's data to {"dyn": name}).
//
// Events on every namespace:
//
//	echo(...args)          the server emits "echo" back with the same arguments
//	echo-ack(...args, cb)  acknowledged with the same arguments
//	typed(order, cb)       decoded into a Go struct by socketio.Handle; acknowledged with
//	                       {"item", "qty", "total", "tags"}; a wrong type is reported as an
//	                       "error" event {"message"} (OnError)
//	describe(...args, cb)  acknowledged with the Go types the arguments decoded to
//	                       ("bytes:N" for binary), to prove binary arrives as []byte
//	forbidden(...)         dropped by a per-socket middleware, which reports an "error" event
//	control(cmd, ...args, cb)  runs a command (below) and acknowledges its result
//
// Commands (cmd is an object {"cmd": name, ...}); the selection fields rooms, except,
// broadcast (from this socket, excluding it), volatile, local, timeoutMs and nsp (another
// namespace) build a broadcast operator:
//
//	emit                 op.Emit(event, args...)
//	emitWithAck          op.Timeout(timeoutMs).EmitWithAck: {"answers": [[...]...], "error"}
//	socketEmitWithAck    socket (this one or id) .Timeout(timeoutMs).EmitWithAck: {"answer", "error"}
//	                     with "inHandler": waits inside this control handler (holding the
//	                     socket's later events) instead of on a goroutine of its own
//	socketEmitWithAckFunc  the same through EmitWithAckFunc
//	                     (socketEmitWithAck's result is also reported as an "ack-result"
//	                     event {"id", "answer", "error", "timeout", "disconnected"}, for when
//	                     the asking socket is gone)
//	fetchSockets         [{"id", "rooms", "data"}]
//	socketsJoin / socketsLeave  op.SocketsJoin(target...) / op.SocketsLeave(target...)
//	disconnectSockets    op.DisconnectSockets(close)
//	join / leave / rooms this socket's rooms
//	disconnect           socket.Disconnect(close), after the acknowledgement
//	emitReserved         emits the reserved event name through the socket, the namespace and
//	                     an operator: {"socket", "namespace", "operator"} error texts and
//	                     "reserved": all three were ErrReservedEvent
//	handshake            {"auth", "query", "headers", "address", "url", "xdomain"}
//	info                 {"id", "nsp", "rooms", "recovered", "transport", "data"}
//	setData              socket.SetData(data)
//
// Environment: RECOVERY=1 turns connection state recovery on; PING_INTERVAL_MS and
// PING_TIMEOUT_MS change the heartbeat; MAX_BUFFER sets MaxHTTPBufferSize. Engine.IO v3
// clients (socket.io-client 2.x) are accepted.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/parley-go/parley/socketio"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "features:", err)
		os.Exit(1)
	}
}

func envMs(name string) time.Duration {
	n, _ := strconv.Atoi(os.Getenv(name))
	return time.Duration(n) * time.Millisecond
}

func run() error {
	port := os.Getenv("PORT")
	if port == "" {
		port = "0"
	}
	addr := flag.String("addr", net.JoinHostPort("127.0.0.1", port), "listen address")
	flag.Parse()

	opts := &socketio.Options{
		PingInterval:   envMs("PING_INTERVAL_MS"),
		PingTimeout:    envMs("PING_TIMEOUT_MS"),
		ConnectTimeout: 5 * time.Second,
		AllowEIO3:      true,
		CORS:           &socketio.CORSOptions{Origins: []string{"*"}},
		Logger:         slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if n, err := strconv.ParseInt(os.Getenv("MAX_BUFFER"), 10, 64); err == nil && n > 0 {
		opts.MaxHTTPBufferSize = n
	}
	if os.Getenv("RECOVERY") == "1" {
		opts.ConnectionStateRecovery = &socketio.RecoveryOptions{
			MaxDisconnectionDuration: 30 * time.Second,
			SkipMiddlewares:          true,
		}
	}
	srv := socketio.NewServer(opts)
	f := &features{srv: srv}
	f.setup()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	report(map[string]any{"ev": "listening", "addr": ln.Addr().String(), "recovery": opts.ConnectionStateRecovery != nil})

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Close(sctx)
	report(map[string]any{"ev": "closed", "error": errString(err)})
	if herr := hs.Shutdown(sctx); herr != nil && !errors.Is(herr, http.ErrServerClosed) {
		err = errors.Join(err, herr)
	}
	return err
}

var outMu sync.Mutex

// report prints one JSON line on stdout.
func report(v map[string]any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]any{"ev": "report-error", "error": err.Error()})
	}
	outMu.Lock()
	os.Stdout.Write(append(b, '\n'))
	outMu.Unlock()
}

func errString(err error) any {
	if err == nil {
		return nil
	}
	return err.Error()
}

type features struct {
	srv *socketio.Server
}

// refusal is the "/" middleware's auth option.
type authPayload struct {
	Token  string `json:"token"`
	Refuse *struct {
		Message string `json:"message"`
		Data    any    `json:"data"`
	} `json:"refuse"`
}

func (f *features) setup() {
	main := f.srv.Of("/")
	main.Use(func(s *socketio.Socket) error {
		var a authPayload
		if err := s.Handshake().BindAuth(&a); err == nil && a.Refuse != nil {
			return socketio.NewConnectError(a.Refuse.Message, a.Refuse.Data)
		}
		return nil
	})
	main.OnConnection(f.onConnection)
	f.srv.Of("/other").OnConnection(f.onConnection)

	admin := f.srv.Of("/admin")
	admin.Use(func(s *socketio.Socket) error {
		var a authPayload
		if err := s.Handshake().BindAuth(&a); err != nil || a.Token != "secret" {
			return socketio.NewConnectError("not authorized", map[string]any{"code": "E_AUTH"})
		}
		return nil
	})
	admin.OnConnection(f.onConnection)

	dyn := f.srv.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`))
	dyn.Use(func(s *socketio.Socket) error {
		name := s.Namespace().Name()
		if name == "/dyn-13" {
			return socketio.NewConnectError("unlucky namespace", map[string]any{"nsp": name})
		}
		s.SetData(map[string]any{"dyn": name})
		return nil
	})
	dyn.OnConnection(f.onConnection)
	dyn.OnConnection(func(s *socketio.Socket) {
		_ = s.Emit("dyn-welcome", map[string]any{"nsp": s.Namespace().Name()})
	})
}

// order is the typed event's argument.
type order struct {
	Item  string   `json:"item"`
	Qty   int      `json:"qty"`
	Price float64  `json:"price"`
	Tags  []string `json:"tags"`
	Note  []byte   `json:"note,omitempty"`
}

func (f *features) onConnection(s *socketio.Socket) {
	nsp := s.Namespace().Name()
	id := s.ID()
	report(map[string]any{"ev": "connection", "nsp": nsp, "id": id, "recovered": s.Recovered(), "transport": s.Transport()})

	s.Use(func(e *socketio.Event) error {
		if e.Name() == "forbidden" {
			return fmt.Errorf("event %q is not allowed", e.Name())
		}
		return nil
	})
	s.OnError(func(err error) {
		report(map[string]any{"ev": "error", "nsp": nsp, "id": id, "error": err.Error()})
		_ = s.Emit("error", map[string]any{"message": err.Error()})
	})
	s.OnAny(func(e *socketio.Event) {
		report(map[string]any{"ev": "any", "nsp": nsp, "id": id, "event": e.Name(), "args": e.Len()})
	})
	s.OnAnyOutgoing(func(event string, args []any) {
		report(map[string]any{"ev": "outgoing", "nsp": nsp, "id": id, "event": event, "args": len(args)})
	})
	s.OnDisconnecting(func(reason socketio.Reason) {
		report(map[string]any{"ev": "disconnecting", "nsp": nsp, "id": id, "reason": reason, "rooms": s.Rooms()})
	})
	s.OnDisconnect(func(reason socketio.Reason) {
		report(map[string]any{"ev": "disconnect", "nsp": nsp, "id": id, "reason": reason})
	})

	s.On("echo", func(e *socketio.Event) {
		if vals, err := e.Values(); err == nil {
			_ = s.Emit("echo", vals...)
		}
	})
	s.On("echo-ack", func(e *socketio.Event) {
		if vals, err := e.Values(); err == nil {
			_ = e.Ack(vals...)
		}
	})
	s.On("typed", socketio.Handle(func(e *socketio.Event, o order) {
		_ = e.Ack(map[string]any{
			"item": o.Item, "qty": o.Qty, "total": float64(o.Qty) * o.Price, "tags": o.Tags,
			"noteBytes": len(o.Note),
		})
	}))
	s.On("describe", func(e *socketio.Event) {
		vals, err := e.Values()
		if err != nil {
			_ = e.Ack(map[string]any{"error": err.Error()})
			return
		}
		out := make([]any, len(vals))
		for i, v := range vals {
			out[i] = describe(v)
		}
		_ = e.Ack(out)
	})
	s.On("forbidden", func(e *socketio.Event) {
		report(map[string]any{"ev": "forbidden-handled", "nsp": nsp, "id": id}) // must never happen
	})
	s.On("control", func(e *socketio.Event) { f.control(s, e) })
}

// describe returns the Go types of a decoded value, with "bytes:N" for binary.
func describe(v any) any {
	switch x := v.(type) {
	case []byte:
		return "bytes:" + strconv.Itoa(len(x))
	case []any:
		out := make([]any, len(x))
		for i, y := range x {
			out[i] = describe(y)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, y := range x {
			out[k] = describe(y)
		}
		return out
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// command is the first argument of a "control" event.
type command struct {
	Cmd       string   `json:"cmd"`
	Nsp       string   `json:"nsp"`
	Rooms     []string `json:"rooms"`
	Except    []string `json:"except"`
	Broadcast bool     `json:"broadcast"`
	Volatile  bool     `json:"volatile"`
	Local     bool     `json:"local"`
	TimeoutMs int      `json:"timeoutMs"`
	Event     string   `json:"event"`
	Target    []string `json:"target"`
	Close     bool     `json:"close"`
	ID        string   `json:"id"`
	Data      any      `json:"data"`
	InHandler bool     `json:"inHandler"`
}

func (c *command) timeout() time.Duration { return time.Duration(c.TimeoutMs) * time.Millisecond }

// operator builds the broadcast operator the command selects.
func (f *features) operator(s *socketio.Socket, c *command) socketio.BroadcastOperator {
	var op socketio.BroadcastOperator
	switch {
	case c.Broadcast:
		op = s.Broadcast().To(c.Rooms...)
	case c.Nsp != "":
		op = f.srv.Of(c.Nsp).To(c.Rooms...)
	default:
		op = s.Namespace().To(c.Rooms...)
	}
	if len(c.Except) > 0 {
		op = op.Except(c.Except...)
	}
	if c.Volatile {
		op = op.Volatile()
	}
	if c.Local {
		op = op.Local()
	}
	if c.TimeoutMs > 0 {
		op = op.Timeout(c.timeout())
	}
	return op
}

func valuesOf(list []socketio.Args) []any {
	out := make([]any, 0, len(list))
	for _, a := range list {
		v, err := a.Values()
		if err != nil {
			out = append(out, map[string]any{"decodeError": err.Error()})
			continue
		}
		out = append(out, v)
	}
	return out
}

func (f *features) control(s *socketio.Socket, e *socketio.Event) {
	var c command
	if err := e.Decode(0, &c); err != nil {
		_ = e.Ack(map[string]any{"error": "bad command: " + err.Error()})
		return
	}
	vals, err := e.Values()
	if err != nil {
		_ = e.Ack(map[string]any{"error": "bad arguments: " + err.Error()})
		return
	}
	args := vals[1:]
	ok := map[string]any{"ok": true}
	switch c.Cmd {
	case "emit":
		err := f.operator(s, &c).Emit(c.Event, args...)
		_ = e.Ack(map[string]any{"ok": err == nil, "error": errString(err)})
	case "emitWithAck":
		op := f.operator(s, &c)
		go func() {
			answers, err := op.EmitWithAck(context.Background(), c.Event, args...)
			_ = e.Ack(map[string]any{"answers": valuesOf(answers), "error": errString(err),
				"timeout": errors.Is(err, socketio.ErrAckTimeout)})
		}()
	case "socketEmitWithAck", "socketEmitWithAckFunc":
		target := s
		if c.ID != "" {
			t, found := s.Namespace().Socket(c.ID)
			if !found {
				_ = e.Ack(map[string]any{"error": "no socket " + c.ID})
				return
			}
			target = t
		}
		em := target.Timeout(c.timeout()) // 0: no timeout
		answer := func(a socketio.Args, err error) {
			var v []any
			if err == nil {
				v, err = a.Values()
			}
			res := map[string]any{"answer": v, "error": errString(err),
				"timeout": errors.Is(err, socketio.ErrAckTimeout), "disconnected": errors.Is(err, socketio.ErrDisconnected)}
			report(map[string]any{"ev": "ack-result", "id": target.ID(), "answer": v, "error": errString(err),
				"timeout": res["timeout"], "disconnected": res["disconnected"]})
			_ = e.Ack(res)
		}
		if c.Cmd == "socketEmitWithAckFunc" {
			if err := em.EmitWithAckFunc(c.Event, answer, args...); err != nil {
				answer(socketio.Args{}, err)
			}
			return
		}
		if c.InHandler {
			answer(em.EmitWithAck(context.Background(), c.Event, args...))
			return
		}
		go func() {
			a, err := em.EmitWithAck(context.Background(), c.Event, args...)
			answer(a, err)
		}()
	case "fetchSockets":
		list, err := f.operator(s, &c).FetchSockets(context.Background())
		out := make([]any, 0, len(list))
		for _, r := range list {
			out = append(out, map[string]any{"id": r.ID, "rooms": r.Rooms, "data": r.Data})
		}
		_ = e.Ack(map[string]any{"sockets": out, "error": errString(err)})
	case "socketsJoin":
		f.operator(s, &c).SocketsJoin(c.Target...)
		_ = e.Ack(ok)
	case "socketsLeave":
		f.operator(s, &c).SocketsLeave(c.Target...)
		_ = e.Ack(ok)
	case "disconnectSockets":
		_ = e.Ack(ok)
		f.operator(s, &c).DisconnectSockets(c.Close)
	case "join":
		s.Join(c.Target...)
		_ = e.Ack(map[string]any{"rooms": s.Rooms()})
	case "leave":
		for _, r := range c.Target {
			s.Leave(r)
		}
		_ = e.Ack(map[string]any{"rooms": s.Rooms()})
	case "rooms":
		_ = e.Ack(map[string]any{"rooms": s.Rooms()})
	case "disconnect":
		_ = e.Ack(ok)
		s.Disconnect(c.Close)
	case "emitReserved":
		e1 := s.Emit(c.Event, args...)
		e2 := s.Namespace().Emit(c.Event, args...)
		e3 := s.To(s.ID()).Emit(c.Event, args...)
		reserved := errors.Is(e1, socketio.ErrReservedEvent) && errors.Is(e2, socketio.ErrReservedEvent) &&
			errors.Is(e3, socketio.ErrReservedEvent)
		report(map[string]any{"ev": "reserved", "event": c.Event, "reserved": reserved})
		_ = e.Ack(map[string]any{"socket": errString(e1), "namespace": errString(e2), "operator": errString(e3), "reserved": reserved})
	case "handshake":
		h := s.Handshake()
		_ = e.Ack(map[string]any{
			"auth": json.RawMessage(h.Auth), "query": h.Query, "headers": h.Header,
			"address": h.Address, "url": h.URL, "xdomain": h.XDomain,
		})
	case "info":
		_ = e.Ack(map[string]any{"id": s.ID(), "nsp": s.Namespace().Name(), "rooms": s.Rooms(),
			"recovered": s.Recovered(), "transport": s.Transport(), "data": s.Data()})
	case "setData":
		s.SetData(c.Data)
		_ = e.Ack(ok)
	default:
		_ = e.Ack(map[string]any{"error": "unknown command " + strconv.Quote(c.Cmd)})
	}
}
