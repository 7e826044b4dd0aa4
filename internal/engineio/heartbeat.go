package engineio

import (
	"time"

	"github.com/parley-go/parley/internal/parser/eio"
)

// Heartbeats. Protocol v4: the server pings every PingInterval and closes the session with
// ReasonPingTimeout when the pong has not come PingTimeout after the ping. Protocol v3: the
// client pings, the server answers with a pong, and the session closes when no packet has
// come for PingInterval+PingTimeout. Timers are time.AfterFunc: no goroutine waits for them.
//
// The deadlines follow the schedule, not the timers: a ping that goes out late (a loaded
// machine fires timers late) does not move its pong deadline, which stays PingInterval +
// PingTimeout after the previous pong (though never less than PingTimeout/2 after the ping
// itself). A request that comes for a session past its deadline finds the session closed
// with ReasonPingTimeout even when the timer has not fired yet, so the timing a client sees
// does not depend on how late the timer runs.

var pingPacket = eio.Packet{Type: eio.Ping}

// startHeartbeatLocked arms the first timer of a new session.
func (s *Session) startHeartbeatLocked() {
	if s.protocol == 3 {
		s.resetV3TimeoutLocked()
		return
	}
	s.pingDue = time.Now().Add(s.srv.opts.PingInterval)
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
	now := time.Now()
	s.deadline = s.pingDue.Add(s.srv.opts.PingTimeout)
	if earliest := now.Add(s.srv.opts.PingTimeout / 2); s.deadline.Before(earliest) {
		s.deadline = earliest
	}
	d := s.deadline.Sub(now)
	if s.timeoutTimer == nil {
		s.timeoutTimer = time.AfterFunc(d, s.pingTimedOut)
	} else {
		s.timeoutTimer.Reset(d)
	}
}

// onPongLocked ends the wait for a pong and schedules the next ping.
func (s *Session) onPongLocked() {
	if s.state != stateOpen || !s.awaitingPong {
		return
	}
	s.awaitingPong = false
	s.deadline = time.Time{}
	s.timeoutTimer.Stop()
	s.pingDue = time.Now().Add(s.srv.opts.PingInterval)
	s.pingTimer.Reset(s.srv.opts.PingInterval)
}

// resetV3TimeoutLocked restarts a v3 session's liveness timer.
func (s *Session) resetV3TimeoutLocked() {
	if s.state != stateOpen {
		return
	}
	d := s.srv.opts.PingInterval + s.srv.opts.PingTimeout
	s.deadline = time.Now().Add(d)
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

// expireIfOverdue closes the session with ReasonPingTimeout if its deadline has passed (its
// timer may not have run yet) and reports whether it did.
func (s *Session) expireIfOverdue() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen || (s.protocol != 3 && !s.awaitingPong) ||
		s.deadline.IsZero() || time.Now().Before(s.deadline) {
		return false
	}
	s.closeLocked(ReasonPingTimeout, nil)
	return true
}
