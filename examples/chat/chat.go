package main

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/parley-go/parley/socketio"
	"github.com/parley-go/parley/socketio/sse"
)

// historySize is how many messages a joiner gets back, per room and for the main chat.
const historySize = 50

// Payloads, named and shaped as in the chat contract (docs/chat-contract.md).
type (
	onlineUser struct {
		Username string `json:"username"`
		JoinedAt int64  `json:"joinedAt"`
	}
	onlineList struct {
		Users []onlineUser `json:"users"`
		Count int          `json:"count"`
	}
	systemMessage struct {
		Text      string `json:"text"`
		Timestamp int64  `json:"timestamp,omitempty"`
		Room      string `json:"room,omitempty"`
	}
	typingNotice struct {
		Username string `json:"username,omitempty"`
		IsTyping bool   `json:"isTyping"`
	}
	privateMessage struct {
		From      string `json:"from,omitempty"`
		Text      string `json:"text"`
		Timestamp int64  `json:"timestamp"`
	}
	deliveryReport struct {
		Delivered bool   `json:"delivered"`
		Reason    string `json:"reason,omitempty"`
	}
	roomHistory struct {
		Room     string    `json:"room"`
		Messages []Message `json:"messages"`
	}

	// What clients send.
	chatIn struct {
		Text string `json:"text"`
	}
	roomMessageIn struct {
		Room string `json:"room"`
		Text string `json:"text"`
	}
	typingIn struct {
		IsTyping bool `json:"isTyping"`
	}
	privateIn struct {
		To   string `json:"to"`
		Text string `json:"text"`
	}
)

// Chat is the chat's behaviour over a Socket.IO server, a history store and a
// notifications feed. Who is online is not kept here but in each socket's data (a member),
// read back with FetchSockets: with a cluster adapter the same code sees the sockets of
// every server.
type Chat struct {
	io      *socketio.Server
	history History
	feed    *sse.Feed
	authOn  bool
	log     *slog.Logger

	// presence serialises each change of the online list with its user:online broadcast,
	// so that this server's sockets see the lists in the order of the changes. With the
	// in-memory adapter nothing under it touches the network (emitting only queues the
	// packets); with a cluster adapter, FetchSockets asks the other servers under it, which
	// is what keeps one server's lists in order.
	presence sync.Mutex
	closing  bool // set by Close, under presence: leaves are no longer announced one by one

	// Isolated, when set, reports that the other servers cannot be reached (Redis is down):
	// who is online is then asked of this server alone, without waiting on Redis.
	Isolated func() bool

	idMu      sync.Mutex
	lastID    int64
	lastOrder int64
}

// member is what the chat keeps in a socket's data (JSON, so that other servers of a
// cluster can read it).
type member struct {
	// Username is the name given with user:join ("" before it).
	Username string `json:"username,omitempty"`
	// JoinedAt is when it last joined, in milliseconds since the epoch.
	JoinedAt int64 `json:"joinedAt,omitempty"`
	// Order is the socket's place in the online list: set at its first user:join, kept
	// when it joins again under another name (as the reference's Map keeps a key's place).
	Order int64 `json:"order,omitempty"`
	// Verified is the name in the socket's login token, when auth is on.
	Verified string `json:"verified,omitempty"`
}

// noticeEvent is the server-side event that carries a join or leave notice to the other
// servers of a cluster, for their SSE feeds (their sockets get it through the adapter).
const noticeEvent = "chat:notice"

func newChat(io *socketio.Server, history History, feed *sse.Feed, authOn bool, log *slog.Logger) *Chat {
	c := &Chat{io: io, history: history, feed: feed, authOn: authOn, log: log}
	io.OnServerSideEmit(noticeEvent, func(e *socketio.Event) {
		var m systemMessage
		if err := e.Args.Decode(0, &m); err != nil {
			log.Debug("notice from another server", "err", err)
			return
		}
		if _, err := feed.Publish("system:message", m); err != nil {
			log.Debug("publish notice", "err", err)
		}
	})
	return c
}

// notify sends a join or leave notice to the sockets of to, to this server's SSE feed (from
// one call), and to the other servers' feeds (a server-side emit: nothing on one server).
// Each feed numbers its events itself: SSE ids are per server.
func (c *Chat) notify(to sse.Emitter, m systemMessage) {
	if _, err := sse.NewBroadcaster(c.feed, to).Publish("system:message", m); err != nil {
		c.log.Debug("publish notice", "err", err)
	}
	if err := c.io.ServerSideEmit(noticeEvent, m); err != nil {
		c.log.Debug("notice to other servers", "err", err)
	}
}

func nowMillis() int64 { return time.Now().UnixMilli() }

// nextID returns a message id: the time in milliseconds as a string, as the reference
// does, made unique when two messages share a millisecond.
func (c *Chat) nextID() string {
	c.idMu.Lock()
	defer c.idMu.Unlock()
	id := nowMillis()
	if id <= c.lastID {
		id = c.lastID + 1
	}
	c.lastID = id
	return strconv.FormatInt(id, 10)
}

// memberOf returns the chat's data of a local socket.
func memberOf(s *socketio.Socket) member {
	m, _ := s.Data().(member)
	return m
}

// nextOrder returns a place in the online list after every earlier one: the time in
// microseconds, so that it also orders the joins of different servers (as far as their
// clocks agree), made unique on this server.
func (c *Chat) nextOrder() int64 {
	c.idMu.Lock()
	defer c.idMu.Unlock()
	o := time.Now().UnixMicro()
	if o <= c.lastOrder {
		o = c.lastOrder + 1
	}
	c.lastOrder = o
	return o
}

// username returns the name the socket joined with ("" before user:join).
func (c *Chat) username(s *socketio.Socket) string { return memberOf(s).Username }

// members returns the sockets that joined the chat, in the online list's order, leaving
// out the sockets with the ids in except.
func (c *Chat) members(except ...string) ([]member, []*socketio.RemoteSocket) {
	return c.membersCtx(context.Background(), except...)
}

// membersCtx is members with a context for the question to the other servers (the
// adapter's own timeout applies too: 5 s by default).
func (c *Chat) membersCtx(ctx context.Context, except ...string) ([]member, []*socketio.RemoteSocket) {
	var all []*socketio.RemoteSocket
	var err error
	if c.Isolated != nil && c.Isolated() {
		all, err = c.io.Local().FetchSockets(ctx)
	} else {
		all, err = c.io.FetchSockets(ctx)
	}
	if err != nil {
		c.log.Warn("fetching sockets", "err", err) // a partial answer is still the best we have
	}
	type entry struct {
		m  member
		rs *socketio.RemoteSocket
	}
	var es []entry
	for _, rs := range all {
		if slices.Contains(except, rs.ID) {
			continue
		}
		m, ok := rs.Data.(member)
		if !ok && rs.DataAs(&m) != nil { // another server's socket: decoded from JSON
			continue
		}
		if m.Order != 0 {
			es = append(es, entry{m, rs})
		}
	}
	slices.SortFunc(es, func(a, b entry) int { return cmp.Compare(a.m.Order, b.m.Order) })
	ms := make([]member, len(es))
	rss := make([]*socketio.RemoteSocket, len(es))
	for i, e := range es {
		ms[i], rss[i] = e.m, e.rs
	}
	return ms, rss
}

// broadcastOnline sends everyone the online list, leaving out the socket with id except.
// The caller holds c.presence.
func (c *Chat) broadcastOnline(except string) {
	ms, _ := c.members(except)
	users := make([]onlineUser, len(ms))
	for i, m := range ms {
		users[i] = onlineUser{Username: m.Username, JoinedAt: m.JoinedAt}
	}
	c.emit(c.io, "user:online", onlineList{Users: users, Count: len(users)})
}

// Connect wires one socket's events, as the reference's io.on("connection") does.
func (c *Chat) Connect(s *socketio.Socket) {
	s.On("user:join", socketio.Handle(func(_ *socketio.Event, name string) { c.join(s, name) }))
	s.On("chat:message", socketio.Handle(func(_ *socketio.Event, m chatIn) { c.message(s, "", m.Text) }))
	s.On("room:join", socketio.Handle(func(_ *socketio.Event, room string) { c.joinRoom(s, room) }))
	s.On("room:message", socketio.Handle(func(_ *socketio.Event, m roomMessageIn) { c.message(s, m.Room, m.Text) }))
	s.On("room:leave", socketio.Handle(func(_ *socketio.Event, room string) { s.Leave(room) }))
	s.On("user:typing", socketio.Handle(func(_ *socketio.Event, m typingIn) {
		c.emit(s.Broadcast(), "user:typing", typingNotice{Username: c.username(s), IsTyping: m.IsTyping})
	}))
	s.On("chat:private", socketio.Handle(func(e *socketio.Event, m privateIn) {
		report := c.private(s, m.To, m.Text)
		if e.HasAck() {
			if err := e.Ack(report); err != nil {
				c.log.Debug("ack chat:private", "socket", s.ID(), "err", err)
			}
		}
	}))
	s.OnDisconnect(func(socketio.Reason) { c.leave(s) })
}

func (c *Chat) join(s *socketio.Socket, name string) {
	c.presence.Lock()
	m := memberOf(s)
	if c.authOn && m.Verified != "" {
		name = m.Verified // the token says who this is; the name the client sends is not trusted
	}
	if m.Order == 0 {
		m.Order = c.nextOrder()
	}
	m.Username, m.JoinedAt = name, nowMillis()
	s.SetData(m)
	c.broadcastOnline("")
	c.presence.Unlock()

	// "joined the chat" goes to the other sockets (of every server) and to the SSE feeds.
	c.notify(s.Broadcast(), systemMessage{Text: name + " joined the chat", Timestamp: nowMillis()})

	msgs, err := c.history.Recent(context.Background(), "", historySize)
	if err != nil {
		c.log.Error("reading history", "err", err)
		msgs = []Message{}
	}
	c.emit(s, "chat:history", msgs)
}

func (c *Chat) message(s *socketio.Socket, room, text string) {
	m := Message{ID: c.nextID(), Text: text, Username: c.username(s), Room: room, Timestamp: nowMillis()}
	if err := c.history.Add(context.Background(), m); err != nil {
		c.log.Error("storing message", "err", err)
	}
	if room == "" {
		c.emit(c.io, "chat:message", m)
	} else {
		c.emit(c.io.To(room), "chat:message", m)
	}
}

func (c *Chat) joinRoom(s *socketio.Socket, room string) {
	s.Join(room)
	c.emit(s.To(room), "system:message", systemMessage{Text: c.username(s) + " joined #" + room, Room: room})
	msgs, err := c.history.Recent(context.Background(), room, historySize)
	if err != nil {
		c.log.Error("reading room history", "room", room, "err", err)
		msgs = []Message{}
	}
	c.emit(s, "room:history", roomHistory{Room: room, Messages: msgs})
}

// private delivers a private message to the first socket, in the online list's order,
// whose user joined with the name to (the reference takes the first in connection order).
func (c *Chat) private(s *socketio.Socket, to, text string) deliveryReport {
	ms, rss := c.members()
	for i, m := range ms {
		if m.Username != to {
			continue
		}
		pm := privateMessage{From: c.username(s), Text: text, Timestamp: nowMillis()}
		if err := rss[i].Emit("chat:private", pm); err != nil {
			break // gone between the lookup and the send: as good as not online
		}
		return deliveryReport{Delivered: true}
	}
	return deliveryReport{Delivered: false, Reason: "User not online"}
}

func (c *Chat) leave(s *socketio.Socket) {
	c.presence.Lock()
	if c.closing {
		c.presence.Unlock()
		return // Close has announced it
	}
	c.broadcastOnline(s.ID())
	c.presence.Unlock()

	if m := memberOf(s); m.Order != 0 {
		c.notify(c.io, systemMessage{Text: m.Username + " left the chat", Timestamp: nowMillis()})
	}
}

// Close announces, before the server closes its sockets, that every user of this server
// leaves: one online list without them and a "left the chat" notice for each, to the other
// servers' sockets and feeds. Then the sockets' own disconnects announce nothing. This keeps
// the disconnect handlers of a closing server from asking the other servers who is online
// while they may be closing too, each waiting for the other's answer until the request
// times out.
//
// A server that closes at the same moment may be counted and not answer: the wait for it is
// cut to a second, the list is then the best known.
func (c *Chat) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c.presence.Lock()
	defer c.presence.Unlock()
	c.closing = true
	local, _ := c.io.Local().FetchSockets(ctx)
	ids := make([]string, 0, len(local))
	var leaving []member
	for _, rs := range local {
		ids = append(ids, rs.ID)
		if m, ok := rs.Data.(member); ok && m.Order != 0 {
			leaving = append(leaving, m)
		}
	}
	if len(ids) == 0 {
		return
	}
	ms, _ := c.membersCtx(ctx, ids...)
	users := make([]onlineUser, len(ms))
	for i, m := range ms {
		users[i] = onlineUser{Username: m.Username, JoinedAt: m.JoinedAt}
	}
	c.emit(c.io.Except(ids...), "user:online", onlineList{Users: users, Count: len(users)})
	slices.SortFunc(leaving, func(a, b member) int { return cmp.Compare(a.Order, b.Order) })
	for _, m := range leaving {
		c.notify(c.io.Except(ids...), systemMessage{Text: m.Username + " left the chat", Timestamp: nowMillis()})
	}
}

// emitter is what the chat emits through: the server, a room selection or one socket.
type emitter interface {
	Emit(event string, args ...any) error
}

func (c *Chat) emit(to emitter, event string, payload any) {
	if err := to.Emit(event, payload); err != nil {
		c.log.Debug("emit", "event", event, "err", err)
	}
}
