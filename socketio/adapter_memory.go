package socketio

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"
)

// MemoryAdapter is the Adapter of a single server: rooms in memory, broadcasts delivered to
// the local sockets, and (with Options.ConnectionStateRecovery) the sessions and packets kept
// for recovery. Cluster adapters embed it for their local part.
//
// Every socket is in the room named by its id; that room is implicit (it costs no storage):
// a socket with no other room is one map entry.
type MemoryAdapter struct {
	host AdapterHost
	nsp  *Namespace

	mu    sync.RWMutex
	rooms map[string]map[string]struct{} // named room -> socket ids (own-id rooms excluded)
	sids  map[string][]string            // socket id -> its named rooms (own id excluded)

	rec recoveryStore
}

// NewMemoryAdapter returns the in-memory adapter of the namespace.
func NewMemoryAdapter(host AdapterHost) *MemoryAdapter {
	a := &MemoryAdapter{
		host:  host,
		nsp:   host.namespace(),
		rooms: make(map[string]map[string]struct{}),
		sids:  make(map[string][]string),
	}
	if r := host.Recovery(); r != nil {
		a.rec.init(r)
	}
	return a
}

// AddAll adds the socket to the rooms.
func (a *MemoryAdapter) AddAll(id string, rooms []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	mine, known := a.sids[id]
	for _, r := range rooms {
		if r == id || slices.Contains(mine, r) {
			continue
		}
		mine = append(mine, r)
		m := a.rooms[r]
		if m == nil {
			m = make(map[string]struct{}, 1)
			a.rooms[r] = m
		}
		m[id] = struct{}{}
	}
	if !known || len(rooms) > 0 {
		a.sids[id] = mine
	}
}

// Del removes the socket from the room (a socket cannot leave its own-id room).
func (a *MemoryAdapter) Del(id, room string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	mine, ok := a.sids[id]
	if !ok {
		return
	}
	if i := slices.Index(mine, room); i >= 0 {
		mine = slices.Delete(mine, i, i+1)
		if len(mine) == 0 {
			mine = nil
		}
		a.sids[id] = mine
		a.delRoom(id, room)
	}
}

func (a *MemoryAdapter) delRoom(id, room string) {
	if m := a.rooms[room]; m != nil {
		delete(m, id)
		if len(m) == 0 {
			delete(a.rooms, room)
		}
	}
}

// DelAll removes the socket from every room.
func (a *MemoryAdapter) DelAll(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.sids[id] {
		a.delRoom(id, r)
	}
	delete(a.sids, id)
}

// SocketRooms returns the rooms of a local socket, sorted, its own id included (nil if
// unknown).
func (a *MemoryAdapter) SocketRooms(id string) []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	mine, ok := a.sids[id]
	if !ok {
		return nil
	}
	out := make([]string, 0, len(mine)+1)
	out = append(out, id)
	out = append(out, mine...)
	slices.Sort(out)
	return out
}

// Sockets returns the ids of the local sockets in any of the rooms (all when rooms is empty).
func (a *MemoryAdapter) Sockets(rooms []string) []string {
	return a.selectIDs(BroadcastOptions{Rooms: rooms}, nil)
}

// members calls fn for every socket in the room (a named room, or a socket's own-id room).
func (a *MemoryAdapter) members(room string, fn func(id string)) {
	for id := range a.rooms[room] {
		fn(id)
	}
	if _, ok := a.sids[room]; ok {
		if _, dup := a.rooms[room][room]; !dup {
			fn(room)
		}
	}
}

// selectIDs returns the ids of the local sockets selected by opts.
func (a *MemoryAdapter) selectIDs(opts BroadcastOptions, out []string) []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	var except map[string]struct{}
	if len(opts.Except) > 0 {
		except = make(map[string]struct{})
		for _, r := range opts.Except {
			a.members(r, func(id string) { except[id] = struct{}{} })
		}
	}
	add := func(id string) {
		if _, x := except[id]; !x {
			out = append(out, id)
		}
	}
	switch len(opts.Rooms) {
	case 0:
		for id := range a.sids {
			add(id)
		}
	case 1:
		a.members(opts.Rooms[0], add)
	default:
		seen := make(map[string]struct{})
		for _, r := range opts.Rooms {
			a.members(r, func(id string) {
				if _, dup := seen[id]; !dup {
					seen[id] = struct{}{}
					add(id)
				}
			})
		}
	}
	return out
}

var idSlices = sync.Pool{New: func() any { s := make([]string, 0, 64); return &s }}
var sockSlices = sync.Pool{New: func() any { s := make([]*Socket, 0, 64); return &s }}

// apply calls fn for every local socket selected by opts, with no adapter lock held.
func (a *MemoryAdapter) apply(opts BroadcastOptions, fn func(s *Socket)) {
	ids := idSlices.Get().(*[]string)
	socks := sockSlices.Get().(*[]*Socket)
	*ids = a.selectIDs(opts, (*ids)[:0])
	*socks = a.nsp.lookup(*ids, (*socks)[:0])
	for _, s := range *socks {
		fn(s)
	}
	clear(*ids)
	clear(*socks)
	if cap(*ids) <= 1<<16 {
		idSlices.Put(ids)
		sockSlices.Put(socks)
	}
}

// Broadcast delivers the packet to the selected local sockets, encoded once. With
// connection state recovery, a packet that expects no acknowledgement gets an offset and is
// kept for clients that reconnect.
func (a *MemoryAdapter) Broadcast(p *Packet, opts BroadcastOptions) error {
	if a.rec.on && !opts.Flags.Volatile && p.ID == NoAckID {
		p = a.rec.store(p, opts)
	}
	msgs, err := p.encoded(a.nsp.name)
	if err != nil {
		return err
	}
	volatile := opts.Flags.Volatile
	a.apply(opts, func(s *Socket) { s.deliver(msgs, volatile) })
	return nil
}

// BroadcastWithAck delivers the packet to the selected local sockets and routes their
// acknowledgements to ack.
func (a *MemoryAdapter) BroadcastWithAck(p *Packet, opts BroadcastOptions, clientCount func(int), ack func(Args)) error {
	msgs, err := p.encoded(a.nsp.name)
	if err != nil {
		return err
	}
	n := 0
	ent := ackEntry{fn: func(args Args, err error) {
		if err == nil {
			ack(args)
		}
	}}
	a.apply(opts, func(s *Socket) {
		if !s.addAck(p.ID, ent) { // false once the socket is disconnecting
			return
		}
		n++
		s.deliver(msgs, opts.Flags.Volatile)
	})
	clientCount(n)
	return nil
}

// FetchSockets describes the selected local sockets.
func (a *MemoryAdapter) FetchSockets(_ context.Context, opts BroadcastOptions) ([]*RemoteSocket, error) {
	var out []*RemoteSocket
	a.apply(opts, func(s *Socket) {
		out = append(out, &RemoteSocket{ID: s.id, Rooms: a.SocketRooms(s.id), Data: s.Data(), Handshake: s.handshake, nsp: a.nsp})
	})
	return out, nil
}

// AddSockets makes the selected local sockets join the rooms.
func (a *MemoryAdapter) AddSockets(opts BroadcastOptions, rooms []string) {
	a.apply(opts, func(s *Socket) { a.AddAll(s.id, rooms) })
}

// DelSockets makes the selected local sockets leave the rooms.
func (a *MemoryAdapter) DelSockets(opts BroadcastOptions, rooms []string) {
	a.apply(opts, func(s *Socket) {
		for _, r := range rooms {
			a.Del(s.id, r)
		}
	})
}

// DisconnectSockets disconnects the selected local sockets.
func (a *MemoryAdapter) DisconnectSockets(opts BroadcastOptions, close bool) {
	a.apply(opts, func(s *Socket) { s.Disconnect(close) })
}

// ServerSideEmit does nothing: there is no other server.
func (a *MemoryAdapter) ServerSideEmit(*Packet) error { return nil }

// ServerSideEmitWithAck returns no answers: there is no other server.
func (a *MemoryAdapter) ServerSideEmitWithAck(context.Context, *Packet) ([]Args, error) {
	return nil, nil
}

// ServerCount returns 1.
func (a *MemoryAdapter) ServerCount(context.Context) (int, error) { return 1, nil }

// AllRooms returns the local rooms, sorted.
func (a *MemoryAdapter) AllRooms(context.Context) ([]string, error) {
	a.mu.RLock()
	out := make([]string, 0, len(a.rooms)+len(a.sids))
	for r := range a.rooms {
		out = append(out, r)
	}
	for id := range a.sids {
		if _, named := a.rooms[id]; !named {
			out = append(out, id)
		}
	}
	a.mu.RUnlock()
	slices.Sort(out)
	return out, nil
}

// PersistSession keeps a disconnected socket's state for recovery.
func (a *MemoryAdapter) PersistSession(s *PersistedSession) { a.rec.persist(s) }

// RestoreSession returns the session pid with the packets it missed after offset, or nil.
func (a *MemoryAdapter) RestoreSession(_ context.Context, pid, offset string) (*PersistedSession, error) {
	return a.rec.restore(pid, offset), nil
}

// Close stops the recovery sweeper.
func (a *MemoryAdapter) Close() error {
	a.rec.close()
	return nil
}

// recoveryStore keeps what connection state recovery needs: disconnected sessions by pid
// and the recent packets with their offsets, both bounded.
type recoveryStore struct {
	on   bool
	opts RecoveryOptions

	mu       sync.Mutex
	sessions map[string]*PersistedSession
	packets  []storedPacket // oldest first
	next     uint64
	sweeper  *time.Timer
	closed   bool
}

type storedPacket struct {
	offset string
	opts   BroadcastOptions
	at     time.Time
	p      *Packet
}

func (r *recoveryStore) init(o *RecoveryOptions) {
	r.on, r.opts = true, *o
	r.sessions = make(map[string]*PersistedSession)
}

// store returns a copy of p with a new offset and keeps it.
func (r *recoveryStore) store(p *Packet, opts BroadcastOptions) *Packet {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	off := strconv.FormatUint(r.next, 36)
	q := p.withOffset(off)
	opts.Rooms = slices.Clone(opts.Rooms)
	opts.Except = slices.Clone(opts.Except)
	r.packets = append(r.packets, storedPacket{offset: off, opts: opts, at: time.Now(), p: q})
	if over := len(r.packets) - r.opts.MaxPackets; over > 0 {
		clear(r.packets[:over])
		r.packets = r.packets[over:]
	}
	r.scheduleLocked()
	return q
}

func (r *recoveryStore) persist(s *PersistedSession) {
	if !r.on {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sessions[s.PID] = s
	r.scheduleLocked()
}

func (r *recoveryStore) restore(pid, offset string) *PersistedSession {
	if !r.on {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sessions[pid]
	if s == nil {
		return nil
	}
	delete(r.sessions, pid)
	if time.Since(s.DisconnectedAt) > r.opts.MaxDisconnectionDuration {
		return nil
	}
	i := slices.IndexFunc(r.packets, func(sp storedPacket) bool { return sp.offset == offset })
	if i < 0 {
		return nil
	}
	out := *s
	out.MissedPackets = nil
	for _, sp := range r.packets[i+1:] {
		if matches(sp.opts, s.Rooms) {
			out.MissedPackets = append(out.MissedPackets, sp.p)
		}
	}
	return &out
}

// matches reports whether a socket in rooms was selected by opts.
func matches(opts BroadcastOptions, rooms []string) bool {
	in := len(opts.Rooms) == 0
	for _, r := range opts.Rooms {
		if slices.Contains(rooms, r) {
			in = true
			break
		}
	}
	if !in {
		return false
	}
	for _, r := range opts.Except {
		if slices.Contains(rooms, r) {
			return false
		}
	}
	return true
}

// scheduleLocked arms the sweeper that drops expired sessions and packets.
func (r *recoveryStore) scheduleLocked() {
	if r.sweeper != nil || r.closed {
		return
	}
	every := min(r.opts.MaxDisconnectionDuration, time.Minute)
	r.sweeper = time.AfterFunc(every, r.sweep)
}

func (r *recoveryStore) sweep() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sweeper = nil
	if r.closed {
		return
	}
	cutoff := time.Now().Add(-r.opts.MaxDisconnectionDuration)
	for pid, s := range r.sessions {
		if s.DisconnectedAt.Before(cutoff) {
			delete(r.sessions, pid)
		}
	}
	i := 0
	for i < len(r.packets) && r.packets[i].at.Before(cutoff) {
		i++
	}
	clear(r.packets[:i])
	r.packets = r.packets[i:]
	if len(r.sessions) > 0 || len(r.packets) > 0 {
		r.scheduleLocked()
	}
}

func (r *recoveryStore) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.sweeper != nil {
		r.sweeper.Stop()
		r.sweeper = nil
	}
}
