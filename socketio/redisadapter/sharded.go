package redisadapter

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/parley-go/parley/socketio"
)

// shardedAdapter is the namespace adapter of the sharded variant (createShardedAdapter,
// redis-adapter-protocol.md §4): ClusterAdapter messages on SPUBLISH/SSUBSCRIBE.
type shardedAdapter struct {
	clusterAdapter
	hub  *hub
	opts Options
	main string // P#NSP#
	sub  subscription

	mu    sync.Mutex
	rooms map[string]bool // room channels subscribed (dynamic modes)
}

func newSharded(h *hub, host socketio.AdapterHost, opts Options) socketio.Adapter {
	a := &shardedAdapter{hub: h, opts: opts, rooms: map[string]bool{}}
	a.init(host, socketio.NewMemoryAdapter(host), opts.RequestsTimeout, h.log)
	a.tr = a
	a.join, a.leave = a.localJoin, a.localLeave
	a.main = opts.Key + "#" + host.Name() + "#"
	a.sub = subscription{shardChannels: []string{a.main, a.main + a.uid + "#"}}
	h.subscribe(a.sub, a.onRedis)
	return a
}

func (a *shardedAdapter) onRedis(m *redis.Message) {
	msg, err := decodeClusterMessage([]byte(m.Payload))
	if err != nil {
		a.log.Debug("redisadapter: dropping a malformed message", "err", err)
		return
	}
	a.onMessage(msg, "")
}

func (a *shardedAdapter) send(t clusterType, data any, rooms []string, withAck bool) {
	ch := a.main
	if t == clBroadcast {
		ch = shardedBroadcastChannel(a.opts.Key, a.host.Name(), a.opts.SubscriptionMode, rooms, withAck)
	}
	a.publish(ch, t, data)
}

func (a *shardedAdapter) respond(uid string, t clusterType, data any) {
	a.publish(a.main+uid+"#", t, data)
}

func (a *shardedAdapter) publish(ch string, t clusterType, data any) {
	msg, err := encodeShardedMessage(t, a.uid, a.host.Name(), data)
	if err != nil {
		a.log.Error("redisadapter: encoding a message", "err", err)
		return
	}
	a.hub.publish(ch, msg, true)
}

func (a *shardedAdapter) serverCount(ctx context.Context) (int, error) {
	return numSub(ctx, a.hub.client, a.main, true)
}

// public reports whether a room gets its own channel in the subscription mode.
func (a *shardedAdapter) public(id, room string) bool {
	switch a.opts.SubscriptionMode {
	case "dynamic-private":
		return true
	case "dynamic":
		return room != id
	}
	return false
}

// AddAll adds the socket to the rooms and, in the dynamic modes, subscribes to the
// channels of rooms new on this server before returning.
func (a *shardedAdapter) AddAll(id string, rooms []string) {
	var fresh []string
	for _, r := range rooms {
		if a.public(id, r) && len(a.MemoryAdapter.Sockets([]string{r})) == 0 {
			fresh = append(fresh, r)
		}
	}
	a.MemoryAdapter.AddAll(id, rooms)
	a.mu.Lock()
	var chans []string
	for _, r := range fresh {
		if !a.rooms[r] {
			a.rooms[r] = true
			chans = append(chans, a.main+r+"#")
		}
	}
	a.mu.Unlock()
	if len(chans) > 0 {
		a.hub.subscribe(subscription{shardChannels: chans}, a.onRedis)
	}
}

// Del removes the socket from the room (and unsubscribes from a room that disappeared).
func (a *shardedAdapter) Del(id, room string) {
	a.MemoryAdapter.Del(id, room)
	a.dropEmpty([]string{room})
}

// DelAll removes the socket from every room.
func (a *shardedAdapter) DelAll(id string) {
	rooms := a.MemoryAdapter.SocketRooms(id)
	a.MemoryAdapter.DelAll(id)
	a.dropEmpty(rooms)
}

func (a *shardedAdapter) dropEmpty(rooms []string) {
	var chans []string
	a.mu.Lock()
	for _, r := range rooms {
		if a.rooms[r] && len(a.MemoryAdapter.Sockets([]string{r})) == 0 {
			delete(a.rooms, r)
			chans = append(chans, a.main+r+"#")
		}
	}
	a.mu.Unlock()
	if len(chans) > 0 {
		a.hub.unsubscribe(subscription{shardChannels: chans})
	}
}

func (a *shardedAdapter) localJoin(opts socketio.BroadcastOptions, rooms []string) {
	for _, s := range a.localIDs(opts) {
		a.AddAll(s, rooms)
	}
}

func (a *shardedAdapter) localLeave(opts socketio.BroadcastOptions, rooms []string) {
	for _, s := range a.localIDs(opts) {
		for _, r := range rooms {
			a.Del(s, r)
		}
	}
}

// AddSockets makes the selected sockets of every server join the rooms (locally through
// AddAll, so that room channels follow).
func (a *shardedAdapter) AddSockets(opts socketio.BroadcastOptions, rooms []string) {
	a.localJoin(opts, rooms)
	if !opts.Flags.Local {
		a.send(clSocketsJoin, clusterRoomsData{Opts: toWireOpts(opts), Rooms: rooms}, nil, false)
	}
}

// DelSockets makes the selected sockets of every server leave the rooms.
func (a *shardedAdapter) DelSockets(opts socketio.BroadcastOptions, rooms []string) {
	a.localLeave(opts, rooms)
	if !opts.Flags.Local {
		a.send(clSocketsLeave, clusterRoomsData{Opts: toWireOpts(opts), Rooms: rooms}, nil, false)
	}
}

func (a *shardedAdapter) localIDs(opts socketio.BroadcastOptions) []string {
	socks, _ := a.MemoryAdapter.FetchSockets(context.Background(), socketio.BroadcastOptions{Rooms: opts.Rooms, Except: opts.Except})
	ids := make([]string, len(socks))
	for i, s := range socks {
		ids[i] = s.ID
	}
	return ids
}

// Close unsubscribes the namespace.
func (a *shardedAdapter) Close() error {
	a.mu.Lock()
	for r := range a.rooms {
		a.sub.shardChannels = append(a.sub.shardChannels, a.main+r+"#")
	}
	a.rooms = map[string]bool{}
	a.mu.Unlock()
	a.hub.unsubscribe(a.sub)
	a.pending.removeAll()
	err := a.MemoryAdapter.Close()
	a.hub.release()
	return err
}
