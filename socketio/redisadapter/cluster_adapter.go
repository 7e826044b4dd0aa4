package redisadapter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/parley-go/parley/socketio"
)

// clusterTransport is how a clusterAdapter reaches the other servers: the sharded Pub/Sub
// or the streams adapter.
type clusterTransport interface {
	// send publishes a message to every other server of the namespace.
	send(t clusterType, data any, rooms []string, withAck bool)
	// respond publishes a response to the server with that uid.
	respond(uid string, t clusterType, data any)
	// serverCount returns the number of servers of the namespace, this one included.
	serverCount(ctx context.Context) (int, error)
}

// clusterAdapter is the namespace adapter of the socket.io-adapter ClusterAdapter
// protocol (redis-adapter-protocol.md §6), shared by the sharded and streams adapters.
type clusterAdapter struct {
	*socketio.MemoryAdapter
	host    socketio.AdapterHost
	uid     string
	timeout time.Duration
	log     *slog.Logger
	tr      clusterTransport
	// broadcast, when set, replaces send for plain broadcasts (streams: the stream entry id
	// becomes the local packet's offset).
	broadcast func(p *socketio.Packet, opts socketio.BroadcastOptions, data clusterBroadcastData) error
	// join and leave, when set, apply another server's SOCKETS_JOIN/LEAVE locally (the
	// sharded adapter follows room channels).
	join, leave func(opts socketio.BroadcastOptions, rooms []string)

	pending pendingSet[*clusterMessage]
}

func (a *clusterAdapter) init(host socketio.AdapterHost, mem *socketio.MemoryAdapter, timeout time.Duration, log *slog.Logger) {
	a.MemoryAdapter, a.host, a.uid, a.timeout = mem, host, newClusterUID(), timeout
	a.log = log.With("nsp", host.Name(), "uid", a.uid)
}

func broadcastData(p *socketio.Packet, opts socketio.BroadcastOptions) (clusterBroadcastData, error) {
	data, err := eventData(p)
	return clusterBroadcastData{Packet: clusterPacket{Type: packetEvent, Data: data}, Opts: toWireOpts(opts)}, err
}

// Broadcast delivers locally and sends the packet to the other servers (unless Local).
func (a *clusterAdapter) Broadcast(p *socketio.Packet, opts socketio.BroadcastOptions) error {
	if opts.Flags.Local {
		return a.MemoryAdapter.Broadcast(p, opts)
	}
	d, err := broadcastData(p, opts)
	if err != nil {
		return err
	}
	if a.broadcast != nil {
		return a.broadcast(p, opts, d)
	}
	if err := a.MemoryAdapter.Broadcast(p, opts); err != nil {
		return err
	}
	a.tr.send(clBroadcast, d, opts.Rooms, false)
	return nil
}

// BroadcastWithAck delivers locally and asks the other servers for counts and acks.
func (a *clusterAdapter) BroadcastWithAck(p *socketio.Packet, opts socketio.BroadcastOptions, clientCount func(int), ack func(socketio.Args)) error {
	if err := a.MemoryAdapter.BroadcastWithAck(p, opts, clientCount, ack); err != nil || opts.Flags.Local {
		return err
	}
	d, err := broadcastData(p, opts)
	if err != nil {
		return err
	}
	timeout := opts.Flags.Timeout
	if timeout <= 0 {
		timeout = a.timeout
	}
	d.RequestID = newClusterUID()
	pend := a.pending.add(d.RequestID, func(m *clusterMessage) bool {
		switch m.Type {
		case clBroadcastClientCount:
			n, _ := intOf(m.Data["clientCount"])
			clientCount(int(n))
		case clBroadcastAck:
			ack(socketio.NewArgs(m.Data["packet"]))
		}
		return false
	})
	a.pending.expireAfter(d.RequestID, pend, timeout)
	a.tr.send(clBroadcast, d, opts.Rooms, true)
	return nil
}

// ask sends a request answered by every other server and collects the answers.
func (a *clusterAdapter) ask(ctx context.Context, what string, t clusterType, data func(id string) any, fn func(*clusterMessage)) error {
	ctx, cancel := requestCtx(ctx, a.timeout)
	defer cancel()
	n, err := a.tr.serverCount(ctx)
	if err != nil {
		return fmt.Errorf("redisadapter: counting the servers: %w", err)
	}
	if n <= 1 {
		return nil
	}
	id := newClusterUID()
	got := 0
	pend := a.pending.add(id, func(m *clusterMessage) bool {
		got++
		fn(m)
		return got >= n-1
	})
	a.tr.send(t, data(id), nil, true)
	if err := a.pending.wait(ctx, id, pend); err != nil {
		pend.mu.Lock()
		defer pend.mu.Unlock()
		return fmt.Errorf("redisadapter: timeout reached while waiting for %s response (%d of %d): %w", what, got, n-1, err)
	}
	return nil
}

// FetchSockets describes the selected sockets of every server.
func (a *clusterAdapter) FetchSockets(ctx context.Context, opts socketio.BroadcastOptions) ([]*socketio.RemoteSocket, error) {
	out, _ := a.MemoryAdapter.FetchSockets(ctx, opts)
	if opts.Flags.Local {
		return out, nil
	}
	err := a.ask(ctx, "fetchSockets", clFetchSockets,
		func(id string) any { return clusterFetchData{Opts: toWireOpts(opts), RequestID: id} },
		func(m *clusterMessage) {
			list, _ := m.Data["sockets"].([]any)
			for _, s := range list {
				if rs, ok := remoteSocket(a.host, s); ok {
					out = append(out, rs)
				}
			}
		})
	return out, err
}

// AllRooms returns this server's rooms and errors.ErrUnsupported: the ClusterAdapter
// protocol has no request for the rooms of the other servers.
func (a *clusterAdapter) AllRooms(ctx context.Context) ([]string, error) {
	local, _ := a.MemoryAdapter.AllRooms(ctx)
	return local, fmt.Errorf("redisadapter: allRooms across servers: %w", errors.ErrUnsupported)
}

// ServerCount returns the number of servers of the namespace.
func (a *clusterAdapter) ServerCount(ctx context.Context) (int, error) {
	ctx, cancel := requestCtx(ctx, a.timeout)
	defer cancel()
	return a.tr.serverCount(ctx)
}

// AddSockets makes the selected sockets of every server join the rooms.
func (a *clusterAdapter) AddSockets(opts socketio.BroadcastOptions, rooms []string) {
	a.MemoryAdapter.AddSockets(opts, rooms)
	if !opts.Flags.Local {
		a.tr.send(clSocketsJoin, clusterRoomsData{Opts: toWireOpts(opts), Rooms: rooms}, nil, false)
	}
}

// DelSockets makes the selected sockets of every server leave the rooms.
func (a *clusterAdapter) DelSockets(opts socketio.BroadcastOptions, rooms []string) {
	a.MemoryAdapter.DelSockets(opts, rooms)
	if !opts.Flags.Local {
		a.tr.send(clSocketsLeave, clusterRoomsData{Opts: toWireOpts(opts), Rooms: rooms}, nil, false)
	}
}

// DisconnectSockets disconnects the selected sockets of every server.
func (a *clusterAdapter) DisconnectSockets(opts socketio.BroadcastOptions, close bool) {
	a.MemoryAdapter.DisconnectSockets(opts, close)
	if !opts.Flags.Local {
		a.tr.send(clDisconnectSockets, clusterDisconnectData{Opts: toWireOpts(opts), Close: close}, nil, false)
	}
}

// ServerSideEmit sends the event to the other servers.
func (a *clusterAdapter) ServerSideEmit(p *socketio.Packet) error {
	data, err := eventData(p)
	if err != nil {
		return err
	}
	a.tr.send(clServerSideEmit, clusterServerSideEmitData{Packet: data}, nil, false)
	return nil
}

// ServerSideEmitWithAck sends the event to the other servers and returns their answers.
func (a *clusterAdapter) ServerSideEmitWithAck(ctx context.Context, p *socketio.Packet) ([]socketio.Args, error) {
	data, err := eventData(p)
	if err != nil {
		return nil, err
	}
	var out []socketio.Args
	err = a.ask(ctx, "serverSideEmit", clServerSideEmit,
		func(id string) any { return clusterServerSideEmitData{RequestID: id, Packet: data} },
		func(m *clusterMessage) { out = append(out, socketio.NewArgs(m.Data["packet"])) })
	if err != nil && errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w: %w", socketio.ErrAckTimeout, err)
	}
	return out, err
}

// onMessage handles a message of another server; offset is the stream entry id of a
// broadcast read from a stream ("" otherwise).
func (a *clusterAdapter) onMessage(m *clusterMessage, offset string) {
	if m.UID == a.uid || m.NSP != a.host.Name() {
		return
	}
	d := m.Data
	opts := func() socketio.BroadcastOptions {
		om, _ := d["opts"].(map[string]any)
		return fromWireOpts(optsFromMap(om))
	}
	requestID, _ := d["requestId"].(string)
	switch m.Type {
	case clBroadcast:
		pm, _ := d["packet"].(map[string]any)
		data, _ := pm["data"].([]any)
		p, ok := packetOf(data)
		if !ok {
			return
		}
		if requestID == "" {
			o := opts()
			// As socket.io-adapter's addOffsetIfNecessary: a volatile packet carries no
			// offset (its sender delivered it locally without one, and Node's servers too).
			if !o.Flags.Volatile {
				p.Offset = offset
			}
			if err := a.MemoryAdapter.Broadcast(p, o); err != nil {
				a.log.Warn("redisadapter: delivering a broadcast", "err", err)
			}
			return
		}
		p.ID = a.host.NextAckID()
		_ = a.MemoryAdapter.BroadcastWithAck(p, opts(),
			func(n int) {
				a.tr.respond(m.UID, clBroadcastClientCount, clusterClientCountData{RequestID: requestID, ClientCount: int64(n)})
			},
			func(args socketio.Args) {
				vals, _ := args.Values()
				a.tr.respond(m.UID, clBroadcastAck, clusterAckData{RequestID: requestID, Packet: firstArg(vals)})
			})
	case clSocketsJoin:
		if a.join != nil {
			a.join(opts(), roomList(d["rooms"]))
		} else {
			a.MemoryAdapter.AddSockets(opts(), roomList(d["rooms"]))
		}
	case clSocketsLeave:
		if a.leave != nil {
			a.leave(opts(), roomList(d["rooms"]))
		} else {
			a.MemoryAdapter.DelSockets(opts(), roomList(d["rooms"]))
		}
	case clDisconnectSockets:
		a.MemoryAdapter.DisconnectSockets(opts(), truthy(d["close"]))
	case clFetchSockets:
		socks, _ := a.MemoryAdapter.FetchSockets(context.Background(), opts())
		list := make([]any, len(socks))
		for i, s := range socks {
			list[i] = socketTree(describe(s))
		}
		a.tr.respond(m.UID, clFetchSocketsResponse, clusterSocketsData{RequestID: requestID, Sockets: list})
	case clServerSideEmit:
		packet, _ := d["packet"].([]any)
		p, ok := packetOf(packet)
		if !ok {
			return
		}
		var reply func([]any) error
		if requestID != "" {
			reply = func(vals []any) error {
				a.tr.respond(m.UID, clServerSideEmitResponse, clusterAckData{RequestID: requestID, Packet: firstArg(vals)})
				return nil
			}
		}
		a.host.DispatchServerSideEmit(p.Event, socketio.NewArgs(p.Args...), reply)
	case clFetchSocketsResponse, clServerSideEmitResponse, clBroadcastClientCount, clBroadcastAck:
		a.pending.deliver(requestID, m)
	}
}

// clusterSocketsData is the data of a FETCH_SOCKETS_RESPONSE.
type clusterSocketsData struct {
	RequestID string `json:"requestId"`
	Sockets   []any  `json:"sockets"`
}

// socketTree is a socket description as a value tree (keys in Node's order).
func socketTree(s wireSocket) any {
	raw, err := s.encode()
	if err != nil {
		return nil
	}
	v, err := decodeJSONValue(raw)
	if err != nil {
		return nil
	}
	return v
}
