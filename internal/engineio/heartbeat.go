package engineio

import (
	"time"

	"github.com/parley-go/parley/internal/parser/eio"
)

// Heartbeats. Protocol v4: the server pings every PingInterval and closes the session with
// ReasonPingTimeout when the pong has not come PingTimeout after the ping. Protocol v3: the
// client pings, the server answers with a pong, and the session closes when no packet has
// come for PingInterval+PingTimeout. Timers are time.AfterFunc: no goroutine waits for them.

var pingPacket = eio.Packet{Type: eio.Ping}

// startHeartbeatLocked arms the first timer of a new session.
func (s *Session) startHeartbeatLocked() {
	if s.protocol == 3 {
		s.resetV3TimeoutLocked()
		return
	}
	s.pingTimer = time.AfterFunc(s.srv.opts.PingInterval, s.sendPing)
}

// sendPing queues a ping and starts waiting for its pong.
func (s *Session) sendPing() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen {
		return
	}
	s.enqueueLocked(pingPacket)
	s.awaitingPong = true
	if s.timeoutTimer == nil {
		s.timeoutTimer = time.AfterFunc(s.srv.opts.PingTimeout, s.pingTimedOut)
	} else {
		s.timeoutTimer.Reset(s.srv.opts.PingTimeout)
	}
}

// onPongLocked ends the wait for a pong and schedules the next ping.
func (s *Session) onPongLocked() {
	if s.state != stateOpen || !s.awaitingPong {
		return
	}
	s.awaitingPong = false
	s.timeoutTimer.Stop()
	s.pingTimer.Reset(s.srv.opts.PingInterval)
}

// resetV3TimeoutLocked restarts a v3 session's liveness timer.
func (s *Session) resetV3TimeoutLocked() {
	if s.state != stateOpen {
		return
	}
	d := s.srv.opts.PingInterval + s.srv.opts.PingTimeout
	if s.timeoutTimer == nil {
		s.timeoutTimer = time.AfterFunc(d, s.pingTimedOut)
	} else {
		s.timeoutTimer.Reset(d)
	}
}

func (s *Session) pingTimedOut() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen {
		return
	}
	if s.protocol != 3 && !s.awaitingPong {
		return // the pong came as the timer fired
	}
	s.closeLocked(ReasonPingTimeout, nil)
}
