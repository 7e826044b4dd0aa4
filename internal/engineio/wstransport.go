package engineio

import (
	"errors"

	"github.com/parley-go/parley/internal/parser/eio"
)

// The WebSocket transport's loops. The reader runs on a goroutine of its own while frames
// come; once nothing has come for a while the connection is parked (see websocket.go) and
// the goroutine ends, and the poller starts a new reader when bytes come. The writer is
// started when something is queued and none runs, writes batches until the queue is empty,
// and exits; no lock is held while it writes.

// startReader parks a new connection, or starts its reader where it cannot be parked.
func (s *Session) startReader(ws *wsConn) {
	if !ws.park(s.wakeReader(ws)) {
		s.srv.goTracked(func() { s.readLoop(ws, false) })
	}
}

// wakeReader returns the function that the poller runs when a parked ws has bytes.
func (s *Session) wakeReader(ws *wsConn) func() {
	return func() { s.srv.goTracked(func() { s.readLoop(ws, false) }) }
}

// readLoop reads ws until it fails, the session ends, or ws parks. probing is set for an
// upgrade's new WebSocket, which carries only the probe and the upgrade packet until it
// becomes the session's transport.
func (s *Session) readLoop(ws *wsConn, probing bool) {
	if !s.readPackets(ws, probing) {
		ws.releaseRead()
	}
}

// readPackets is readLoop's loop; it reports whether ws was parked.
func (s *Session) readPackets(ws *wsConn, probing bool) bool {
	for {
		data, binary, buf, err := ws.read(!probing)
		if err == errIdle {
			if ws.park(s.wakeReader(ws)) {
				return true
			}
			continue
		}
		if err != nil {
			s.onReadError(ws, err)
			return false
		}
		var p eio.Packet
		if s.protocol == 3 {
			p, err = eio.DecodePacketV3(data, binary)
		} else {
			p, err = eio.DecodePacket(data, binary)
		}
		if err != nil {
			putBuf(buf)
			if probing {
				s.abandonUpgrade(ws)
			} else {
				s.close(ReasonParseError, err)
			}
			ws.closeNow()
			return false
		}
		if probing {
			ok := true
			switch {
			case p.Type == eio.Ping && string(p.Data) == "probe":
				ok = s.answerProbe(ws)
			case p.Type == eio.Upgrade:
				ok = s.completeUpgrade(ws)
				probing = false
			default:
				ok = false
				s.abandonUpgrade(ws)
			}
			putBuf(buf)
			if !ok {
				ws.closeNow()
				return false
			}
			continue
		}
		open := s.onPacket(p)
		putBuf(buf)
		if !open {
			// The close frame (or a closed connection) ends the read.
			s.drainReads(ws)
			return false
		}
	}
}

// drainReads reads and discards until the connection fails, so that the close handshake
// completes.
func (s *Session) drainReads(ws *wsConn) {
	for {
		_, _, buf, err := ws.read(false)
		if err != nil {
			ws.closeNow()
			return
		}
		putBuf(buf)
	}
}

// onReadError ends the session (or the upgrade) whose WebSocket failed.
func (s *Session) onReadError(ws *wsConn, err error) {
	s.mu.Lock()
	switch {
	case s.ws == ws:
		if errors.Is(err, errFrameTooBig) {
			s.closeLocked(ReasonTransportError, err)
		} else if isCleanClose(err) {
			s.closeLocked(ReasonTransportClose, nil)
		} else {
			s.closeLocked(ReasonTransportClose, err)
		}
	case s.probe == ws:
		s.dropProbeLocked()
	}
	s.mu.Unlock()
	ws.closeNow()
}

// writeLoop writes what is queued for ws, batch after batch, then exits. It is counted by
// the server's tracker (its starter added it).
func (s *Session) writeLoop(ws *wsConn) {
	defer s.srv.track.done()
	if err := ws.flushPending(); err != nil {
		s.mu.Lock()
		s.writeFailedLocked(ws, err)
		s.mu.Unlock()
		return
	}
	for {
		s.mu.Lock()
		if s.ws != ws {
			s.writing = false
			s.mu.Unlock()
			return
		}
		if len(s.queue) == 0 {
			s.writing = false
			closeWS := s.closeWS
			if closeWS && s.state == stateClosing {
				s.finalizeLocked(s.closingReason, nil)
			}
			s.mu.Unlock()
			if closeWS {
				ws.closeWithFrame()
			}
			return
		}
		batch := s.takeQueueLocked()
		s.mu.Unlock()

		err := ws.writeBatch(batch, s.protocol)

		s.mu.Lock()
		s.recycleLocked(batch)
		if err != nil {
			s.writeFailedLocked(ws, err)
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
}

// writeFailedLocked ends the session whose writer (a writer goroutine, or Send writing
// directly) failed to write to ws.
func (s *Session) writeFailedLocked(ws *wsConn, err error) {
	s.writing = false
	s.closeLocked(ReasonTransportError, err)
	ws.closeNow()
}
