package socketio

import (
	"encoding/json"
	"fmt"
	"sync/atomic"

	"github.com/parley-go/parley/internal/parser/sio"
)

// Args are the arguments of an event or of an acknowledgement, as received: decode them into
// Go values of your own types with Bind or Decode. Binary attachments arrive as []byte
// wherever the destination (or an interface inside it) takes them.
//
// The zero value has no arguments. Args are safe to keep after the handler returns and to
// read from several goroutines.
type Args struct {
	raw  [][]byte            // raw JSON of each argument
	refs [][]sio.Placeholder // the placeholders of each argument (nil when none)
	atts [][]byte            // the attachments the placeholders refer to
	vals []any               // Go values (from NewArgs); used when raw is nil
}

// NewArgs returns Args holding Go values, as a cluster adapter builds them from another
// server's message. Bind and Decode convert them to the destination's type through their
// JSON form; []byte values stay binary.
func NewArgs(values ...any) Args { return Args{vals: values} }

// Len returns the number of arguments.
func (a Args) Len() int {
	if a.raw != nil {
		return len(a.raw)
	}
	return len(a.vals)
}

// Bind decodes the arguments, in order, into the destinations (non-nil pointers), as
// json.Unmarshal does: Bind(&msg) takes the first argument, Bind(&room, &text) the first two.
// Destinations beyond the last argument are left unchanged; arguments beyond the last
// destination are ignored.
func (a Args) Bind(dst ...any) error {
	for i, d := range dst {
		if i >= a.Len() {
			return nil
		}
		if err := a.Decode(i, d); err != nil {
			return err
		}
	}
	return nil
}

// Decode decodes argument i into dst (a non-nil pointer). It returns an error when i is out
// of range or the argument does not fit dst.
func (a Args) Decode(i int, dst any) error {
	if i < 0 || i >= a.Len() {
		return fmt.Errorf("socketio: argument %d of %d", i, a.Len())
	}
	if a.raw == nil {
		return decodeValue(a.vals[i], dst)
	}
	var refs []sio.Placeholder
	if i < len(a.refs) {
		refs = a.refs[i]
	}
	if err := sio.Unmarshal(a.raw[i], refs, a.atts, dst); err != nil {
		return fmt.Errorf("socketio: argument %d: %w", i, err)
	}
	return nil
}

// Raw returns the JSON text of argument i as received (binary attachments appear as
// placeholder objects), or nil when i is out of range.
func (a Args) Raw(i int) json.RawMessage {
	if i < 0 || i >= a.Len() {
		return nil
	}
	if a.raw != nil {
		return json.RawMessage(a.raw[i])
	}
	var enc sio.Encoder
	b, err := enc.Append(nil, a.vals[i])
	if err != nil {
		return nil
	}
	return b
}

// Values decodes every argument into a generic Go value (map[string]any, []any, string,
// float64, bool, nil, and []byte for binary), for code that forwards arguments without
// knowing their types.
func (a Args) Values() ([]any, error) {
	if a.raw == nil {
		return a.vals, nil
	}
	out := make([]any, len(a.raw))
	for i := range a.raw {
		if err := a.Decode(i, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// decodeValue converts a Go value into dst through its JSON form (binary preserved).
func decodeValue(v any, dst any) error {
	if p, ok := dst.(*any); ok {
		*p = v
		return nil
	}
	var enc sio.Encoder
	raw, err := enc.Append(nil, v)
	if err != nil {
		return err
	}
	refs, err := sio.FindPlaceholders(raw, len(enc.Attachments))
	if err != nil {
		return err
	}
	return sio.Unmarshal(raw, refs, enc.Attachments, dst)
}

// EventHandler handles one incoming event.
type EventHandler func(e *Event)

// Event is one event received from a client (or, for OnServerSideEmit handlers, from another
// server of the cluster): its name, its arguments and, when the sender asked for one, the
// means to acknowledge it.
type Event struct {
	// Args are the event's arguments (the name excluded).
	Args

	name   string
	socket *Socket
	id     int64
	acked  atomic.Bool
	reply  func(args []any) error // set for server-side events
}

// Name returns the event name.
func (e *Event) Name() string { return e.name }

// Socket returns the socket that received the event; nil for server-side events.
func (e *Event) Socket() *Socket { return e.socket }

// HasAck reports whether the sender waits for an acknowledgement.
func (e *Event) HasAck() bool { return e.id >= 0 || e.reply != nil }

// Ack answers the sender's acknowledgement with the arguments (any JSON-encodable values;
// []byte anywhere travels as binary). It may be called once, from any goroutine, also after
// the handler returned. It returns ErrNoAck when the sender asked for none, ErrAlreadyAcked
// after the first call, and ErrDisconnected when the socket is gone.
func (e *Event) Ack(args ...any) error {
	if !e.HasAck() {
		return ErrNoAck
	}
	if !e.acked.CompareAndSwap(false, true) {
		return ErrAlreadyAcked
	}
	if e.reply != nil {
		return e.reply(args)
	}
	return e.socket.sendAck(e.id, args)
}

// Handle adapts a function taking the first argument as a value of its own type T: the
// argument is decoded into T before fn runs. An argument that does not decode into T drops
// the event and is reported to the socket's OnError handlers. A missing argument gives T's
// zero value.
//
//	s.On("chat:message", socketio.Handle(func(e *socketio.Event, m ChatMessage) { ... }))
func Handle[T any](fn func(e *Event, v T)) EventHandler {
	return func(e *Event) {
		var v T
		if e.Len() > 0 {
			if err := e.Decode(0, &v); err != nil {
				if e.socket != nil {
					e.socket.reportError(fmt.Errorf("socketio: event %q: %w", e.name, err))
				}
				return
			}
		}
		fn(e, v)
	}
}

// newEvent builds the Event of a decoded EVENT packet; the packet's slices must be owned.
func newEvent(s *Socket, p *sio.Packet, bin *sio.Binary) *Event {
	e := &Event{name: p.EventName(), socket: s, id: p.ID}
	if len(p.Args) > 1 {
		e.raw = p.Args[1:]
	} else {
		e.raw = [][]byte{}
	}
	if bin != nil {
		e.atts = bin.Attachments
		if len(bin.Refs) > 1 {
			e.refs = bin.Refs[1:]
		}
	}
	return e
}

// argsOf builds the Args of a decoded ACK packet.
func argsOf(p *sio.Packet, bin *sio.Binary) Args {
	a := Args{raw: p.Args}
	if a.raw == nil {
		a.raw = [][]byte{}
	}
	if bin != nil {
		a.atts, a.refs = bin.Attachments, bin.Refs
	}
	return a
}
