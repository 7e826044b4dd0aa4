package socketio

import (
	"bytes"
	"fmt"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/parley-go/parley/internal/engineio"
	"github.com/parley-go/parley/internal/parser/sio"
)

// client is one engine session and the namespace sockets multiplexed on it.
//
// Threading: the engine calls OnMessage and OnClose one at a time. Acknowledgements that
// resolve a waiting EmitWithAck are handled there at once; everything that runs user code
// (connections, middleware, event handlers, disconnection handlers, acknowledgement
// callbacks) goes through the client's dispatch queue, run by one goroutine started on demand,
// so one client's handlers run one at a time, in arrival order, off the engine's goroutines.
type client struct {
	srv  *Server
	conn *engineio.Session
	dec  sio.Decoder

	mu      sync.Mutex
	sockets []*Socket // one per namespace; few, so a slice

	closed bool
	timer  *time.Timer // connect timeout

	q dispatcher
}

func newClient(srv *Server, conn *engineio.Session) *client {
	c := &client{srv: srv, conn: conn}
	c.dec.MaxAttachments = sio.DefaultMaxAttachments
	c.dec.MaxAttachmentBytes = int(srv.opts.MaxHTTPBufferSize)
	c.q.c = c
	c.q.max = srv.opts.MaxPendingEvents
	return c
}

// start runs once the session is open: the connect timeout, and for Engine.IO v3 clients the
// implicit connection to the main namespace.
func (c *client) start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timer = time.AfterFunc(c.srv.opts.ConnectTimeout, func() {
		c.mu.Lock()
		idle := len(c.sockets) == 0 && !c.closed
		c.mu.Unlock()
		if idle {
			c.conn.Close()
		}
	})
	if c.conn.Protocol() == 3 {
		c.q.push(func() { c.connect("/", nil) }, false)
	}
}

// find returns the connected socket of the namespace (c.mu held).
func (c *client) find(nsp string) *Socket {
	for _, s := range c.sockets {
		if s.nspWire == nsp {
			return s
		}
	}
	return nil
}

// OnMessage decodes one engine message and routes the packet.
func (c *client) OnMessage(data []byte, binary bool) {
	buf := bytes.Clone(data) // the engine reuses data; packets outlive this call
	p, bin, err := c.dec.Add(buf, binary)
	if err != nil {
		c.srv.log.Debug("socketio: invalid packet, closing the connection", "sid", c.conn.ID(), "err", err)
		c.fail(ReasonForcedClose)
		return
	}
	if p == nil {
		return // waiting for attachments
	}
	pk := *p
	pk.Args = slices.Clone(p.Args)
	switch pk.Type {
	case sio.Connect:
		name := string(pk.Nsp)
		if name == "" {
			name = "/"
		}
		auth := pk.Payload
		c.q.push(func() { c.connect(name, auth) }, true)
	case sio.Disconnect:
		if s := c.socket(pk.Nsp); s != nil {
			s.close(ReasonClientNamespaceDisconnect, false)
		}
	case sio.Event, sio.BinaryEvent:
		if s := c.socket(pk.Nsp); s != nil {
			e := newEvent(s, &pk, bin)
			c.q.push(func() { s.dispatch(e) }, true)
		}
	case sio.Ack, sio.BinaryAck:
		if s := c.socket(pk.Nsp); s != nil {
			s.onAck(pk.ID, argsOf(&pk, bin))
		}
	}
}

// OnClose is the end of the engine session: every socket disconnects with its reason.
func (c *client) OnClose(reason engineio.Reason, err error) {
	c.mu.Lock()
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.mu.Unlock()
	c.closeSockets(Reason(reason))
	c.q.push(func() { c.srv.forget(c) }, false)
}

// socket returns the connected socket of the namespace as written on the wire.
func (c *client) socket(nsp []byte) *Socket {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(nsp) == 0 {
		return c.find("/")
	}
	for _, s := range c.sockets {
		if s.nspWire == string(nsp) {
			return s
		}
	}
	return nil
}

// closeSockets marks the client closed and disconnects every socket of it with the reason.
// closed and the list of sockets are taken together: a namespace connection being made
// meanwhile either is in the list or finds the client closed, never neither.
func (c *client) closeSockets(reason Reason) {
	c.mu.Lock()
	c.closed = true
	socks := slices.Clone(c.sockets)
	c.mu.Unlock()
	for _, s := range socks {
		s.close(reason, false)
	}
}

// fail closes the connection after a protocol violation: the sockets disconnect with the
// reason and the engine session closes.
func (c *client) fail(reason Reason) {
	c.closeSockets(reason)
	c.conn.Close()
}

// disconnectAll is Socket.Disconnect(true): every socket gets a DISCONNECT packet and
// ReasonServerNamespaceDisconnect, then the connection closes.
func (c *client) disconnectAll() {
	c.mu.Lock()
	socks := slices.Clone(c.sockets)
	c.mu.Unlock()
	for _, s := range socks {
		s.close(ReasonServerNamespaceDisconnect, true)
	}
	c.conn.Close()
}

func (c *client) remove(s *Socket) {
	c.mu.Lock()
	c.sockets = slices.DeleteFunc(c.sockets, func(x *Socket) bool { return x == s })
	if len(c.sockets) == 0 {
		c.sockets = nil
	}
	c.mu.Unlock()
}

// send queues messages on the engine session.
func (c *client) send(msgs []engineio.Message, volatile bool) {
	if volatile {
		c.conn.SendVolatile(msgs...)
		return
	}
	_ = c.conn.Send(msgs...) // a closed session reports itself through OnClose
}

// enqueue queues a broadcast's messages on the engine session: the broadcaster does not
// write, the engine's flusher does (engineio.Session.Enqueue).
func (c *client) enqueue(msgs []engineio.Message) {
	_ = c.conn.Enqueue(msgs...) // a closed session reports itself through OnClose
}

// connectPacket answers a namespace CONNECT (runs on the dispatcher).
func (c *client) connect(name string, auth []byte) {
	var query url.Values
	if c.conn.Protocol() == 3 {
		// Engine.IO v3 clients put a namespace query in the name ("/admin?token=1").
		if i := strings.IndexByte(name, '?'); i >= 0 {
			query, _ = url.ParseQuery(name[i+1:])
			name = name[:i]
		}
	}
	c.mu.Lock()
	dup := c.find(name) != nil
	closed := c.closed
	c.mu.Unlock()
	if dup || closed || c.srv.closed.Load() {
		return
	}
	h := c.handshake(auth, query)
	nsp := c.srv.namespaceFor(name, h)
	if nsp == nil {
		c.sendConnectError(name, "Invalid namespace", nil)
		return
	}
	nsp.connect(c, name, h, auth)
}

func (c *client) sendConnectError(nsp, message string, data any) {
	payload := connectErrorPayload(c.conn.Protocol(), message, data)
	c.send([]engineio.Message{encodeControl(sio.ConnectError, nsp, payload)}, false)
}

// handshake builds the Handshake of a namespace connection.
func (c *client) handshake(auth []byte, nspQuery url.Values) *Handshake {
	eh := c.conn.Handshake()
	h := &Handshake{Auth: []byte("{}")}
	if len(auth) > 0 {
		h.Auth = auth
	}
	if eh != nil {
		h.Header, h.Query, h.Time = eh.Header, eh.Query, eh.Time
		h.Address, h.XDomain, h.Secure, h.URL = eh.RemoteAddr, eh.XDomain, eh.Secure, eh.URL
	}
	if len(nspQuery) > 0 {
		q := url.Values{}
		for k, v := range h.Query {
			q[k] = v
		}
		for k, v := range nspQuery {
			q[k] = v
		}
		h.Query = q
	}
	return h
}

// dispatcher runs a client's tasks one at a time, in order, on a goroutine that exists only
// while there is work. It bounds the tasks waiting: past max, the producer (the engine's
// reading goroutine) waits, which stops reading from that connection until handlers catch up.
//
// When the queue empties less than dispatcherLinger after it last did (a busy client), the
// goroutine waits that long for more before it ends: such a client then costs no goroutine
// start, and no stack growth, per message. A client that sends less often costs no timer.
type dispatcher struct {
	c   *client
	max int

	mu      sync.Mutex
	tasks   []func()
	head    int
	running bool
	emptied int64         // when the queue last emptied (monoNow)
	idle    chan struct{} // while the goroutine lingers: push sends it a token
	space   chan struct{} // closed when room frees up for a waiting producer
}

// dispatcherLinger is how long an idle dispatcher goroutine of a busy client waits for a next
// task.
const dispatcherLinger = 2 * time.Millisecond

// monoStart anchors monoNow.
var monoStart = time.Now()

// monoNow is the monotonic clock in nanoseconds, for intervals.
func monoNow() int64 { return int64(time.Since(monoStart)) }

// push queues a task. With wait, it blocks while the queue is full.
func (d *dispatcher) push(f func(), wait bool) {
	d.mu.Lock()
	for wait && len(d.tasks)-d.head >= d.max {
		if d.space == nil {
			d.space = make(chan struct{})
		}
		ch := d.space
		d.mu.Unlock()
		<-ch
		d.mu.Lock()
	}
	d.tasks = append(d.tasks, f)
	start := !d.running
	d.running = true
	if d.idle != nil {
		select {
		case d.idle <- struct{}{}:
		default:
		}
	}
	d.mu.Unlock()
	if start {
		d.c.srv.goTracked(d.run)
	}
}

func (d *dispatcher) run() {
	var timer *time.Timer
	var wake chan struct{}
	expired := false // the last wait ended without a task
	for {
		d.mu.Lock()
		if d.head == len(d.tasks) {
			d.tasks = d.tasks[:0]
			d.head = 0
			if cap(d.tasks) > 64 {
				d.tasks = nil
			}
			now := monoNow()
			busy := now-d.emptied < int64(dispatcherLinger)
			if !expired {
				d.emptied = now
			}
			if expired || !busy {
				d.running = false
				d.mu.Unlock()
				return
			}
			if timer == nil {
				timer = time.NewTimer(dispatcherLinger)
				wake = make(chan struct{}, 1)
			} else {
				timer.Reset(dispatcherLinger)
			}
			d.idle = wake
			d.mu.Unlock()
			select {
			case <-wake:
				timer.Stop()
			case <-timer.C:
				expired = true
			}
			d.mu.Lock()
			d.idle = nil
			d.mu.Unlock()
			continue
		}
		expired = false
		f := d.tasks[d.head]
		d.tasks[d.head] = nil
		d.head++
		if d.space != nil && len(d.tasks)-d.head < d.max/2+1 {
			close(d.space)
			d.space = nil
		}
		d.mu.Unlock()
		d.runTask(f)
	}
}

// runTask runs one task; a panic in user code is logged with its stack and closes that
// client only.
func (d *dispatcher) runTask(f func()) {
	defer func() {
		if r := recover(); r != nil {
			d.c.srv.log.Error("socketio: handler panicked; closing the connection",
				"sid", d.c.conn.ID(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			d.c.fail(ReasonForcedServerClose)
		}
	}()
	f()
}
