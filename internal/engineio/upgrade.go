package engineio

import (
	"net/http"
	"time"
)

// Upgrade from polling to WebSocket. The client opens a WebSocket with the session's sid and
// sends "2probe"; the server answers "3probe" on it and releases the pending GET with a noop,
// after which the client pauses polling and sends "5". From then on the WebSocket is the
// transport: what was queued and not yet taken by a GET goes out on it, in order. An upgrade
// not finished within UpgradeTimeout is abandoned (the session stays on polling).

// handleUpgrade takes a WebSocket request for an existing session.
func (s *Session) handleUpgrade(w http.ResponseWriter, r *http.Request) {
	ws, err := s.srv.ws.accept(w, r, nil)
	if err != nil {
		return
	}
	s.mu.Lock()
	if s.state != stateOpen || s.transport != transportPolling || s.probe != nil || s.upgraded || s.srv.opts.DisableUpgrades {
		// Node accepts the WebSocket, then closes it.
		s.mu.Unlock()
		ws.closeWithFrame()
		return
	}
	s.probe = ws
	s.upgradeTimer = time.AfterFunc(s.srv.opts.UpgradeTimeout, func() { s.abandonUpgrade(ws) })
	s.mu.Unlock()
	s.srv.goTracked(func() { s.readLoop(ws, true) })
}

// answerProbe answers the probe and gets the pending GET out of the way.
func (s *Session) answerProbe(ws *wsConn) bool {
	if err := ws.writeText("3probe"); err != nil {
		s.abandonUpgrade(ws)
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.probe != ws {
		return false
	}
	s.probed = true
	if s.poll != nil {
		s.poll.noop = true
		s.poll.wake()
	}
	return true
}

// completeUpgrade makes ws the session's transport.
func (s *Session) completeUpgrade(ws *wsConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.probe != ws || s.state != stateOpen {
		return false
	}
	if s.upgradeTimer != nil {
		s.upgradeTimer.Stop()
		s.upgradeTimer = nil
	}
	s.probe = nil
	s.probed = false
	s.upgraded = true
	s.transport = transportWebSocket
	s.ws = ws
	if s.poll != nil {
		s.poll.wake() // it is refused: the rest goes on the WebSocket
	}
	s.kickLocked()
	return true
}

// abandonUpgrade drops the probe WebSocket ws, if it is still the session's probe.
func (s *Session) abandonUpgrade(ws *wsConn) {
	s.mu.Lock()
	if s.probe == ws {
		s.dropProbeLocked()
	}
	s.mu.Unlock()
	ws.closeNow()
}
