package engineio

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parley-go/parley/internal/parser/eio"
)

// HTTP long-polling: a GET waits until something is queued and takes what is queued (up to
// maxPollPackets packets) as one payload; a POST carries a payload of packets from the client, answered "ok" once they have
// been handled. One GET and one POST may be pending at a time; a second one of either closes
// the session (ReasonTransportError), as in Node.

// pollWaiter is a pending GET, woken (once is enough) when there is something to take.
type pollWaiter struct {
	ch   chan struct{}
	noop bool // released for an upgrade: answer with a noop
}

// maxPollPackets caps the packets of one polling response: python-engineio's client refuses
// a payload of more than 16 packets by default (and drops the connection); every other client
// just polls again.
const maxPollPackets = 16

// probeNoopDelay is how long a GET that comes during an upgrade waits before its noop.
const probeNoopDelay = 100 * time.Millisecond

func (p *pollWaiter) wake() {
	select {
	case p.ch <- struct{}{}:
	default:
	}
}

// bufPool holds payload buffers (polling responses and request bodies).
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > 1<<20 {
		return // let very large buffers go
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// handlePoll answers a polling GET: at once if something is queued, else when something is.
func (s *Session) handlePoll(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.state == stateClosed {
		linger := s.linger
		s.linger = false
		if linger {
			s.lingerTimer.Stop()
		}
		s.mu.Unlock()
		if linger {
			s.srv.remove(s)
			s.writePayload(w, []eio.Packet{noopPacket})
			return
		}
		writeError(w, codeUnknownSID, 0, "")
		return
	}
	if s.transport != transportPolling {
		s.mu.Unlock()
		writeError(w, codeBadRequest, 0, "")
		return
	}
	if s.poll != nil {
		s.closeLocked(ReasonTransportError, errPollOverlap)
		s.mu.Unlock()
		writeError(w, codeBadRequest, 0, "")
		return
	}
	var pw *pollWaiter
	if len(s.queue) == 0 && s.state == stateOpen {
		pw = &pollWaiter{ch: make(chan struct{}, 1)}
		s.poll = pw
		var noopTimer *time.Timer
		if s.probed {
			// A GET during an upgrade gets a noop after a moment (Node's 100 ms check), or
			// is refused if the upgrade completes first.
			noopTimer = time.AfterFunc(probeNoopDelay, func() {
				s.mu.Lock()
				if s.poll == pw {
					pw.noop = true
					pw.wake()
				}
				s.mu.Unlock()
			})
		}
		s.mu.Unlock()
		select {
		case <-pw.ch:
		case <-r.Context().Done():
		}
		if noopTimer != nil {
			noopTimer.Stop()
		}
		s.mu.Lock()
		if s.poll == pw {
			s.poll = nil
			if len(s.queue) == 0 && s.state == stateOpen && s.transport == transportPolling && !pw.noop {
				// The client went away while its poll was pending.
				s.closeLocked(ReasonTransportClose, nil)
				s.mu.Unlock()
				return
			}
		}
	}
	var batch []eio.Packet
	var owned bool
	switch {
	case s.transport != transportPolling:
		// Upgraded while waiting: the rest goes on the WebSocket.
		s.mu.Unlock()
		writeError(w, codeBadRequest, 0, "")
		return
	case len(s.queue) > maxPollPackets:
		// More next time: the client polls again at once.
		batch = s.queue[:maxPollPackets:maxPollPackets]
		s.queue = s.queue[maxPollPackets:]
		for _, p := range batch {
			s.queueBytes -= len(p.Data) + 1
		}
	case len(s.queue) > 0:
		batch = s.takeQueueLocked()
		owned = true
		if s.state == stateClosing {
			if s.closeAfterQueue {
				s.closeAfterQueue = false
				s.queue = append(s.queue, closePacket) // for the next poll
				s.queueBytes++
			} else {
				s.finalizeLocked(s.closingReason, nil)
			}
		}
	case s.state == stateClosed:
		batch = []eio.Packet{closePacket}
	default:
		batch = []eio.Packet{noopPacket} // released for an upgrade
	}
	s.mu.Unlock()

	s.writePayload(w, batch)
	if owned {
		s.mu.Lock()
		s.recycleLocked(batch)
		s.mu.Unlock()
	}
}

// writePayload encodes packets as one polling payload and writes the response.
func (s *Session) writePayload(w http.ResponseWriter, pkts []eio.Packet) {
	buf := getBuf()
	contentType := "text/plain; charset=UTF-8"
	switch {
	case s.protocol == 4:
		*buf = eio.AppendPayload(*buf, pkts)
	case s.b64 || !eio.HasBinary(pkts):
		*buf = eio.AppendPayloadV3(*buf, pkts)
	default:
		*buf = eio.AppendBinaryPayloadV3(*buf, pkts)
		contentType = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(*buf)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(*buf)
	putBuf(buf)
}

// handleData reads a polling POST and handles its packets in order.
func (s *Session) handleData(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	switch {
	case s.state == stateClosed:
		s.mu.Unlock()
		writeError(w, codeUnknownSID, 0, "")
		return
	case s.posting:
		s.closeLocked(ReasonTransportError, errPostOverlap)
		s.mu.Unlock()
		writeError(w, codeBadRequest, 0, "")
		return
	}
	s.posting = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.posting = false
		s.mu.Unlock()
	}()

	max := s.srv.opts.MaxPayload
	if r.ContentLength > max {
		s.close(ReasonTransportError, errPayloadTooBig)
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	buf := getBuf()
	defer putBuf(buf)
	body, tooBig, err := readLimited(r.Body, max, *buf)
	*buf = body
	if tooBig {
		s.close(ReasonTransportError, errPayloadTooBig)
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	if err != nil {
		s.close(ReasonTransportError, err)
		writeError(w, codeBadRequest, 0, "")
		return
	}

	if s.state0() == stateOpen {
		handle := func(p eio.Packet) error {
			if !s.onPacket(p) {
				return errStop
			}
			return nil
		}
		switch {
		case s.protocol == 4:
			err = eio.DecodePayload(body, handle)
		case strings.HasPrefix(r.Header.Get("Content-Type"), "application/octet-stream"):
			err = eio.DecodeBinaryPayloadV3(body, handle)
		default:
			err = eio.DecodePayloadV3(body, handle)
		}
		if err != nil && err != errStop {
			s.close(ReasonParseError, err)
			writeError(w, codeBadRequest, 0, "")
			return
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/html")
	h.Set("Content-Length", "2")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "ok")
}

// state0 returns the session's state.
func (s *Session) state0() sessionState {
	s.mu.Lock()
	st := s.state
	s.mu.Unlock()
	return st
}

// readLimited reads r to its end into buf, stopping with tooBig once more than max bytes
// have come (chunked bodies have no Content-Length to check first).
func readLimited(r io.Reader, max int64, buf []byte) (data []byte, tooBig bool, err error) {
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > max {
			return buf, true, nil
		}
		if err == io.EOF {
			return buf, false, nil
		}
		if err != nil {
			return buf, false, err
		}
	}
}
