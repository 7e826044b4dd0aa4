package socketio

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/parley-go/parley/internal/parser/sio"
)

// BroadcastOperator selects sockets of a namespace (rooms, exceptions) and how events reach
// them (flags). It is an immutable value: every method returns a new operator and never
// changes the one it is called on, so operators can be kept and shared.
//
//	srv.To("room1").Except("muted").Emit("news", item)
type BroadcastOperator struct {
	nsp    *Namespace
	rooms  []string
	except []string
	flags  BroadcastFlags
}

// To adds rooms to the selection: sockets in any of them are selected.
func (b BroadcastOperator) To(rooms ...string) BroadcastOperator {
	b.rooms = appendNew(b.rooms, rooms)
	return b
}

// In is To.
func (b BroadcastOperator) In(rooms ...string) BroadcastOperator { return b.To(rooms...) }

// Except excludes the sockets in any of the rooms.
func (b BroadcastOperator) Except(rooms ...string) BroadcastOperator {
	b.except = appendNew(b.except, rooms)
	return b
}

// Volatile drops the event for recipients that cannot take it at once.
func (b BroadcastOperator) Volatile() BroadcastOperator { b.flags.Volatile = true; return b }

// Compress sets the compression flag.
func (b BroadcastOperator) Compress(on bool) BroadcastOperator { b.flags.Compress = &on; return b }

// Local keeps the operation on this server (no other server of the cluster is told).
func (b BroadcastOperator) Local() BroadcastOperator { b.flags.Local = true; return b }

// Timeout bounds the wait for acknowledgements of EmitWithAck and EmitWithAckFunc.
func (b BroadcastOperator) Timeout(d time.Duration) BroadcastOperator {
	b.flags.Timeout = d
	return b
}

// Options returns the selection and flags as an adapter receives them.
func (b BroadcastOperator) Options() BroadcastOptions {
	return BroadcastOptions{Rooms: b.rooms, Except: b.except, Flags: b.flags}
}

// Emit sends the event to the selected sockets. The packet is encoded once for all of them.
func (b BroadcastOperator) Emit(event string, args ...any) error {
	if sio.IsReserved(event) {
		return ErrReservedEvent
	}
	return b.nsp.adapter.Broadcast(NewPacket(event, args...), b.Options())
}

// EmitWithAck sends the event to the selected sockets and waits for every acknowledgement
// (one answer per socket, in arrival order). When the timeout (Timeout) passes or ctx ends
// before every answer arrived, it returns the answers received with an error wrapping
// ErrAckTimeout. A socket that disconnects before it answers never answers: give the wait a
// Timeout or a ctx with a deadline.
func (b BroadcastOperator) EmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	if sio.IsReserved(event) {
		return nil, ErrReservedEvent
	}
	if b.flags.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, b.flags.Timeout, ErrAckTimeout)
		defer cancel()
	}
	servers := 1
	if !b.flags.Local {
		n, err := b.nsp.adapter.ServerCount(ctx)
		if err != nil {
			return nil, err
		}
		servers = max(n, 1)
	}
	var (
		mu        sync.Mutex
		responses []Args
		expected  int
		reported  int
		done      = make(chan struct{})
		finished  bool
	)
	check := func() {
		if !finished && reported >= servers && len(responses) >= expected {
			finished = true
			close(done)
		}
	}
	p := NewPacket(event, args...)
	p.ID = b.nsp.nextAckID()
	err := b.nsp.adapter.BroadcastWithAck(p, b.Options(),
		func(n int) {
			mu.Lock()
			expected += n
			reported++
			check()
			mu.Unlock()
		},
		func(a Args) {
			mu.Lock()
			if !finished {
				responses = append(responses, a)
				check()
			}
			mu.Unlock()
		})
	if err != nil {
		return nil, err
	}
	select {
	case <-done:
		mu.Lock()
		defer mu.Unlock()
		return responses, nil
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		finished = true
		return slices.Clone(responses), ctxErr(ctx)
	}
}

// EmitWithAckFunc is EmitWithAck with a callback, called once on its own goroutine with
// the answers and the error. It needs a Timeout (ErrNoTimeout otherwise); the wait also ends
// when the server closes.
func (b BroadcastOperator) EmitWithAckFunc(event string, cb func([]Args, error), args ...any) error {
	if sio.IsReserved(event) {
		return ErrReservedEvent
	}
	if b.flags.Timeout <= 0 {
		return ErrNoTimeout
	}
	srv := b.nsp.srv
	srv.goTracked(func() { cb(b.EmitWithAck(srv.ctx, event, args...)) })
	return nil
}

// FetchSockets describes the selected sockets, on every server of the cluster unless Local.
func (b BroadcastOperator) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return b.nsp.adapter.FetchSockets(ctx, b.Options())
}

// SocketsJoin makes the selected sockets join the rooms.
func (b BroadcastOperator) SocketsJoin(rooms ...string) {
	b.nsp.adapter.AddSockets(b.Options(), rooms)
}

// SocketsLeave makes the selected sockets leave the rooms.
func (b BroadcastOperator) SocketsLeave(rooms ...string) {
	b.nsp.adapter.DelSockets(b.Options(), rooms)
}

// DisconnectSockets disconnects the selected sockets; close also closes their connections.
func (b BroadcastOperator) DisconnectSockets(close bool) {
	b.nsp.adapter.DisconnectSockets(b.Options(), close)
}

// RemoteSocket describes a socket of the namespace, on this server or another one of the
// cluster (FetchSockets). Its methods act on it through the adapter, wherever it is.
type RemoteSocket struct {
	// ID is the socket id.
	ID string
	// Rooms lists the socket's rooms, its own id room included.
	Rooms []string
	// Data is the socket's Data (as decoded from the other server's message for remote
	// sockets: map[string]any and the like).
	Data any
	// Handshake is the socket's handshake.
	Handshake *Handshake

	nsp *Namespace
}

// NewRemoteSocket returns the description of a socket of the namespace, as a cluster adapter
// builds it from another server's answer.
func NewRemoteSocket(host AdapterHost, id string, rooms []string, data any, h *Handshake) *RemoteSocket {
	return &RemoteSocket{ID: id, Rooms: rooms, Data: data, Handshake: h, nsp: host.namespace()}
}

func (r *RemoteSocket) op() BroadcastOperator {
	return BroadcastOperator{nsp: r.nsp, rooms: []string{r.ID}}
}

// Emit sends an event to the socket.
func (r *RemoteSocket) Emit(event string, args ...any) error { return r.op().Emit(event, args...) }

// Join makes the socket join the rooms.
func (r *RemoteSocket) Join(rooms ...string) { r.op().SocketsJoin(rooms...) }

// Leave makes the socket leave the rooms.
func (r *RemoteSocket) Leave(rooms ...string) { r.op().SocketsLeave(rooms...) }

// Disconnect disconnects the socket; close also closes its connection.
func (r *RemoteSocket) Disconnect(close bool) { r.op().DisconnectSockets(close) }

// DataAs decodes Data into dst through its JSON form.
func (r *RemoteSocket) DataAs(dst any) error {
	b, err := json.Marshal(r.Data)
	if err != nil {
		return fmt.Errorf("socketio: socket data: %w", err)
	}
	return json.Unmarshal(b, dst)
}

func appendNew(dst, add []string) []string {
	out := make([]string, 0, len(dst)+len(add))
	out = append(out, dst...)
	for _, r := range add {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}
