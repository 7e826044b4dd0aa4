package redisadapter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Publisher is the part of a go-redis client that the Emitter uses. *redis.Client,
// *redis.ClusterClient, *redis.Ring and redis.UniversalClient all implement it.
type Publisher interface {
	Publish(ctx context.Context, channel string, message any) *redis.IntCmd
}

// EmitterOptions configure an Emitter. The zero value is Node's default.
type EmitterOptions struct {
	// Key is the prefix of the Redis channels; it must match the servers' adapter key.
	// Empty means DefaultKey ("socket.io").
	Key string
}

// ErrReservedEvent is returned by Emit for the event names that Socket.IO reserves
// (connect, connect_error, disconnect, disconnecting, newListener, removeListener).
var ErrReservedEvent = errors.New("redisadapter: reserved event name")

// reservedEvents are the names Node's emitter refuses.
var reservedEvents = map[string]bool{
	"connect": true, "connect_error": true, "disconnect": true,
	"disconnecting": true, "newListener": true, "removeListener": true,
}

// Emitter sends events and room operations to the Socket.IO servers of a cluster that use
// the classic Redis adapter (Node's @socket.io/redis-adapter or Parley's), without being a
// server itself: it only publishes, exactly what Node's @socket.io/redis-emitter publishes.
//
// An Emitter is an immutable value: Of, To, In, Except, Volatile and Compress return a new
// Emitter and leave the receiver unchanged, so one Emitter can be shared and derived from by
// many goroutines. Nothing is acknowledged: a nil error means Redis accepted the message,
// not that any server or client received it.
type Emitter struct {
	pub    Publisher
	key    string
	nsp    string
	ch     classicChannels
	rooms  []string
	except []string
	flags  wireFlags
}

// NewEmitter returns an Emitter for the namespace "/" that publishes through client.
// opts may be nil.
func NewEmitter(client Publisher, opts *EmitterOptions) *Emitter {
	key := DefaultKey
	if opts != nil && opts.Key != "" {
		key = opts.Key
	}
	return &Emitter{pub: client, key: key, nsp: "/", ch: newClassicChannels(key, "/")}
}

// Of returns an Emitter for the namespace nsp ("/" is prepended when missing), with no
// rooms, exclusions or flags.
func (e *Emitter) Of(nsp string) *Emitter {
	if !strings.HasPrefix(nsp, "/") {
		nsp = "/" + nsp
	}
	return &Emitter{pub: e.pub, key: e.key, nsp: nsp, ch: newClassicChannels(e.key, nsp)}
}

// To returns an Emitter that targets the members of the rooms, in addition to those
// already targeted. Without rooms an Emitter targets the whole namespace.
func (e *Emitter) To(rooms ...string) *Emitter {
	c := e.clone()
	c.rooms = addUnique(slices.Clone(e.rooms), rooms)
	return c
}

// In is the same as To.
func (e *Emitter) In(rooms ...string) *Emitter { return e.To(rooms...) }

// Except returns an Emitter that excludes the members of the rooms (a socket id counts as
// a room).
func (e *Emitter) Except(rooms ...string) *Emitter {
	c := e.clone()
	c.except = addUnique(slices.Clone(e.except), rooms)
	return c
}

// Volatile returns an Emitter whose events may be dropped for clients that are not ready
// to receive them.
func (e *Emitter) Volatile() *Emitter {
	c := e.clone()
	c.flags.Volatile = true
	return c
}

// Compress returns an Emitter that asks the servers to compress (or not) its events.
func (e *Emitter) Compress(compress bool) *Emitter {
	c := e.clone()
	c.flags.Compress = &compress
	return c
}

func (e *Emitter) clone() *Emitter {
	c := *e
	return &c
}

// addUnique appends the names not yet in dst, in order (like a JavaScript Set).
func addUnique(dst, names []string) []string {
	for _, n := range names {
		if !slices.Contains(dst, n) {
			dst = append(dst, n)
		}
	}
	return dst
}

// Emit sends the event with its arguments to the targeted clients of every server.
// Arguments are any values that encode as JSON would (structs by their json tags), with
// []byte sent as binary, nested or not.
func (e *Emitter) Emit(ctx context.Context, event string, args ...any) error {
	if reservedEvents[event] {
		return fmt.Errorf("%w: %q", ErrReservedEvent, event)
	}
	data, err := normalizeArgs(append([]any{event}, args...))
	if err != nil {
		return err
	}
	msg, err := encodeEmitterBroadcast(
		wirePacket{Type: packetEvent, Data: data, NSP: e.nsp},
		wireOpts{Rooms: e.rooms, Except: e.except, Flags: e.flags})
	if err != nil {
		return err
	}
	return e.publish(ctx, e.ch.broadcastChannel(e.rooms), msg)
}

// SocketsJoin makes the targeted sockets of every server join the rooms.
func (e *Emitter) SocketsJoin(ctx context.Context, rooms ...string) error {
	return e.request(ctx, &classicRequest{Type: reqRemoteJoin, Opts: e.opts(), Rooms: nonNil(rooms)})
}

// SocketsLeave makes the targeted sockets of every server leave the rooms.
func (e *Emitter) SocketsLeave(ctx context.Context, rooms ...string) error {
	return e.request(ctx, &classicRequest{Type: reqRemoteLeave, Opts: e.opts(), Rooms: nonNil(rooms)})
}

// DisconnectSockets disconnects the targeted sockets of every server; close also closes
// their underlying connections (every namespace of those clients).
func (e *Emitter) DisconnectSockets(ctx context.Context, close bool) error {
	return e.request(ctx, &classicRequest{Type: reqRemoteDisconnect, Opts: e.opts(), Close: close})
}

// ServerSideEmit sends the event to the server-side listeners of the namespace on every
// server. Acknowledgements are not supported (as in Node). The classic adapter carries
// server-side events as JSON: a []byte argument arrives as Node's serialised Buffer
// ({"type":"Buffer","data":[...]}), not as binary. Rooms and flags do not apply.
func (e *Emitter) ServerSideEmit(ctx context.Context, event string, args ...any) error {
	tree, err := toTree(append([]any{event}, args...))
	if err != nil {
		return err
	}
	data, _ := tree.([]any)
	return e.request(ctx, &classicRequest{Type: reqServerSideEmit, UID: emitterUID, Data: data})
}

func (e *Emitter) opts() *wireOpts {
	return &wireOpts{Rooms: nonNil(e.rooms), Except: nonNil(e.except)}
}

func (e *Emitter) request(ctx context.Context, r *classicRequest) error {
	msg, err := encodeClassicRequest(r)
	if err != nil {
		return err
	}
	return e.publish(ctx, e.ch.request, msg)
}

func (e *Emitter) publish(ctx context.Context, channel string, msg []byte) error {
	if err := e.pub.Publish(ctx, channel, msg).Err(); err != nil {
		return fmt.Errorf("redisadapter: publishing to %s: %w", channel, err)
	}
	return nil
}
