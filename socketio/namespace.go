package socketio

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-go/parley/internal/engineio"
	"github.com/parley-go/parley/internal/parser/sio"
)

// Middleware runs before a socket joins its namespace; a non-nil error refuses the
// connection: the client's connect_error gets the error's message (and, for a
// *ConnectError, its Data). Middleware may block (it runs on the connection's dispatch
// goroutine, not the network's); s.Context() ends if the client goes away meanwhile.
type Middleware func(s *Socket) error

// Namespace is a communication channel multiplexed on the clients' connections, with its own
// sockets, rooms, middleware and handlers. Get one with Server.Of; the Server embeds the
// main namespace "/".
type Namespace struct {
	name    string
	srv     *Server
	parent  *ParentNamespace
	adapter Adapter

	hooks hooks // middleware and connection handlers

	mu      sync.RWMutex
	sockets map[string]*Socket
	ssh     map[string]EventHandler // server-side emit handlers

	ackID atomic.Int64
}

func newNamespace(srv *Server, name string, parent *ParentNamespace) *Namespace {
	n := &Namespace{name: name, srv: srv, parent: parent, sockets: make(map[string]*Socket)}
	n.adapter = srv.opts.Adapter(adapterHost{n})
	return n
}

// Name returns the namespace's name ("/", "/admin").
func (n *Namespace) Name() string { return n.name }

// Adapter returns the namespace's adapter.
func (n *Namespace) Adapter() Adapter { return n.adapter }

// Use adds a middleware, run in the order added for every connection to the namespace.
func (n *Namespace) Use(mw Middleware) { n.hooks.use(mw) }

// OnConnection adds a handler run for every socket that joined the namespace, after its
// CONNECT answer was sent. Register the socket's event handlers there.
func (n *Namespace) OnConnection(h func(s *Socket)) { n.hooks.onConnection(h) }

// Sockets returns the sockets of this namespace connected to this server.
func (n *Namespace) Sockets() []*Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]*Socket, 0, len(n.sockets))
	for _, s := range n.sockets {
		out = append(out, s)
	}
	return out
}

// Socket returns the socket of this server with the id, if it is connected.
func (n *Namespace) Socket(id string) (*Socket, bool) {
	n.mu.RLock()
	s, ok := n.sockets[id]
	n.mu.RUnlock()
	return s, ok
}

// operator returns the namespace-wide broadcast operator.
func (n *Namespace) operator() BroadcastOperator { return BroadcastOperator{nsp: n} }

// To selects the sockets in any of the rooms (chain To calls for more rooms).
func (n *Namespace) To(rooms ...string) BroadcastOperator { return n.operator().To(rooms...) }

// In is To.
func (n *Namespace) In(rooms ...string) BroadcastOperator { return n.operator().To(rooms...) }

// Except excludes the sockets in any of the rooms.
func (n *Namespace) Except(rooms ...string) BroadcastOperator {
	return n.operator().Except(rooms...)
}

// Volatile drops the event for clients that cannot take it at once.
func (n *Namespace) Volatile() BroadcastOperator { return n.operator().Volatile() }

// Compress sets the compression flag of the event.
func (n *Namespace) Compress(on bool) BroadcastOperator { return n.operator().Compress(on) }

// Local keeps the operation on this server.
func (n *Namespace) Local() BroadcastOperator { return n.operator().Local() }

// Timeout bounds the wait for acknowledgements.
func (n *Namespace) Timeout(d time.Duration) BroadcastOperator { return n.operator().Timeout(d) }

// Emit sends the event to every socket of the namespace.
func (n *Namespace) Emit(event string, args ...any) error { return n.operator().Emit(event, args...) }

// EmitWithAck sends the event to every socket of the namespace and waits for their
// acknowledgements (see BroadcastOperator.EmitWithAck).
func (n *Namespace) EmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	return n.operator().EmitWithAck(ctx, event, args...)
}

// FetchSockets describes the sockets of the namespace, across the cluster.
func (n *Namespace) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return n.operator().FetchSockets(ctx)
}

// SocketsJoin makes every socket of the namespace join the rooms.
func (n *Namespace) SocketsJoin(rooms ...string) { n.operator().SocketsJoin(rooms...) }

// SocketsLeave makes every socket of the namespace leave the rooms.
func (n *Namespace) SocketsLeave(rooms ...string) { n.operator().SocketsLeave(rooms...) }

// DisconnectSockets disconnects every socket of the namespace; close also closes their
// connections.
func (n *Namespace) DisconnectSockets(close bool) { n.operator().DisconnectSockets(close) }

// ServerSideEmit sends an event to the other servers of the cluster (nothing happens on a
// single server). It returns ErrReservedEvent for a reserved name.
func (n *Namespace) ServerSideEmit(event string, args ...any) error {
	if sio.IsReserved(event) {
		return ErrReservedEvent
	}
	return n.adapter.ServerSideEmit(NewPacket(event, args...))
}

// ServerSideEmitWithAck sends an event to the other servers and returns the answer of each
// (none on a single server). When ctx ends first, it returns the answers received and an
// error wrapping ErrAckTimeout.
func (n *Namespace) ServerSideEmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	if sio.IsReserved(event) {
		return nil, ErrReservedEvent
	}
	return n.adapter.ServerSideEmitWithAck(ctx, NewPacket(event, args...))
}

// OnServerSideEmit sets the handler of an event sent by another server with
// ServerSideEmit. The Event has no Socket; when the sender waits for an answer, Ack replies.
// The handler runs on the adapter's goroutine: keep it short.
func (n *Namespace) OnServerSideEmit(event string, h EventHandler) {
	n.mu.Lock()
	if n.ssh == nil {
		n.ssh = make(map[string]EventHandler)
	}
	n.ssh[event] = h
	n.mu.Unlock()
}

func (n *Namespace) dispatchServerSideEmit(event string, args Args, reply func([]any) error) {
	n.mu.RLock()
	h := n.ssh[event]
	n.mu.RUnlock()
	if h == nil {
		return
	}
	e := &Event{Args: args, name: event, id: NoAckID, reply: reply}
	defer func() {
		if r := recover(); r != nil {
			n.srv.log.Error("socketio: server-side event handler panicked", "event", event, "panic", r)
		}
	}()
	h(e)
}

func (n *Namespace) nextAckID() int64 { return n.ackID.Add(1) - 1 }

// connect runs the namespace handshake of a client (on its dispatcher).
func (n *Namespace) connect(c *client, wire string, h *Handshake, auth []byte) {
	s := newSocket(n, c, wire, h)
	var missed []*Packet
	skipMW := false
	if rec := n.srv.opts.ConnectionStateRecovery; rec != nil {
		var a struct {
			PID    *string `json:"pid"`
			Offset *string `json:"offset"`
		}
		if err := h.BindAuth(&a); err == nil && a.PID != nil && a.Offset != nil {
			ctx, cancel := context.WithTimeout(n.srv.ctx, 10*time.Second)
			sess, err := n.adapter.RestoreSession(ctx, *a.PID, *a.Offset)
			cancel()
			if err != nil {
				n.srv.log.Debug("socketio: session recovery failed", "err", err)
			}
			if sess != nil {
				s.id, s.pid, s.data, s.recovered = sess.SID, sess.PID, sess.Data, true
				n.adapter.AddAll(s.id, sess.Rooms)
				missed = sess.MissedPackets
				skipMW = rec.SkipMiddlewares
			}
		}
	}
	if !skipMW {
		if err := n.runMiddleware(s); err != nil {
			n.adapter.DelAll(s.id)
			s.state.Store(stateClosed)
			s.endContext()
			msg, data := err.Error(), any(nil)
			var ce *ConnectError
			if errors.As(err, &ce) {
				msg, data = ce.Message, ce.Data
			}
			c.sendConnectError(wire, msg, data)
			return
		}
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		n.adapter.DelAll(s.id)
		s.state.Store(stateClosed)
		s.endContext()
		return
	}
	// Connected from the moment the client lists the socket, so that a close of the
	// connection from now on (closeSockets, on another goroutine) finds it and closes it.
	c.sockets = append(c.sockets, s)
	s.state.Store(stateConnected)
	timer := c.timer
	c.timer = nil
	c.mu.Unlock()
	if timer != nil {
		timer.Stop()
	}
	n.mu.Lock()
	n.sockets[s.id] = s
	n.mu.Unlock()
	n.adapter.AddAll(s.id, []string{s.id})

	var payload []byte
	if c.conn.Protocol() != 3 {
		payload = connectPayload(s.id, s.pid)
	}
	c.send([]engineio.Message{encodeControl(sio.Connect, wire, payload)}, false)
	for _, p := range missed {
		if msgs, err := p.encoded(n.name); err == nil {
			c.send(msgs, false)
		}
	}
	// Every connection handler runs, as Node's "connection" listeners do, even when the
	// connection closed meanwhile (the client may send a bad packet or go away as soon as it
	// has the CONNECT): the close queued finishClose behind this task, so the disconnection
	// handlers these register still run, after them.
	_, handlers := n.allHooks()
	for _, h := range handlers {
		h(s)
	}
}

func (n *Namespace) runMiddleware(s *Socket) error {
	mws, _ := n.allHooks()
	for _, mw := range mws {
		if err := mw(s); err != nil {
			return err
		}
	}
	return nil
}

// remove forgets a disconnected socket.
func (n *Namespace) remove(s *Socket) {
	n.mu.Lock()
	if n.sockets[s.id] == s {
		delete(n.sockets, s.id)
	}
	empty := len(n.sockets) == 0
	n.mu.Unlock()
	if empty && n.parent != nil && n.srv.opts.CleanupEmptyChildNamespaces {
		n.srv.removeNamespace(n)
	}
}

// lookup returns the connected sockets among ids (in the same order, skipping unknown ones).
func (n *Namespace) lookup(ids []string, out []*Socket) []*Socket {
	n.mu.RLock()
	for _, id := range ids {
		if s := n.sockets[id]; s != nil {
			out = append(out, s)
		}
	}
	n.mu.RUnlock()
	return out
}

// all returns every connected socket.
func (n *Namespace) all(out []*Socket) []*Socket {
	n.mu.RLock()
	for _, s := range n.sockets {
		out = append(out, s)
	}
	n.mu.RUnlock()
	return out
}

// allHooks returns the middleware and connection handlers that apply to the namespace: its
// parent's (for a dynamic namespace), then its own.
func (n *Namespace) allHooks() ([]Middleware, []func(*Socket)) {
	mws, onConn := n.hooks.snapshot()
	if n.parent == nil {
		return mws, onConn
	}
	pm, pc := n.parent.hooks.snapshot()
	return append(pm, mws...), append(pc, onConn...)
}

// hooks are the middleware and connection handlers of a namespace, or of a family of dynamic
// namespaces.
type hooks struct {
	mu     sync.RWMutex
	mws    []Middleware
	onConn []func(*Socket)
}

func (h *hooks) use(mw Middleware) {
	h.mu.Lock()
	h.mws = append(h.mws, mw)
	h.mu.Unlock()
}

func (h *hooks) onConnection(f func(*Socket)) {
	h.mu.Lock()
	h.onConn = append(h.onConn, f)
	h.mu.Unlock()
}

// snapshot returns the current lists; callers may append to them (capacity is clipped).
func (h *hooks) snapshot() ([]Middleware, []func(*Socket)) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.mws[:len(h.mws):len(h.mws)], h.onConn[:len(h.onConn):len(h.onConn)]
}
