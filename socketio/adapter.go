package socketio

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/parley-go/parley/internal/engineio"
)

// Adapter keeps the rooms of one namespace and delivers its broadcasts: the seam between a
// namespace and the other servers of a cluster. MemoryAdapter is the single-server
// implementation; a cluster adapter (socketio/redisadapter) embeds a *MemoryAdapter for local
// delivery and overrides the operations that must also reach other servers.
//
// Every method may be called from many goroutines at once, never with a lock of this package
// held. Socket ids and room names are plain strings; every socket is in the room named by its
// own id. Methods without a context must not block on the network: a cluster adapter
// publishes and returns.
type Adapter interface {
	// AddAll adds the socket to the rooms.
	AddAll(id string, rooms []string)
	// Del removes the socket from the room.
	Del(id, room string)
	// DelAll removes the socket from every room (it is disconnecting).
	DelAll(id string)
	// SocketRooms returns the rooms of a local socket (nil if unknown).
	SocketRooms(id string) []string
	// Sockets returns the ids of the local sockets in any of the rooms (every socket when
	// rooms is empty).
	Sockets(rooms []string) []string

	// Broadcast sends the packet to the sockets selected by opts. It never waits for any
	// one recipient.
	Broadcast(p *Packet, opts BroadcastOptions) error
	// BroadcastWithAck sends the packet (whose ID is set) to the selected sockets, expecting
	// an acknowledgement from each. It calls clientCount once per server with the number of
	// sockets reached there, and ack for every answer, from any goroutine.
	BroadcastWithAck(p *Packet, opts BroadcastOptions, clientCount func(n int), ack func(Args)) error

	// FetchSockets describes the selected sockets (across the cluster, unless opts.Flags.Local).
	FetchSockets(ctx context.Context, opts BroadcastOptions) ([]*RemoteSocket, error)
	// AddSockets makes the selected sockets join the rooms.
	AddSockets(opts BroadcastOptions, rooms []string)
	// DelSockets makes the selected sockets leave the rooms.
	DelSockets(opts BroadcastOptions, rooms []string)
	// DisconnectSockets disconnects the selected sockets; close also closes their
	// underlying connections.
	DisconnectSockets(opts BroadcastOptions, close bool)

	// ServerSideEmit sends an event to the other servers of the cluster (a no-op alone).
	ServerSideEmit(p *Packet) error
	// ServerSideEmitWithAck sends an event to the other servers and returns one answer per
	// server (none alone), or an error wrapping ErrAckTimeout with the answers received when
	// ctx ends first.
	ServerSideEmitWithAck(ctx context.Context, p *Packet) ([]Args, error)
	// ServerCount returns the number of servers of the cluster (1 alone).
	ServerCount(ctx context.Context) (int, error)
	// AllRooms returns the names of every room of the namespace, socket-id rooms included
	// (across the cluster for cluster adapters).
	AllRooms(ctx context.Context) ([]string, error)

	// PersistSession keeps the state of a socket that disconnected for a recoverable reason
	// (connection state recovery).
	PersistSession(s *PersistedSession)
	// RestoreSession returns the persisted session pid with the packets it missed after
	// offset, or nil when it cannot be recovered.
	RestoreSession(ctx context.Context, pid, offset string) (*PersistedSession, error)

	// Close releases the adapter's resources (the server is closing).
	Close() error
}

// AdapterHost is what an adapter sees of its namespace. Only this package implements it.
type AdapterHost interface {
	// Name returns the namespace name ("/", "/admin").
	Name() string
	// Logger returns the server's logger.
	Logger() *slog.Logger
	// Recovery returns the connection state recovery options, nil when recovery is off.
	Recovery() *RecoveryOptions
	// DispatchServerSideEmit runs the namespace's OnServerSideEmit handlers for an event sent
	// by another server. reply, when non-nil, sends the handler's acknowledgement back.
	DispatchServerSideEmit(event string, args Args, reply func(args []any) error)

	namespace() *Namespace
}

// BroadcastOptions select the recipients of a broadcast and how it is sent.
type BroadcastOptions struct {
	// Rooms: union of the members of these rooms; empty means every socket of the namespace.
	Rooms []string
	// Except: members of these rooms are excluded.
	Except []string
	// Flags modify the delivery.
	Flags BroadcastFlags
}

// BroadcastFlags modify the delivery of a broadcast.
type BroadcastFlags struct {
	// Volatile packets are dropped for recipients that cannot take them at once.
	Volatile bool
	// Compress, when non-nil, asks for (or against) compression. Advisory.
	Compress *bool
	// Local keeps the operation on this server (cluster adapters do not forward it).
	Local bool
	// Timeout bounds the wait for acknowledgements (zero: only the caller's context).
	Timeout time.Duration
}

// NoAckID is the Packet.ID of a packet that expects no acknowledgement.
const NoAckID int64 = -1

// Packet is an event on its way to many sockets: the event name and arguments as Go values
// (so that a cluster adapter can serialise them in its own format) plus the encoded form,
// computed once and shared by every local recipient. Treat it as immutable once built.
type Packet struct {
	// Event is the event name.
	Event string
	// Args are the event's arguments.
	Args []any
	// ID is the acknowledgement id of a broadcast with acknowledgements, NoAckID otherwise.
	ID int64
	// Offset, when set, is appended as a last argument (connection state recovery: the
	// client remembers the offset of the last packet it received).
	Offset string

	once sync.Once
	nsp  string
	msgs []engineio.Message
	err  error
}

// NewPacket returns a packet of the event with the arguments and no acknowledgement.
func NewPacket(event string, args ...any) *Packet {
	return &Packet{Event: event, Args: args, ID: NoAckID}
}

// encoded returns the engine messages of p for the namespace, encoding them on first use.
func (p *Packet) encoded(nsp string) ([]engineio.Message, error) {
	p.once.Do(func() {
		p.nsp = nsp
		p.msgs, p.err = encodeEvent(nsp, p.ID, p.Event, p.Args, p.Offset)
	})
	if p.err == nil && p.nsp != nsp {
		return encodeEvent(nsp, p.ID, p.Event, p.Args, p.Offset)
	}
	return p.msgs, p.err
}

// withOffset returns a copy of p (not yet encoded) carrying the offset.
func (p *Packet) withOffset(offset string) *Packet {
	return &Packet{Event: p.Event, Args: p.Args, ID: p.ID, Offset: offset}
}

// Handshake is what the client told when it connected: the Engine.IO handshake request and
// the namespace CONNECT packet's auth payload.
type Handshake struct {
	// Header holds the handshake request's headers.
	Header http.Header
	// Query holds the handshake URL's query parameters.
	Query url.Values
	// Auth is the JSON of the CONNECT packet's payload ({} when the client sent none).
	Auth json.RawMessage
	// Time is when the connection was made.
	Time time.Time
	// Address is the client's IP address.
	Address string
	// XDomain reports whether the request was cross-origin (it had an Origin header).
	XDomain bool
	// Secure reports whether the connection uses TLS.
	Secure bool
	// URL is the handshake request's URI.
	URL string
}

// BindAuth decodes the auth payload into dst, as json.Unmarshal does.
func (h *Handshake) BindAuth(dst any) error {
	if len(h.Auth) == 0 {
		return json.Unmarshal([]byte("{}"), dst)
	}
	return json.Unmarshal(h.Auth, dst)
}

// PersistedSession is the state of a disconnected socket kept for connection state recovery.
type PersistedSession struct {
	// SID is the socket id, PID the private session id the client presents.
	SID, PID string
	// Rooms the socket was in (its own id included).
	Rooms []string
	// Data is the socket's Data().
	Data any
	// DisconnectedAt is when the socket disconnected.
	DisconnectedAt time.Time
	// MissedPackets are filled by RestoreSession: what the client did not receive, each
	// with its Offset set, oldest first.
	MissedPackets []*Packet
}

// adapterHost is the AdapterHost of a namespace.
type adapterHost struct{ nsp *Namespace }

func (h adapterHost) Name() string               { return h.nsp.name }
func (h adapterHost) Logger() *slog.Logger       { return h.nsp.srv.log }
func (h adapterHost) Recovery() *RecoveryOptions { return h.nsp.srv.opts.ConnectionStateRecovery }
func (h adapterHost) namespace() *Namespace      { return h.nsp }
func (h adapterHost) DispatchServerSideEmit(event string, args Args, reply func([]any) error) {
	h.nsp.dispatchServerSideEmit(event, args, reply)
}
