package engineio

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/parley-go/parley/internal/parser/eio"
)

// handshake opens a session: it checks the protocol version and AllowRequest, then answers
// with the open packet over the request's transport (the polling response, or the first
// WebSocket frame).
func (s *Server) handshake(w http.ResponseWriter, r *http.Request, q url.Values, transport string) {
	if s.opts.AllowRequest != nil {
		if err := s.opts.AllowRequest(r); err != nil {
			var re *RequestError
			if errors.As(err, &re) {
				writeError(w, codeForbidden, re.Status, re.Message)
			} else {
				writeError(w, codeForbidden, http.StatusForbidden, err.Error())
			}
			return
		}
	}
	protocol := 3 // Node: anything but "4" is the 3rd revision
	if q.Get("EIO") == "4" {
		protocol = 4
	}
	if protocol == 3 && !s.opts.AllowEIO3 {
		writeError(w, codeUnsupportedProtocol, 0, "")
		return
	}
	hs := &Handshake{
		Header:     r.Header,
		Query:      q,
		URL:        r.RequestURI,
		RemoteAddr: hostOnly(r.RemoteAddr),
		Host:       r.Host,
		Secure:     r.TLS != nil,
		XDomain:    r.Header.Get("Origin") != "",
		Time:       time.Now(),
	}
	sess := newSession(s, newSID(), protocol, transport, hs)
	sess.b64 = protocol == 3 && q.Get("b64") != ""

	open := eio.Packet{Type: eio.Open, Data: s.openPayload(sess.id, transport)}
	var ws *wsConn
	if transport == transportWebSocket {
		// The open packet goes out with the 101 response.
		var frame [160]byte
		var err error
		ws, err = s.ws.accept(w, r, appendPacketFrame(frame[:0], open, protocol))
		if err != nil {
			return // the upgrader has answered
		}
	} else if s.opts.Cookie != nil {
		http.SetCookie(w, sessionCookie(s.opts.Cookie, sess.id))
	}

	// hmu is held from before the session is visible until its handler is set, so that an
	// early close (Server.Close, a timer) delivers OnClose to that handler.
	sess.hmu.Lock()
	sess.mu.Lock()
	sess.ws = ws
	if ws == nil {
		sess.queue = append(sess.queue, open)
	}
	sess.startHeartbeatLocked()
	s.add(sess)
	sess.mu.Unlock()
	if s.closed.Load() {
		// Server.Close ran meanwhile and may not have seen this session: close it here
		// (Close sets the flag before it looks at the sessions).
		sess.shutdown()
	}

	h := s.opts.Handler.Open(sess)
	if h == nil {
		h = nopHandler{}
	}
	sess.handler = h
	sess.hmu.Unlock()

	sess.mu.Lock()
	sess.kickLocked()
	sess.mu.Unlock()

	if ws != nil {
		// The request's goroutine ends, so that net/http lets go of its buffers and request
		// state. The connection is parked until the client sends something (its reader then
		// gets a goroutine), or gets a reader at once where it cannot be parked.
		sess.startReader(ws)
		return
	}
	sess.handlePoll(w, r)
}

// openPayload is the open packet's JSON, as Node sends it.
func (s *Server) openPayload(sid, transport string) []byte {
	b := make([]byte, 0, 128)
	b = append(b, `{"sid":"`...)
	b = append(b, sid...)
	b = append(b, `","upgrades":[`...)
	if transport == transportPolling && s.allowWS && !s.opts.DisableUpgrades {
		b = append(b, `"websocket"`...)
	}
	b = append(b, `],"pingInterval":`...)
	b = strconv.AppendInt(b, s.opts.PingInterval.Milliseconds(), 10)
	b = append(b, `,"pingTimeout":`...)
	b = strconv.AppendInt(b, s.opts.PingTimeout.Milliseconds(), 10)
	b = append(b, `,"maxPayload":`...)
	b = strconv.AppendInt(b, s.opts.MaxPayload, 10)
	return append(b, '}')
}

// newSID returns a random session id: 15 random bytes in URL-safe base64 (20 characters,
// as Node's base64id).
func newSID() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hostOnly(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

func sessionCookie(c *CookieOptions, sid string) *http.Cookie {
	return &http.Cookie{
		Name:     c.Name,
		Value:    sid,
		Path:     c.Path,
		HttpOnly: c.HTTPOnly,
		SameSite: c.SameSite,
		Secure:   c.Secure,
	}
}

// nopHandler stands in for a nil SessionHandler from Handler.Open.
type nopHandler struct{}

func (nopHandler) OnMessage([]byte, bool) {}
func (nopHandler) OnClose(Reason, error)  {}
