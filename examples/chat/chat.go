package main

import (
	"context"
	"log/slog"
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

// Chat is the chat's state: who is online, the history store and the notifications feed.
type Chat struct {
	io      *socketio.Server
	history History
	feed    *sse.Feed
	leaves  *sse.Broadcaster // "left the chat": to every socket and to the SSE feed
	authOn  bool
	log     *slog.Logger

	// presence guards the online list and serialises each change with its user:online
	// broadcast, so that every socket sees the lists in the order of the changes. Emitting
	// only queues the packet; no network write happens under it.
	presence sync.Mutex
	online   map[string]*onlineEntry // by socket id
	order    []string                // joined socket ids, in join order (as the reference's Map)
	connSeq  uint64

	idMu   sync.Mutex
	lastID int64
}

type onlineEntry struct {
	user    onlineUser
	socket  *socketio.Socket
	connSeq uint64 // connection order, for looking up a private message's target
	joined  bool
}

func newChat(io *socketio.Server, history History, feed *sse.Feed, authOn bool, log *slog.Logger) *Chat {
	return &Chat{
		io: io, history: history, feed: feed, authOn: authOn, log: log,
		leaves: sse.NewBroadcaster(feed, io),
		online: make(map[string]*onlineEntry),
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

// username returns the name the socket joined with ("" before user:join).
func (c *Chat) username(s *socketio.Socket) string {
	c.presence.Lock()
	defer c.presence.Unlock()
	if e, ok := c.online[s.ID()]; ok && e.joined {
		return e.user.Username
	}
	return ""
}

func (c *Chat) onlineListLocked() onlineList {
	users := make([]onlineUser, 0, len(c.order))
	for _, id := range c.order {
		users = append(users, c.online[id].user)
	}
	return onlineList{Users: users, Count: len(users)}
}

// Connect wires one socket's events, as the reference's io.on("connection") does.
func (c *Chat) Connect(s *socketio.Socket) {
	c.presence.Lock()
	c.connSeq++
	c.online[s.ID()] = &onlineEntry{socket: s, connSeq: c.connSeq}
	c.presence.Unlock()

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
	if c.authOn {
		// The token says who this is; the name the client sends is not trusted.
		if n, ok := s.Data().(string); ok {
			name = n
		}
	}
	c.presence.Lock()
	e, ok := c.online[s.ID()]
	if !ok { // disconnected meanwhile
		c.presence.Unlock()
		return
	}
	if !e.joined {
		e.joined = true
		c.order = append(c.order, s.ID())
	}
	e.user = onlineUser{Username: name, JoinedAt: nowMillis()}
	c.emit(c.io, "user:online", c.onlineListLocked())
	c.presence.Unlock()

	// "joined the chat" goes to the other sockets and to the SSE feed, from one call.
	joined := systemMessage{Text: name + " joined the chat", Timestamp: nowMillis()}
	if _, err := sse.NewBroadcaster(c.feed, s.Broadcast()).Publish("system:message", joined); err != nil {
		c.log.Debug("publish join", "err", err)
	}

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

// private delivers a private message to the first connected socket (in connection order, as
// the reference searches io.sockets.sockets) whose user joined with the name to.
func (c *Chat) private(s *socketio.Socket, to, text string) deliveryReport {
	c.presence.Lock()
	var target *onlineEntry
	for _, e := range c.online {
		if e.joined && e.user.Username == to && (target == nil || e.connSeq < target.connSeq) {
			target = e
		}
	}
	from := ""
	if e, ok := c.online[s.ID()]; ok && e.joined {
		from = e.user.Username
	}
	c.presence.Unlock()
	if target == nil {
		return deliveryReport{Delivered: false, Reason: "User not online"}
	}
	if err := target.socket.Emit("chat:private", privateMessage{From: from, Text: text, Timestamp: nowMillis()}); err != nil {
		// Gone between the lookup and the send: as good as not online.
		return deliveryReport{Delivered: false, Reason: "User not online"}
	}
	return deliveryReport{Delivered: true}
}

func (c *Chat) leave(s *socketio.Socket) {
	c.presence.Lock()
	e, ok := c.online[s.ID()]
	joined := ok && e.joined
	delete(c.online, s.ID())
	if joined {
		for i, id := range c.order {
			if id == s.ID() {
				c.order = append(c.order[:i], c.order[i+1:]...)
				break
			}
		}
	}
	c.emit(c.io, "user:online", c.onlineListLocked())
	c.presence.Unlock()

	if joined {
		left := systemMessage{Text: e.user.Username + " left the chat", Timestamp: nowMillis()}
		if _, err := c.leaves.Publish("system:message", left); err != nil {
			c.log.Debug("publish leave", "err", err)
		}
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
