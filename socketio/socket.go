package socketio

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-go/parley/internal/engineio"
	"github.com/parley-go/parley/internal/parser/sio"
)

const (
	stateConnecting int32 = iota
	stateConnected
	stateClosing
	stateClosed
)

// Socket is one client's connection to one namespace. Its methods are safe for concurrent
// use. Its handlers run one at a time, in the order the client's packets arrived.
type Socket struct {
	id        string
	pid       string // private session id (connection state recovery)
	nsp       *Namespace
	client    *client
	nspWire   string // the namespace as the client's packets name it
	handshake *Handshake
	recovered bool

	state atomic.Int32

	mu            sync.Mutex
	ctx           context.Context // created on first use (Context)
	cancel        context.CancelFunc
	data          any
	handlers      []namedHandler // few per socket: a slice is smaller than a map
	anyIn         []EventHandler
	anyOut        []func(event string, args []any)
	mws           []func(e *Event) error
	onError       []func(error)
	disconnecting []func(Reason)
	disconnected  []func(Reason)
	acks          map[int64]ackEntry
	acksDone      bool // the socket is disconnecting: no acknowledgement is awaited any more
}

type namedHandler struct {
	event string
	h     EventHandler
}

// ackEntry waits for one acknowledgement. user callbacks run on the dispatcher; internal
// ones (a blocked EmitWithAck, a broadcast collector) run where the answer arrives.
type ackEntry struct {
	fn    func(Args, error)
	user  bool
	timer *time.Timer
}

func newSocket(n *Namespace, c *client, wire string, h *Handshake) *Socket {
	s := &Socket{id: randomID(), nsp: n, client: c, nspWire: wire, handshake: h}
	if n.srv.opts.ConnectionStateRecovery != nil {
		s.pid = randomID()
	}
	return s
}

// ID returns the socket id, shared with the client (socket.id there).
func (s *Socket) ID() string { return s.id }

// Namespace returns the socket's namespace.
func (s *Socket) Namespace() *Namespace { return s.nsp }

// Handshake returns what the client told when it connected.
func (s *Socket) Handshake() *Handshake { return s.handshake }

// Context returns a context that ends when the socket disconnects: as soon as the
// disconnection starts, before the OnDisconnecting handlers run, so that a handler still
// working for the socket can stop.
func (s *Socket) Context() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		s.ctx, s.cancel = context.WithCancel(context.Background())
		if s.state.Load() >= stateClosing {
			s.cancel()
		}
	}
	return s.ctx
}

// endContext cancels the socket's context, if it was ever asked for.
func (s *Socket) endContext() {
	s.mu.Lock()
	if s.cancel != nil {
		s.cancel()
	}
	s.mu.Unlock()
}

// Recovered reports whether the socket got back the state of an earlier connection
// (connection state recovery).
func (s *Socket) Recovered() bool { return s.recovered }

// Connected reports whether the socket is connected.
func (s *Socket) Connected() bool { return s.state.Load() == stateConnected }

// Transport returns the name of the connection's current transport ("polling", "websocket").
func (s *Socket) Transport() string { return s.client.conn.Transport() }

// Data returns the value set with SetData.
func (s *Socket) Data() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data
}

// SetData attaches a value to the socket (shared with FetchSockets and kept by connection
// state recovery; keep it JSON-encodable for cluster adapters).
func (s *Socket) SetData(v any) {
	s.mu.Lock()
	s.data = v
	s.mu.Unlock()
}

// On sets the handler of an event (replacing any previous one).
func (s *Socket) On(event string, h EventHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.handlers {
		if s.handlers[i].event == event {
			s.handlers[i].h = h
			return
		}
	}
	s.handlers = append(s.handlers, namedHandler{event, h})
}

// Off removes the handler of an event.
func (s *Socket) Off(event string) {
	s.mu.Lock()
	s.handlers = slices.DeleteFunc(s.handlers, func(n namedHandler) bool { return n.event == event })
	s.mu.Unlock()
}

// OnAny adds a handler run for every incoming event, before the event's own handler.
func (s *Socket) OnAny(h EventHandler) {
	s.mu.Lock()
	s.anyIn = append(s.anyIn, h)
	s.mu.Unlock()
}

// OnAnyOutgoing adds a listener called for every event this socket emits to its client.
func (s *Socket) OnAnyOutgoing(h func(event string, args []any)) {
	s.mu.Lock()
	s.anyOut = append(s.anyOut, h)
	s.mu.Unlock()
}

// Use adds a middleware that sees every incoming event before the handlers; a non-nil
// error drops the event and is passed to the OnError handlers.
func (s *Socket) Use(mw func(e *Event) error) {
	s.mu.Lock()
	s.mws = append(s.mws, mw)
	s.mu.Unlock()
}

// OnError adds a handler for the socket's errors: middleware refusals and arguments that
// did not decode (Handle).
func (s *Socket) OnError(h func(err error)) {
	s.mu.Lock()
	s.onError = append(s.onError, h)
	s.mu.Unlock()
}

// OnDisconnecting adds a handler run when the socket is about to disconnect, while Rooms
// still lists its rooms.
func (s *Socket) OnDisconnecting(h func(reason Reason)) {
	s.mu.Lock()
	s.disconnecting = append(s.disconnecting, h)
	s.mu.Unlock()
}

// OnDisconnect adds a handler run when the socket has disconnected.
func (s *Socket) OnDisconnect(h func(reason Reason)) {
	s.mu.Lock()
	s.disconnected = append(s.disconnected, h)
	s.mu.Unlock()
}

// Join adds the socket to the rooms.
func (s *Socket) Join(rooms ...string) { s.nsp.adapter.AddAll(s.id, rooms) }

// Leave removes the socket from the room.
func (s *Socket) Leave(room string) { s.nsp.adapter.Del(s.id, room) }

// Rooms returns the rooms the socket is in, its own id room included.
func (s *Socket) Rooms() []string { return s.nsp.adapter.SocketRooms(s.id) }

// To selects the sockets in the rooms, this socket excluded (socket.to(room) in Node).
func (s *Socket) To(rooms ...string) BroadcastOperator { return s.Broadcast().To(rooms...) }

// In is To.
func (s *Socket) In(rooms ...string) BroadcastOperator { return s.Broadcast().To(rooms...) }

// Except selects every socket of the namespace but those in the rooms and this one.
func (s *Socket) Except(rooms ...string) BroadcastOperator { return s.Broadcast().Except(rooms...) }

// Broadcast selects every socket of the namespace but this one.
func (s *Socket) Broadcast() BroadcastOperator {
	return BroadcastOperator{nsp: s.nsp, except: []string{s.id}}
}

// Emit sends an event to the client. args are any JSON-encodable values; a []byte anywhere in
// them travels as a binary attachment (do not modify it afterwards). It returns
// ErrReservedEvent for a reserved name, ErrDisconnected when the socket is gone, and the
// encoding error of an argument that has no JSON form.
func (s *Socket) Emit(event string, args ...any) error { return s.emit(event, args, false) }

// Volatile returns an emitter whose events are dropped when the client cannot take them at
// once.
func (s *Socket) Volatile() SocketEmitter { return SocketEmitter{s: s, volatile: true} }

// Timeout returns an emitter whose acknowledgements fail with ErrAckTimeout after d.
func (s *Socket) Timeout(d time.Duration) SocketEmitter { return SocketEmitter{s: s, timeout: d} }

// EmitWithAck sends an event and waits for the client's acknowledgement. It returns
// ErrDisconnected if the socket disconnects first and ctx's error (wrapping ErrAckTimeout on
// a deadline) if ctx ends first.
//
// Called from one of the socket's handlers, it holds the socket's later events while it
// waits, and once Options.MaxPendingEvents of them are queued the server stops reading from
// the connection, the acknowledgement included: give ctx a deadline (or use Timeout), or
// use EmitWithAckFunc, which does not wait.
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	return SocketEmitter{s: s}.EmitWithAck(ctx, event, args...)
}

// EmitWithAckFunc sends an event and calls cb with the client's acknowledgement, or with
// ErrDisconnected when the socket disconnects first. cb runs like a handler of this socket.
func (s *Socket) EmitWithAckFunc(event string, cb func(Args, error), args ...any) error {
	return SocketEmitter{s: s}.EmitWithAckFunc(event, cb, args...)
}

// Disconnect disconnects the socket from its namespace (the client gets a DISCONNECT packet
// and ReasonServerNamespaceDisconnect); with close, every socket of the connection does and
// the connection closes.
func (s *Socket) Disconnect(close bool) {
	if close {
		s.client.disconnectAll()
		return
	}
	s.close(ReasonServerNamespaceDisconnect, true)
}

// SocketEmitter emits to one socket with flags (Socket.Volatile, Socket.Timeout). It is a
// value: each method returns a new one.
type SocketEmitter struct {
	s        *Socket
	volatile bool
	timeout  time.Duration
}

// Volatile returns the emitter with the volatile flag.
func (e SocketEmitter) Volatile() SocketEmitter { e.volatile = true; return e }

// Timeout returns the emitter with an acknowledgement timeout.
func (e SocketEmitter) Timeout(d time.Duration) SocketEmitter { e.timeout = d; return e }

// Emit sends the event (see Socket.Emit).
func (e SocketEmitter) Emit(event string, args ...any) error {
	return e.s.emit(event, args, e.volatile)
}

// EmitWithAck sends the event and waits for the acknowledgement (see Socket.EmitWithAck).
func (e SocketEmitter) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	if e.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, e.timeout, ErrAckTimeout)
		defer cancel()
	}
	ch := make(chan ackResult, 1)
	id, err := e.s.emitAck(event, args, ackEntry{fn: func(a Args, err error) { ch <- ackResult{a, err} }})
	if err != nil {
		return Args{}, err
	}
	select {
	case r := <-ch:
		return r.args, r.err
	case <-ctx.Done():
		e.s.dropAck(id)
		return Args{}, ctxErr(ctx)
	}
}

// EmitWithAckFunc sends the event and calls cb with the acknowledgement, ErrDisconnected, or
// ErrAckTimeout after the emitter's timeout (see Socket.EmitWithAckFunc).
func (e SocketEmitter) EmitWithAckFunc(event string, cb func(Args, error), args ...any) error {
	ent := ackEntry{fn: cb, user: true}
	id, err := e.s.emitAck(event, args, ent)
	if err != nil || e.timeout <= 0 {
		return err
	}
	s := e.s
	t := time.AfterFunc(e.timeout, func() {
		if ent, ok := s.takeAck(id); ok {
			s.runAck(ent, Args{}, ErrAckTimeout)
		}
	})
	s.mu.Lock()
	if a, ok := s.acks[id]; ok {
		a.timer = t
		s.acks[id] = a
	}
	s.mu.Unlock()
	return nil
}

type ackResult struct {
	args Args
	err  error
}

func (s *Socket) emit(event string, args []any, volatile bool) error {
	if sio.IsReserved(event) {
		return ErrReservedEvent
	}
	if !s.Connected() {
		return ErrDisconnected
	}
	s.notifyOutgoing(event, args)
	if s.nsp.srv.opts.ConnectionStateRecovery != nil && !volatile {
		// through the adapter, so that the packet gets an offset and is kept for recovery
		return s.nsp.adapter.Broadcast(NewPacket(event, args...), BroadcastOptions{Rooms: []string{s.id}})
	}
	msgs, err := encodeEvent(s.nspWire, sio.NoID, event, args, "")
	if err != nil {
		return err
	}
	s.client.send(msgs, volatile)
	return nil
}

// emitAck registers the acknowledgement and sends the event with its id.
func (s *Socket) emitAck(event string, args []any, ent ackEntry) (int64, error) {
	if sio.IsReserved(event) {
		return 0, ErrReservedEvent
	}
	if !s.Connected() {
		return 0, ErrDisconnected
	}
	id := s.nsp.nextAckID()
	msgs, err := encodeEvent(s.nspWire, id, event, args, "")
	if err != nil {
		return 0, err
	}
	if !s.addAck(id, ent) {
		return 0, ErrDisconnected
	}
	s.notifyOutgoing(event, args)
	s.client.send(msgs, false)
	return id, nil
}

// addAck registers ent for the acknowledgement id; it reports false once the socket is
// disconnecting.
func (s *Socket) addAck(id int64, ent ackEntry) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.acksDone {
		return false
	}
	if s.acks == nil {
		s.acks = make(map[int64]ackEntry)
	}
	s.acks[id] = ent
	return true
}

func (s *Socket) takeAck(id int64) (ackEntry, bool) {
	s.mu.Lock()
	ent, ok := s.acks[id]
	if ok {
		delete(s.acks, id)
	}
	s.mu.Unlock()
	if ok && ent.timer != nil {
		ent.timer.Stop()
	}
	return ent, ok
}

func (s *Socket) dropAck(id int64) { s.takeAck(id) }

// onAck handles an ACK packet (on the engine's goroutine). An ack id never sent is ignored.
func (s *Socket) onAck(id int64, args Args) {
	if ent, ok := s.takeAck(id); ok {
		s.runAck(ent, args, nil)
	}
}

func (s *Socket) runAck(ent ackEntry, args Args, err error) {
	if ent.user {
		s.client.q.push(func() { ent.fn(args, err) }, false)
		return
	}
	ent.fn(args, err)
}

// sendAck answers the client's acknowledgement id.
func (s *Socket) sendAck(id int64, args []any) error {
	if !s.Connected() {
		return ErrDisconnected
	}
	msgs, err := encodeAck(s.nspWire, id, args)
	if err != nil {
		return err
	}
	s.client.send(msgs, false)
	return nil
}

func (s *Socket) notifyOutgoing(event string, args []any) {
	s.mu.Lock()
	out := s.anyOut
	s.mu.Unlock()
	for _, h := range out {
		h(event, args)
	}
}

// dispatch runs the handlers of an incoming event (on the dispatcher).
func (s *Socket) dispatch(e *Event) {
	if !s.Connected() {
		return
	}
	s.mu.Lock()
	mws, anyIn := s.mws, s.anyIn
	var h EventHandler
	for _, n := range s.handlers {
		if n.event == e.name {
			h = n.h
			break
		}
	}
	s.mu.Unlock()
	for _, mw := range mws {
		if err := mw(e); err != nil {
			s.reportError(err)
			return
		}
	}
	for _, a := range anyIn {
		a(e)
	}
	if h != nil {
		h(e)
	}
}

func (s *Socket) reportError(err error) {
	s.mu.Lock()
	hs := s.onError
	s.mu.Unlock()
	if len(hs) == 0 {
		s.nsp.srv.log.Debug("socketio: socket error", "id", s.id, "nsp", s.nsp.name, "err", err)
	}
	for _, h := range hs {
		h(err)
	}
}

// deliver queues a broadcast's encoded messages.
func (s *Socket) deliver(msgs []engineio.Message, volatile bool) {
	if s.state.Load() != stateConnected {
		return
	}
	if volatile {
		s.client.send(msgs, true)
		return
	}
	s.client.enqueue(msgs)
}

// close starts the disconnection (once): sendPacket sends the client a DISCONNECT first. The
// socket's context ends and blocked EmitWithAck calls return ErrDisconnected at once (a handler
// waiting in one holds the dispatcher); the EmitWithAckFunc callbacks, then the disconnection
// handlers and the cleanup, run on the dispatcher, after the events already queued.
func (s *Socket) close(reason Reason, sendPacket bool) {
	if !s.state.CompareAndSwap(stateConnected, stateClosing) {
		return
	}
	if sendPacket {
		s.client.send([]engineio.Message{encodeControl(sio.Disconnect, s.nspWire, nil)}, false)
	}
	s.client.remove(s)
	s.endContext()
	s.mu.Lock()
	s.acksDone = true
	acks := s.acks
	s.acks = nil
	s.mu.Unlock()
	for _, ent := range acks {
		if ent.timer != nil {
			ent.timer.Stop()
		}
		s.runAck(ent, Args{}, ErrDisconnected) // user callbacks are queued, before finishClose
	}
	s.client.q.push(func() { s.finishClose(reason) }, false)
}

func (s *Socket) finishClose(reason Reason) {
	s.mu.Lock()
	before := s.disconnecting
	s.mu.Unlock()
	for _, h := range before {
		h(reason)
	}
	n := s.nsp
	if n.srv.opts.ConnectionStateRecovery != nil && reason.recoverable() {
		n.adapter.PersistSession(&PersistedSession{
			SID: s.id, PID: s.pid, Rooms: n.adapter.SocketRooms(s.id), Data: s.Data(), DisconnectedAt: time.Now(),
		})
	}
	n.adapter.DelAll(s.id)
	n.remove(s)
	s.state.Store(stateClosed)
	s.mu.Lock()
	after := s.disconnected
	s.mu.Unlock()
	for _, h := range after {
		h(reason)
	}
}
