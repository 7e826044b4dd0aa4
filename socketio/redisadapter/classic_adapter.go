package redisadapter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/redis/go-redis/v9"

	"github.com/parley-go/parley/socketio"
)

// classicAdapter is the adapter of one namespace on the classic protocol
// (redis-adapter-protocol.md §2): the embedded MemoryAdapter does the local part.
type classicAdapter struct {
	*socketio.MemoryAdapter
	host socketio.AdapterHost
	hub  *hub
	opts Options
	uid  string
	ch   classicChannels
	sub  subscription
	log  *slog.Logger

	pending pendingSet[*classicResponse]
}

func newClassic(h *hub, host socketio.AdapterHost, opts Options) *classicAdapter {
	a := &classicAdapter{
		MemoryAdapter: socketio.NewMemoryAdapter(host),
		host:          host,
		hub:           h,
		opts:          opts,
		uid:           newUID(6),
		ch:            newClassicChannels(opts.Key, host.Name()),
	}
	a.log = h.log.With("nsp", host.Name(), "uid", a.uid)
	a.sub = subscription{
		patterns: []string{a.ch.broadcast + "*"},
		channels: []string{a.ch.request, a.ch.response, a.ch.specificResponse(a.uid)},
	}
	h.subscribe(a.sub, a.onMessage)
	return a
}

func (a *classicAdapter) publish(channel string, msg []byte, err error) {
	if err != nil {
		a.log.Error("redisadapter: encoding a message", "err", err)
		return
	}
	a.hub.publish(channel, msg, false)
}

// Broadcast delivers locally and publishes the packet to the other servers (unless Local).
func (a *classicAdapter) Broadcast(p *socketio.Packet, opts socketio.BroadcastOptions) error {
	if err := a.MemoryAdapter.Broadcast(p, opts); err != nil {
		return err
	}
	if opts.Flags.Local {
		return nil
	}
	data, err := eventData(p)
	if err != nil {
		return err
	}
	msg, err := encodeClassicBroadcast(a.uid, wirePacket{Type: packetEvent, Data: data, NSP: a.host.Name()}, toWireOpts(opts))
	if err != nil {
		return err
	}
	a.hub.publish(a.ch.broadcastChannel(opts.Rooms), msg, false)
	return nil
}

// BroadcastWithAck delivers locally and asks the other servers (BROADCAST request): each
// answers with its client count, then with one acknowledgement per client.
func (a *classicAdapter) BroadcastWithAck(p *socketio.Packet, opts socketio.BroadcastOptions, clientCount func(int), ack func(socketio.Args)) error {
	if err := a.MemoryAdapter.BroadcastWithAck(p, opts, clientCount, ack); err != nil {
		return err
	}
	if opts.Flags.Local {
		return nil
	}
	data, err := eventData(p)
	if err != nil {
		return err
	}
	timeout := opts.Flags.Timeout
	if timeout <= 0 {
		timeout = a.opts.RequestsTimeout
	}
	wo := toWireOpts(opts)
	ms := timeout.Milliseconds()
	wo.Flags.Timeout = &ms
	id := newUID(6)
	msg, err := encodeClassicRequest(&classicRequest{Type: reqBroadcast, UID: a.uid, RequestID: id, HasRequestID: true,
		Packet: &wirePacket{Type: packetEvent, Data: data, NSP: a.host.Name()}, Opts: &wo})
	if err != nil {
		return err
	}
	pend := a.pending.add(id, func(r *classicResponse) bool {
		switch r.Type {
		case reqBroadcastClientCount:
			clientCount(int(r.ClientCount))
		case reqBroadcastAck:
			ack(socketio.NewArgs(r.Packet))
		}
		return false
	})
	a.pending.expireAfter(id, pend, timeout)
	a.hub.publish(a.ch.request, msg, false)
	return nil
}

// servers returns the number of servers of the namespace (PUBSUB NUMSUB of the request
// channel, this one included).
func (a *classicAdapter) servers(ctx context.Context) (int, error) {
	n, err := numSub(ctx, a.hub.client, a.ch.request, false)
	if err != nil {
		return 0, fmt.Errorf("redisadapter: counting the servers: %w", err)
	}
	return n, nil
}

// ask publishes a request answered by every other server and collects the answers with
// fn until n-1 have come or the deadline passes.
func (a *classicAdapter) ask(ctx context.Context, what string, r *classicRequest, fn func(*classicResponse)) error {
	ctx, cancel := requestCtx(ctx, a.opts.RequestsTimeout)
	defer cancel()
	n, err := a.servers(ctx)
	if err != nil {
		return err
	}
	if n <= 1 {
		return nil
	}
	r.UID, r.RequestID, r.HasRequestID = a.uid, newUID(6), true
	msg, err := encodeClassicRequest(r)
	if err != nil {
		return err
	}
	got := 0
	pend := a.pending.add(r.RequestID, func(resp *classicResponse) bool {
		got++
		fn(resp)
		return got >= n-1
	})
	a.hub.publish(a.ch.request, msg, false)
	if err := a.pending.wait(ctx, r.RequestID, pend); err != nil {
		pend.mu.Lock()
		defer pend.mu.Unlock()
		return fmt.Errorf("redisadapter: timeout reached while waiting for %s response (%d of %d): %w", what, got, n-1, err)
	}
	return nil
}

// FetchSockets describes the selected sockets of every server.
func (a *classicAdapter) FetchSockets(ctx context.Context, opts socketio.BroadcastOptions) ([]*socketio.RemoteSocket, error) {
	out, _ := a.MemoryAdapter.FetchSockets(ctx, opts)
	if opts.Flags.Local {
		return out, nil
	}
	wo := toWireOpts(opts)
	err := a.ask(ctx, "fetchSockets", &classicRequest{Type: reqRemoteFetch, Opts: &wireOpts{Rooms: wo.Rooms, Except: wo.Except}},
		func(r *classicResponse) {
			for _, s := range r.Sockets {
				if rs, ok := remoteSocket(a.host, s); ok {
					out = append(out, rs)
				}
			}
		})
	return out, err
}

// AllRooms returns the rooms of every server, sorted.
func (a *classicAdapter) AllRooms(ctx context.Context) ([]string, error) {
	local, _ := a.MemoryAdapter.AllRooms(ctx)
	set := make(map[string]struct{}, len(local))
	for _, r := range local {
		set[r] = struct{}{}
	}
	err := a.ask(ctx, "allRooms", &classicRequest{Type: reqAllRooms}, func(r *classicResponse) {
		for _, room := range r.Rooms {
			set[room] = struct{}{}
		}
	})
	out := make([]string, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	slices.Sort(out)
	return out, err
}

// ServerCount returns the number of servers of the namespace.
func (a *classicAdapter) ServerCount(ctx context.Context) (int, error) {
	ctx, cancel := requestCtx(ctx, a.opts.RequestsTimeout)
	defer cancel()
	return a.servers(ctx)
}

// AddSockets makes the selected sockets of every server join the rooms.
func (a *classicAdapter) AddSockets(opts socketio.BroadcastOptions, rooms []string) {
	a.MemoryAdapter.AddSockets(opts, rooms)
	a.remote(reqRemoteJoin, opts, rooms, false)
}

// DelSockets makes the selected sockets of every server leave the rooms.
func (a *classicAdapter) DelSockets(opts socketio.BroadcastOptions, rooms []string) {
	a.MemoryAdapter.DelSockets(opts, rooms)
	a.remote(reqRemoteLeave, opts, rooms, false)
}

// DisconnectSockets disconnects the selected sockets of every server.
func (a *classicAdapter) DisconnectSockets(opts socketio.BroadcastOptions, close bool) {
	a.MemoryAdapter.DisconnectSockets(opts, close)
	a.remote(reqRemoteDisconnect, opts, nil, close)
}

// remote publishes a join, leave or disconnect request; this server applied it already and
// drops its echo by uid.
func (a *classicAdapter) remote(t requestType, opts socketio.BroadcastOptions, rooms []string, close bool) {
	if opts.Flags.Local {
		return
	}
	wo := toWireOpts(opts)
	msg, err := encodeClassicRequest(&classicRequest{Type: t, UID: a.uid, Opts: &wireOpts{Rooms: wo.Rooms, Except: wo.Except},
		Rooms: nonNil(rooms), Close: close})
	a.publish(a.ch.request, msg, err)
}

// ServerSideEmit sends the event to the other servers.
func (a *classicAdapter) ServerSideEmit(p *socketio.Packet) error {
	data, err := sseData(p)
	if err != nil {
		return err
	}
	msg, err := encodeClassicRequest(&classicRequest{Type: reqServerSideEmit, UID: a.uid, Data: data})
	if err != nil {
		return err
	}
	a.hub.publish(a.ch.request, msg, false)
	return nil
}

// sseData is [event, ...args] as the JSON tree of a server-side emit.
func sseData(p *socketio.Packet) ([]any, error) {
	tree, err := toTree(append([]any{p.Event}, p.Args...))
	if err != nil {
		return nil, err
	}
	data, _ := tree.([]any)
	return data, nil
}

// ServerSideEmitWithAck sends the event to the other servers and returns their answers.
func (a *classicAdapter) ServerSideEmitWithAck(ctx context.Context, p *socketio.Packet) ([]socketio.Args, error) {
	data, err := sseData(p)
	if err != nil {
		return nil, err
	}
	var out []socketio.Args
	err = a.ask(ctx, "serverSideEmit", &classicRequest{Type: reqServerSideEmit, Data: data}, func(r *classicResponse) {
		out = append(out, socketio.NewArgs(r.Data))
	})
	if err != nil && errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w: %w", socketio.ErrAckTimeout, err)
	}
	return out, err
}

// Close unsubscribes the namespace and forgets its pending requests.
func (a *classicAdapter) Close() error {
	a.hub.unsubscribe(a.sub)
	a.pending.removeAll()
	err := a.MemoryAdapter.Close()
	a.hub.release()
	return err
}

// onMessage handles what the subscriber connection received for this namespace.
func (a *classicAdapter) onMessage(m *redis.Message) {
	switch m.Channel {
	case a.ch.request:
		a.onRequest([]byte(m.Payload))
	case a.ch.response, a.ch.specificResponse(a.uid):
		r, err := decodeClassicResponse([]byte(m.Payload))
		if err != nil {
			a.log.Debug("redisadapter: dropping a malformed response", "err", err)
			return
		}
		a.pending.deliver(r.RequestID, r)
	default:
		a.onBroadcast(m.Channel, []byte(m.Payload))
	}
}

func (a *classicAdapter) onBroadcast(channel string, payload []byte) {
	room, ok := a.ch.roomOf(channel)
	if !ok {
		return
	}
	if room != "" && len(a.MemoryAdapter.Sockets([]string{room})) == 0 {
		return
	}
	b, err := decodeClassicBroadcast(payload)
	if err != nil {
		a.log.Debug("redisadapter: dropping a malformed broadcast", "err", err)
		return
	}
	if b.UID == a.uid || b.Packet.NSP != a.host.Name() {
		return
	}
	p, ok := packetOf(b.Packet.Data)
	if !ok {
		return
	}
	if err := a.MemoryAdapter.Broadcast(p, fromWireOpts(b.Opts)); err != nil {
		a.log.Warn("redisadapter: delivering a broadcast", "err", err)
	}
}

// responseChannel is where this server answers a request of the server uid.
func (a *classicAdapter) responseChannel(uid string) string {
	if a.opts.PublishOnSpecificResponseChannel && uid != "" {
		return a.ch.specificResponse(uid)
	}
	return a.ch.response
}

func (a *classicAdapter) onRequest(payload []byte) {
	r, err := decodeClassicRequest(payload)
	if err != nil {
		a.log.Debug("redisadapter: dropping a malformed request", "err", err)
		return
	}
	local := context.Background()
	switch r.Type {
	case reqSockets:
		if a.pending.has(r.RequestID) {
			return
		}
		msg, err := encodeSocketsResponse(r.RequestID, nonNil(a.MemoryAdapter.Sockets(r.Rooms)))
		a.publish(a.responseChannel(r.UID), msg, err)
	case reqAllRooms:
		if a.pending.has(r.RequestID) {
			return
		}
		rooms, _ := a.MemoryAdapter.AllRooms(local)
		msg, err := encodeAllRoomsResponse(r.RequestID, rooms)
		a.publish(a.responseChannel(r.UID), msg, err)
	case reqRemoteJoin, reqRemoteLeave, reqRemoteDisconnect:
		if r.UID == a.uid {
			return // applied when sent
		}
		a.applyRemote(r)
	case reqRemoteFetch:
		if a.pending.has(r.RequestID) {
			return
		}
		socks, _ := a.MemoryAdapter.FetchSockets(local, fromWireOpts(*r.Opts))
		ws := make([]wireSocket, len(socks))
		for i, s := range socks {
			ws[i] = describe(s)
		}
		msg, err := encodeFetchResponse(r.RequestID, ws)
		a.publish(a.responseChannel(r.UID), msg, err)
	case reqServerSideEmit:
		if r.UID == a.uid {
			return
		}
		var reply func([]any) error
		if r.HasRequestID {
			id := r.RequestID
			reply = func(vals []any) error {
				msg, err := encodeServerSideEmitResponse(id, firstArg(vals))
				if err != nil {
					return err
				}
				a.hub.publish(a.ch.response, msg, false) // always the shared channel, as Node
				return nil
			}
		}
		ev, _ := r.Data[0].(string)
		a.host.DispatchServerSideEmit(ev, socketio.NewArgs(r.Data[1:]...), reply)
	case reqBroadcast:
		if a.pending.has(r.RequestID) {
			return
		}
		a.answerBroadcast(r)
	}
}

func (a *classicAdapter) applyRemote(r *classicRequest) {
	if r.Opts == nil { // legacy single-socket form
		if r.SID == "" || a.MemoryAdapter.SocketRooms(r.SID) == nil {
			return
		}
		switch r.Type {
		case reqRemoteJoin:
			a.MemoryAdapter.AddAll(r.SID, []string{r.Room})
		case reqRemoteLeave:
			a.MemoryAdapter.Del(r.SID, r.Room)
		case reqRemoteDisconnect:
			a.MemoryAdapter.DisconnectSockets(socketio.BroadcastOptions{Rooms: []string{r.SID}}, r.Close)
		}
		if r.HasRequestID {
			msg, err := newJSONObject().str("requestId", r.RequestID).bytes()
			a.publish(a.responseChannel(r.UID), msg, err)
		}
		return
	}
	opts := fromWireOpts(*r.Opts)
	switch r.Type {
	case reqRemoteJoin:
		a.MemoryAdapter.AddSockets(opts, r.Rooms)
	case reqRemoteLeave:
		a.MemoryAdapter.DelSockets(opts, r.Rooms)
	case reqRemoteDisconnect:
		a.MemoryAdapter.DisconnectSockets(opts, r.Close)
	}
}

// answerBroadcast delivers another server's broadcast-with-ack locally, answers with the
// client count (even 0), then with one BROADCAST_ACK per client acknowledgement.
func (a *classicAdapter) answerBroadcast(r *classicRequest) {
	p, ok := packetOf(r.Packet.Data)
	if !ok {
		return
	}
	p.ID = a.host.NextAckID()
	id, ch := r.RequestID, a.responseChannel(r.UID)
	err := a.MemoryAdapter.BroadcastWithAck(p, fromWireOpts(*r.Opts),
		func(n int) {
			msg, err := encodeClientCountResponse(id, n)
			a.publish(ch, msg, err)
		},
		func(args socketio.Args) {
			vals, err := args.Values()
			if err != nil {
				a.log.Warn("redisadapter: decoding an acknowledgement", "err", err)
			}
			msg, err := encodeBroadcastAckResponse(id, firstArg(vals))
			a.publish(ch, msg, err)
		})
	if err != nil {
		a.log.Warn("redisadapter: delivering a broadcast with ack", "err", err)
	}
}

var _ socketio.Adapter = (*classicAdapter)(nil)
