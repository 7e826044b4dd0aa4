package engineio

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-go/parley/internal/parser/eio"
)

// sessionState is where a session is in its life.
type sessionState uint8

const (
	stateOpen    sessionState = iota
	stateClosing              // Close was called: what is queued (and a close packet) drains
	stateClosed
)

// Session is one client's Engine.IO session. Its methods are safe for concurrent use.
//
// Sending: Send appends to the session's queue, a FIFO capped at Options.SendQueueBytes (the
// bytes of the messages not yet handed to the transport). On WebSocket a writer goroutine is
// started when the queue becomes non-empty and none runs; it writes everything queued as one
// batch, repeats until the queue is empty, and exits. On polling the pending GET takes the
// queue (up to 16 packets) as one payload. A Send that would pass the cap closes the session
// with ReasonSlowClient: the queue is dropped and the client disconnected. (A batch being
// written no longer counts, so at most about twice the cap is held for one session.)
type Session struct {
	srv      *Server
	seq      uint32 // picks the session's flusher
	id       string
	protocol int
	b64      bool // v3: the client asked for base64 binary in polling payloads
	hs       *Handshake

	mu         sync.Mutex
	state      sessionState
	transport  string
	queue      []eio.Packet
	spare      []eio.Packet
	queueBytes int

	// polling
	poll    *pollWaiter // the pending GET, if any
	posting bool        // a POST is being read

	// websocket
	ws      *wsConn // the session's WebSocket once it is the transport
	writing bool    // the session has a writer: a writer goroutine, a Send writing directly, or its flusher
	closeWS bool    // the writer closes ws once the queue is empty

	// upgrade
	probe        *wsConn // the WebSocket being probed, during an upgrade
	probed       bool    // the probe was answered: pending and new GETs get a noop
	upgraded     bool
	upgradeTimer *time.Timer

	// heartbeat
	pingTimer    *time.Timer
	timeoutTimer *time.Timer
	awaitingPong bool
	pingDue      time.Time // v4: when the next ping is due
	deadline     time.Time // the session times out then unless a pong (v4) or any packet (v3) comes; zero when no wait runs

	// closing
	closingReason   Reason
	closeAfterQueue bool // polling: queue the close packet once the queue has been taken
	drainTimer      *time.Timer
	linger          bool // closed by the client, kept for one GET (see finalizeLocked)
	lingerTimer     *time.Timer

	// delivery to the handler, one call at a time
	hmu     sync.Mutex
	handler SessionHandler
	open    atomic.Bool // messages are delivered while set
}

func newSession(srv *Server, id string, protocol int, transport string, hs *Handshake) *Session {
	s := &Session{srv: srv, id: id, protocol: protocol, transport: transport, hs: hs, seq: srv.seq.Add(1)}
	s.open.Store(true)
	return s
}

// ID returns the session id (the "sid").
func (s *Session) ID() string { return s.id }

// Protocol returns the Engine.IO protocol version of the client, 3 or 4.
func (s *Session) Protocol() int { return s.protocol }

// Transport returns the current transport name, "polling" or "websocket".
func (s *Session) Transport() string {
	s.mu.Lock()
	t := s.transport
	s.mu.Unlock()
	return t
}

// Handshake returns what the handshake request told of the client.
func (s *Session) Handshake() *Handshake { return s.hs }

// Send queues the messages, in order and together (no other Send's messages come between
// them), and returns without waiting for the network. It returns ErrClosed on a closed
// session. When the queue would pass Options.SendQueueBytes, the session closes with
// ReasonSlowClient and Send returns ErrClosed.
//
// On a WebSocket with nothing queued and no writer running, Send writes the messages itself
// with one non-blocking write (what the socket does not take at once goes to a writer
// goroutine): a reply costs no goroutine and no wait. Broadcasts use Enqueue.
func (s *Session) Send(msgs ...Message) error {
	s.mu.Lock()
	if !s.queueLocked(msgs) {
		s.mu.Unlock()
		return ErrClosed
	}
	if ws := s.directLocked(); ws != nil {
		batch := s.takeQueueLocked()
		s.mu.Unlock()
		s.writeDirect(ws, batch)
		return nil
	}
	s.kickLocked()
	s.mu.Unlock()
	return nil
}

// Enqueue is Send for messages that many sessions get at once (a broadcast): it never writes
// in the caller's goroutine. On a WebSocket with nothing queued and no writer running, the
// session is handed to a flusher of the server, which writes its queue with one non-blocking
// write soon after; a session that gets more messages meanwhile gets them in the same write.
// Otherwise (polling, a writer already running, a large queue) it queues as Send does.
func (s *Session) Enqueue(msgs ...Message) error {
	s.mu.Lock()
	if !s.queueLocked(msgs) {
		s.mu.Unlock()
		return ErrClosed
	}
	if ws := s.directLocked(); ws != nil {
		s.mu.Unlock()
		s.srv.flusherFor(s).add(s.srv, s)
		return nil
	}
	s.kickLocked()
	s.mu.Unlock()
	return nil
}

// queueLocked appends the messages to the queue, or closes the session with ReasonSlowClient
// when they would pass Options.SendQueueBytes. It reports false on a session not open.
func (s *Session) queueLocked(msgs []Message) bool {
	if s.state != stateOpen {
		return false
	}
	n := 0
	for _, m := range msgs {
		n += len(m.Data) + 1
	}
	if s.queueBytes+n > s.srv.opts.SendQueueBytes {
		s.closeLocked(ReasonSlowClient, nil)
		return false
	}
	for _, m := range msgs {
		s.queue = append(s.queue, eio.Packet{Type: eio.Message, Data: m.Data, Binary: m.Binary})
	}
	s.queueBytes += n
	return true
}

// directLocked makes the caller the session's writer and returns the WebSocket when the queue
// can be written without a writer goroutine: no writer runs, the connection takes
// non-blocking writes, and the queue is small. Otherwise it returns nil.
func (s *Session) directLocked() *wsConn {
	ws := s.ws
	if ws == nil || s.writing || !ws.canWriteDirect() || s.queueBytes > wsDirectMax {
		return nil
	}
	s.writing = true // the caller is the writer until writeDirect hands over
	return ws
}

// flushQueued writes the queue as the session's writer, for its flusher (Enqueue).
func (s *Session) flushQueued() {
	s.mu.Lock()
	ws := s.ws // set before Enqueue handed the session over, and never cleared
	batch := s.takeQueueLocked()
	s.mu.Unlock()
	s.writeDirect(ws, batch)
}

// writeDirect writes a batch without waiting, as the session's writer, and hands what is
// left (the rest of the batch, what was queued meanwhile, a close) to a writer goroutine.
func (s *Session) writeDirect(ws *wsConn, batch []eio.Packet) {
	all, err := ws.tryWrite(batch, s.protocol)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recycleLocked(batch)
	if err != nil {
		s.writeFailedLocked(ws, err)
		return
	}
	if s.ws != ws {
		s.writing = false
		return
	}
	if all && len(s.queue) == 0 && !s.closeWS {
		s.writing = false
		return
	}
	s.srv.track.addInternal()
	go s.writeLoop(ws)
}

// SendVolatile queues the messages only if the transport can take them now (nothing is
// waiting in the queue, and for polling a request is pending); otherwise they are dropped.
// It reports whether they were queued.
func (s *Session) SendVolatile(msgs ...Message) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen || len(s.queue) > 0 {
		return false
	}
	if s.ws != nil {
		if s.writing {
			return false
		}
	} else if s.poll == nil || s.probed {
		return false
	}
	n := 0
	for _, m := range msgs {
		s.queue = append(s.queue, eio.Packet{Type: eio.Message, Data: m.Data, Binary: m.Binary})
		n += len(m.Data) + 1
	}
	s.queueBytes += n
	s.kickLocked()
	return true
}

// Close closes the session with ReasonForcedClose after what is queued has been sent, and
// sends the client a close packet. It does not wait.
func (s *Session) Close() {
	s.mu.Lock()
	s.gracefulCloseLocked(ReasonForcedClose)
	s.mu.Unlock()
}

// shutdown is Close for Server.Close: a polling client with no pending GET is not waited for.
func (s *Session) shutdown() {
	s.mu.Lock()
	s.gracefulCloseLocked(ReasonServerShuttingDown)
	linger := s.linger
	if linger {
		s.linger = false
		s.lingerTimer.Stop()
	}
	s.mu.Unlock()
	if linger {
		s.srv.remove(s)
	}
}

// forceClose drops the session's connections at once (Server.Close's deadline passed).
func (s *Session) forceClose() {
	s.mu.Lock()
	ws, probe := s.ws, s.probe
	s.closeLocked(ReasonServerShuttingDown, nil)
	s.mu.Unlock()
	if ws != nil {
		ws.closeNow()
	}
	if probe != nil {
		probe.closeNow()
	}
}

// enqueueLocked queues a control packet (never counted against the cap's overflow).
func (s *Session) enqueueLocked(p eio.Packet) {
	s.queue = append(s.queue, p)
	s.queueBytes += len(p.Data) + 1
	s.kickLocked()
}

// kickLocked gets the queue moving: it starts the WebSocket writer, or wakes the pending GET.
func (s *Session) kickLocked() {
	if len(s.queue) == 0 && !s.closeWS {
		return
	}
	if s.ws != nil {
		if !s.writing {
			s.writing = true
			s.srv.track.addInternal()
			go s.writeLoop(s.ws) // no closure: this runs once per batch
		}
		return
	}
	if s.poll != nil {
		s.poll.wake()
	}
}

// takeQueueLocked hands the whole queue to a transport.
func (s *Session) takeQueueLocked() []eio.Packet {
	batch := s.queue
	s.queue = s.spare[:0]
	s.spare = nil
	s.queueBytes = 0
	return batch
}

// recycleLocked gives a written batch's slice back for the next one.
func (s *Session) recycleLocked(batch []eio.Packet) {
	if cap(batch) > 1024 {
		return
	}
	clear(batch)
	s.spare = batch[:0]
}

// pollLinger is how long a polling session closed by the client's POST stays to answer the
// GET sent with it.
const pollLinger = time.Second

var closePacket = eio.Packet{Type: eio.Close}
var noopPacket = eio.Packet{Type: eio.Noop}

// gracefulCloseLocked closes on the server's initiative: the queue drains, followed by a close
// packet, then the session closes with reason.
func (s *Session) gracefulCloseLocked(reason Reason) {
	if s.state != stateOpen {
		return
	}
	s.open.Store(false)
	if s.ws == nil && len(s.queue) > 0 && reason != ReasonServerShuttingDown {
		// Polling: what is queued goes in one response and the close packet in the next, as
		// Node does. A client that read both in one payload would handle the close before the
		// messages (socket.io-client defers decoded packets) and miss, say, a DISCONNECT.
		s.state = stateClosing
		s.closingReason = reason
		s.closeAfterQueue = true
		s.stopTimersLocked()
		s.dropProbeLocked()
		s.armDrainLocked()
		s.kickLocked()
		return
	}
	s.queue = append(s.queue, closePacket)
	s.queueBytes++
	if s.ws != nil {
		s.state = stateClosing
		s.closingReason = reason
		s.closeWS = true
		s.stopTimersLocked()
		s.dropProbeLocked()
		s.kickLocked()
		return
	}
	if s.poll != nil || reason == ReasonServerShuttingDown {
		s.finalizeLocked(reason, nil)
		return
	}
	// Polling with no pending GET: keep the session for the client's next poll.
	s.state = stateClosing
	s.closingReason = reason
	s.stopTimersLocked()
	s.dropProbeLocked()
	s.armDrainLocked()
}

// armDrainLocked bounds how long a closing polling session waits for the client's polls.
func (s *Session) armDrainLocked() {
	if s.drainTimer != nil {
		return
	}
	s.drainTimer = time.AfterFunc(s.srv.opts.PingTimeout, func() {
		s.mu.Lock()
		if s.state == stateClosing {
			s.finalizeLocked(s.closingReason, nil)
		}
		s.mu.Unlock()
	})
}

// closeLocked closes the session now for reason: the queue is dropped; a pending GET gets a
// noop (the client closed) or a close packet; a WebSocket gets a close frame.
func (s *Session) closeLocked(reason Reason, err error) {
	if s.state == stateClosed {
		return
	}
	s.queue = s.queue[:0]
	s.queueBytes = 0
	if s.ws != nil {
		if s.writing || reason == ReasonSlowClient {
			s.ws.closeNow() // the writer may be blocked on the network
		} else {
			s.closeWS = true
			s.kickLocked()
		}
	} else if s.poll != nil {
		if reason == ReasonTransportClose {
			s.queue = append(s.queue, noopPacket)
		} else {
			s.queue = append(s.queue, closePacket)
		}
	}
	s.finalizeLocked(reason, err)
}

func (s *Session) stopTimersLocked() {
	for _, t := range []*time.Timer{s.pingTimer, s.timeoutTimer, s.upgradeTimer, s.drainTimer} {
		if t != nil {
			t.Stop()
		}
	}
}

// dropProbeLocked abandons an upgrade in progress.
func (s *Session) dropProbeLocked() {
	if s.probe != nil {
		s.probe.closeNow()
		s.probe = nil
	}
	if s.upgradeTimer != nil {
		s.upgradeTimer.Stop()
	}
	s.probed = false
}

// finalizeLocked marks the session closed, forgets it and delivers OnClose.
func (s *Session) finalizeLocked(reason Reason, err error) {
	if s.state == stateClosed {
		return
	}
	s.state = stateClosed
	s.open.Store(false)
	s.stopTimersLocked()
	s.dropProbeLocked()
	s.srv.count.Add(-1)
	if reason == ReasonTransportClose && s.ws == nil && s.poll == nil && s.transport == transportPolling {
		// The client closed with a POST while its next GET may already be on its way (it
		// sends both at once): that GET still gets its noop rather than an unknown sid.
		s.linger = true
		s.lingerTimer = time.AfterFunc(pollLinger, func() { s.srv.remove(s) })
	} else {
		s.srv.remove(s)
	}
	if s.poll != nil {
		s.poll.wake()
	}
	if s.srv.log.Enabled(context.Background(), slog.LevelDebug) {
		s.srv.log.Debug("engineio: session closed", "sid", s.id, "reason", string(reason), "err", err)
	}
	s.srv.goTracked(func() {
		s.hmu.Lock()
		h := s.handler
		s.handler = nil
		s.hmu.Unlock()
		if h != nil {
			h.OnClose(reason, err)
		}
	})
}

// isClosed reports whether the session has closed.
func (s *Session) isClosed() bool {
	s.mu.Lock()
	c := s.state == stateClosed
	s.mu.Unlock()
	return c
}

// close closes the session for reason (see closeLocked).
func (s *Session) close(reason Reason, err error) {
	s.mu.Lock()
	s.closeLocked(reason, err)
	s.mu.Unlock()
}

// deliver passes one message to the handler, unless the session has closed.
func (s *Session) deliver(data []byte, binary bool) {
	s.hmu.Lock()
	if s.open.Load() && s.handler != nil {
		s.handler.OnMessage(data, binary)
	}
	s.hmu.Unlock()
}

// onPacket handles one packet from the client on the session's current transport. It
// reports false once the session has closed.
func (s *Session) onPacket(p eio.Packet) bool {
	if s.protocol == 3 {
		s.mu.Lock()
		s.resetV3TimeoutLocked()
		s.mu.Unlock()
	}
	switch p.Type {
	case eio.Message:
		s.deliver(p.Data, p.Binary)
	case eio.Ping:
		if s.protocol != 3 {
			s.close(ReasonTransportError, errHeartbeatDir)
			return false
		}
		s.mu.Lock()
		if s.state == stateOpen {
			s.enqueueLocked(eio.Packet{Type: eio.Pong})
		}
		s.mu.Unlock()
	case eio.Pong:
		if s.protocol == 3 {
			s.close(ReasonTransportError, errHeartbeatDir)
			return false
		}
		s.mu.Lock()
		s.onPongLocked()
		s.mu.Unlock()
	case eio.Close:
		s.close(ReasonTransportClose, nil)
		return false
	}
	return s.open.Load()
}
