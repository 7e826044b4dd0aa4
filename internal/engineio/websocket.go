package engineio

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parley-go/parley/internal/parser/eio"
)

// The WebSocket transport's connection: the opening handshake, framing (RFC 6455) and
// permessage-deflate without context takeover (RFC 7692), written for this server's needs.
//
// Memory is the reason it is not a general-purpose library: where it can be parked (below),
// an idle connection holds neither a buffer nor a goroutine. A reader reads through a pooled
// 4 KiB buffer, which it keeps until it parks (a reader that cannot park keeps it while it
// waits); messages are assembled in pooled buffers handed to the caller; frames larger than
// the read buffer are read straight into the message.
//
// Parking: on Linux, over plain TCP, a connection on which nothing has come for wsParkAfter
// is handed to the server's poller (an epoll instance of its own) and its reader goroutine
// ends; the poller starts a new reader when bytes come. A busy connection keeps its reader,
// so the cost (an epoll_ctl and a goroutine start per wake) falls only on connections that
// were quiet, and an idle connection costs its socket and its state, not a goroutine stack.
//
// Writing: a batch of frames is one write (large payloads by writev, from where they are).
// Session.Send on an idle connection writes the frames itself with one non-blocking write
// (tryWrite); what the socket does not take waits in pending for a writer goroutine.

const (
	// wsWriteTimeout bounds one batch's writes (and the handshake response's).
	wsWriteTimeout = 10 * time.Second
	// wsControlTimeout bounds writing a control frame (pong, close).
	wsControlTimeout = time.Second
	// wsParkAfter is how long a connection's reader waits for a frame before it parks.
	wsParkAfter = 100 * time.Millisecond
	// wsReadBufSize is the pooled read buffer's size: frame headers and small frames.
	wsReadBufSize = 4096
	// wsInlineMax is the largest payload copied into the write buffer; a larger one is
	// written from where it is (one writev with what precedes it).
	wsInlineMax = 2048
	// wsFlushAt is the write buffer's size that makes a batch write what it has so far.
	wsFlushAt = 32 << 10
	// wsDirectMax is the most a sender writes itself (Session.Send); more goes to the writer.
	wsDirectMax = 16 << 10
)

// WebSocket opcodes and header bits.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa

	bitFin  = 0x80
	bitRsv1 = 0x40
	bitMask = 0x80
)

// Close status codes sent by the server.
const (
	closeNormal        = 1000
	closeProtocolError = 1002
	closeTooBig        = 1009
)

var (
	// errFrameTooBig reports a message over MaxPayload.
	errFrameTooBig = errors.New("engineio: WebSocket message larger than MaxPayload")
	// errWSProtocol reports a frame that breaks RFC 6455.
	errWSProtocol = errors.New("engineio: WebSocket protocol error")
	// errPeerClosed reports the peer's close frame.
	errPeerClosed = errors.New("engineio: WebSocket closed by the peer")
	// errIdle reports that nothing came for wsParkAfter (only when parking is possible).
	errIdle = errors.New("engineio: WebSocket idle")
)

// wsAcceptor upgrades HTTP requests to WebSocket connections.
type wsAcceptor struct {
	maxMsg  int64 // the largest message: MaxPayload and the packet type
	deflate bool  // offer permessage-deflate
	poller  func() *poller
}

func newWSAcceptor(opts *Options, poller func() *poller) wsAcceptor {
	return wsAcceptor{maxMsg: opts.MaxPayload + 1, deflate: opts.PerMessageDeflate, poller: poller}
}

// isWebSocketUpgrade reports whether r asks for a WebSocket.
func isWebSocketUpgrade(r *http.Request) bool {
	return headerHasToken(r.Header, "Connection", "upgrade") &&
		headerHasToken(r.Header, "Upgrade", "websocket")
}

// headerHasToken reports whether a comma-separated header holds token (case-insensitive).
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for v != "" {
			var t string
			t, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// wsGUID is RFC 6455's key suffix.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// accept completes the opening handshake and takes the connection over. first, when not
// empty, is frames written in the same write as the 101 response (a new session's open
// packet: one system call instead of two, and no writer goroutine for it). On failure it has
// answered the request.
func (a *wsAcceptor) accept(w http.ResponseWriter, r *http.Request, first []byte) (*wsConn, error) {
	fail := func(status int, msg string) (*wsConn, error) {
		if status == http.StatusBadRequest && r.Header.Get("Sec-Websocket-Version") != "13" {
			w.Header().Set("Sec-Websocket-Version", "13")
		}
		writeError(w, codeBadRequest, status, "")
		return nil, errors.New("engineio: WebSocket handshake: " + msg)
	}
	if r.Method != http.MethodGet {
		return fail(http.StatusMethodNotAllowed, "method is not GET")
	}
	if !isWebSocketUpgrade(r) {
		return fail(http.StatusBadRequest, "not an upgrade to websocket")
	}
	if r.Header.Get("Sec-Websocket-Version") != "13" {
		return fail(http.StatusBadRequest, "unsupported version")
	}
	key := strings.TrimSpace(r.Header.Get("Sec-Websocket-Key"))
	if k, err := base64.StdEncoding.DecodeString(key); err != nil || len(k) != 16 {
		return fail(http.StatusBadRequest, "bad Sec-WebSocket-Key")
	}
	deflate := a.deflate && offersDeflate(r.Header)
	hj, ok := w.(http.Hijacker)
	if !ok {
		return fail(http.StatusInternalServerError, "the response cannot be hijacked")
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return fail(http.StatusInternalServerError, err.Error())
	}
	ws := &wsConn{conn: conn, maxMsg: a.maxMsg, deflate: deflate}
	if n := brw.Reader.Buffered(); n > 0 {
		// The client sent frames right after its request: they are the stream's first bytes.
		ws.rbuf = getReadBuf()
		b, _ := brw.Reader.Peek(n)
		if n > len(*ws.rbuf) {
			*ws.rbuf = make([]byte, n)
		}
		ws.rend = copy(*ws.rbuf, b)
	}

	sum := sha1.Sum([]byte(key + wsGUID))
	var resp [384]byte
	out := append(resp[:0], "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	out = base64.StdEncoding.AppendEncode(out, sum[:])
	if deflate {
		out = append(out, "\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover"...)
	}
	out = append(out, "\r\n\r\n"...)
	out = append(out, first...)
	_ = conn.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
	if _, err := conn.Write(out); err != nil {
		ws.releaseRead()
		_ = conn.Close()
		return nil, err
	}
	_ = conn.SetWriteDeadline(time.Time{})

	if sc, ok := conn.(*net.TCPConn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			ws.raw = rc
			if p := a.poller(); p != nil && ws.rbuf == nil {
				ws.poller = p
			}
		}
	}
	return ws, nil
}

// offersDeflate reports whether the client offers permessage-deflate in a form this server
// takes: without context takeover on our side, and a full window (flate's is fixed).
func offersDeflate(h http.Header) bool {
	for _, v := range h.Values("Sec-Websocket-Extensions") {
		for _, ext := range strings.Split(v, ",") {
			params := strings.Split(ext, ";")
			if !strings.EqualFold(strings.TrimSpace(params[0]), "permessage-deflate") {
				continue
			}
			ok := true
			for _, p := range params[1:] {
				name, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				switch strings.ToLower(strings.TrimSpace(name)) {
				case "server_no_context_takeover", "client_no_context_takeover", "client_max_window_bits":
				case "server_max_window_bits":
					ok = ok && strings.Trim(strings.TrimSpace(val), `"`) == "15"
				default:
					ok = false
				}
			}
			if ok {
				return true
			}
		}
	}
	return false
}

// wsConn is one WebSocket connection. One goroutine at a time reads (the reader, which may
// change across parks); writes are serialized by wmu; closeNow may be called from anywhere.
type wsConn struct {
	conn    net.Conn
	maxMsg  int64
	deflate bool

	// reading: the reader's only
	rbuf       *[]byte // pooled while a reader runs; nil while parked
	rpos, rend int
	deadline   time.Time // the read deadline set on conn; zero if none
	msg        *[]byte   // the fragmented message being assembled
	msgBinary  bool
	msgDeflate bool
	fragmented bool

	// parking (nil poller: this connection's reader never parks)
	poller     *poller
	raw        syscall.RawConn // the TCP socket, for parking and non-blocking writes; nil over TLS
	parkID     uint64          // guarded by poller.mu
	registered bool            // the reader's: the fd is in the poller's epoll set
	noPark     bool            // the reader's: parking failed once, read on without it

	wmu       sync.Mutex // one writer at a time: batches, pongs, close frames
	pending   []byte     // the writer's: what a non-blocking write left, written first
	closed    atomic.Bool
	closeOnce sync.Once
}

// read returns the next message in a pooled buffer (release gives it back with putBuf).
// With idle set and a poller, it returns errIdle when no frame has begun for wsParkAfter.
// It answers pings and the peer's close frame itself.
func (w *wsConn) read(idle bool) (data []byte, binary bool, buf *[]byte, err error) {
	idle = idle && w.poller != nil && !w.noPark
	for {
		b0, b1, err := w.readHeader(idle && !w.fragmented)
		if err != nil {
			return nil, false, nil, w.failRead(err)
		}
		op := b0 & 0x0f
		n, hlen := int64(b1&0x7f), 2
		switch n {
		case 126:
			if err = w.need(4); err != nil {
				return nil, false, nil, w.failRead(err)
			}
			hdr := w.buffered()
			n, hlen = int64(hdr[2])<<8|int64(hdr[3]), 4
		case 127:
			if err = w.need(10); err != nil {
				return nil, false, nil, w.failRead(err)
			}
			hdr := w.buffered()
			n, hlen = 0, 10
			for _, c := range hdr[2:10] {
				n = n<<8 | int64(c)
			}
			if n < 0 {
				return nil, false, nil, w.failRead(errWSProtocol)
			}
		}
		if b1&bitMask == 0 {
			return nil, false, nil, w.failRead(errWSProtocol) // clients mask every frame
		}
		if err = w.need(hlen + 4); err != nil {
			return nil, false, nil, w.failRead(err)
		}
		var key [4]byte
		copy(key[:], w.buffered()[hlen:hlen+4])
		w.rpos += hlen + 4
		fin := b0&bitFin != 0
		rsv := b0 & 0x70

		switch op {
		case opClose, opPing, opPong:
			if !fin || rsv != 0 || n > 125 {
				return nil, false, nil, w.failRead(errWSProtocol)
			}
			if err = w.need(int(n)); err != nil {
				return nil, false, nil, w.failRead(err)
			}
			var payload [125]byte
			p := payload[:copy(payload[:], w.buffered()[:n])]
			w.rpos += int(n)
			maskBytes(key, 0, p)
			switch op {
			case opPing:
				if err := w.writeControl(opPong, p); err != nil {
					return nil, false, nil, w.failRead(err)
				}
			case opClose:
				w.answerClose(p)
				return nil, false, nil, w.failRead(errPeerClosed)
			}
			continue
		case opText, opBinary:
			if w.fragmented || rsv&^bitRsv1 != 0 || (rsv != 0 && !w.deflate) {
				return nil, false, nil, w.failRead(errWSProtocol)
			}
			w.msg = getBuf()
			w.msgBinary, w.msgDeflate, w.fragmented = op == opBinary, rsv != 0, true
		case opContinuation:
			if !w.fragmented || rsv != 0 {
				return nil, false, nil, w.failRead(errWSProtocol)
			}
		default:
			return nil, false, nil, w.failRead(errWSProtocol)
		}
		if n > w.maxMsg-int64(len(*w.msg)) {
			return nil, false, nil, w.failRead(errFrameTooBig)
		}
		if err := w.readPayload(key, int(n)); err != nil {
			return nil, false, nil, w.failRead(err)
		}
		if !fin {
			continue
		}
		buf, binary = w.msg, w.msgBinary
		w.msg, w.fragmented = nil, false
		if w.msgDeflate {
			inflated, err := inflate(*buf, w.maxMsg)
			putBuf(buf)
			if err != nil {
				return nil, false, nil, w.failRead(err)
			}
			buf = inflated
		}
		return *buf, binary, buf, nil
	}
}

// readHeader waits for the first two bytes of a frame. With idle set it gives up with
// errIdle when none has come for wsParkAfter.
func (w *wsConn) readHeader(idle bool) (b0, b1 byte, err error) {
	if idle && w.rend == w.rpos {
		if now := time.Now(); w.deadline.Sub(now) < wsParkAfter/2 {
			w.deadline = now.Add(wsParkAfter)
			_ = w.conn.SetReadDeadline(w.deadline)
		}
		w.ensureBuf()
		m, err := w.conn.Read((*w.rbuf)[w.rend:])
		w.rend += m
		if err != nil && m == 0 {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return 0, 0, errIdle
			}
			return 0, 0, err
		}
	}
	if err := w.need(2); err != nil {
		return 0, 0, err
	}
	hdr := w.buffered()
	return hdr[0], hdr[1], nil
}

// buffered returns what the read buffer holds and has not been used.
func (w *wsConn) buffered() []byte { return (*w.rbuf)[w.rpos:w.rend] }

func (w *wsConn) ensureBuf() {
	if w.rbuf == nil {
		w.rbuf = getReadBuf()
		w.rpos, w.rend = 0, 0
	}
}

// need reads until n bytes (at most the buffer's size) are buffered.
func (w *wsConn) need(n int) error {
	w.ensureBuf()
	if w.rend-w.rpos >= n {
		return nil
	}
	b := *w.rbuf
	if len(b)-w.rpos < n {
		w.rend = copy(b, b[w.rpos:w.rend])
		w.rpos = 0
	}
	for w.rend-w.rpos < n {
		m, err := w.readConn(b[w.rend:])
		w.rend += m
		if err != nil && w.rend-w.rpos < n {
			return err
		}
	}
	return nil
}

// readConn reads from the connection; a frame once begun is read without a deadline.
func (w *wsConn) readConn(p []byte) (int, error) {
	for {
		n, err := w.conn.Read(p)
		if n == 0 && err != nil && errors.Is(err, os.ErrDeadlineExceeded) && !w.deadline.IsZero() {
			w.deadline = time.Time{}
			_ = w.conn.SetReadDeadline(time.Time{})
			continue
		}
		if err == io.EOF && n == 0 {
			return 0, io.ErrUnexpectedEOF
		}
		return n, err
	}
}

// readPayload appends a frame's n payload bytes, unmasked, to the message.
func (w *wsConn) readPayload(key [4]byte, n int) error {
	m := *w.msg
	start := len(m)
	if cap(m)-start < n {
		grown := make([]byte, start, start+n)
		copy(grown, m)
		m = grown
	}
	m = m[:start+n]
	got := copy(m[start:], w.buffered())
	w.rpos += got
	for got < n {
		k, err := w.readConn(m[start+got:])
		got += k
		if err != nil && got < n {
			*w.msg = m[:start+got]
			return err
		}
	}
	maskBytes(key, 0, m[start:])
	*w.msg = m
	return nil
}

// releaseRead gives back the reader's buffers; the reader is done with the connection.
func (w *wsConn) releaseRead() {
	if w.rbuf != nil {
		putReadBuf(w.rbuf)
		w.rbuf = nil
	}
	if w.msg != nil {
		putBuf(w.msg)
		w.msg = nil
	}
	w.fragmented = false
}

// failRead sends the close frame a failed read calls for and returns err.
func (w *wsConn) failRead(err error) error {
	switch {
	case errors.Is(err, errFrameTooBig):
		w.writeClose(closeTooBig)
	case errors.Is(err, errWSProtocol):
		w.writeClose(closeProtocolError)
	}
	if w.msg != nil {
		putBuf(w.msg)
		w.msg, w.fragmented = nil, false
	}
	return err
}

// answerClose answers the peer's close frame with the same status.
func (w *wsConn) answerClose(p []byte) {
	code := closeNormal
	if len(p) >= 2 {
		code = int(p[0])<<8 | int(p[1])
	}
	w.writeClose(code)
}

// park hands the connection to the poller: wake runs (on the poller's goroutine, which it
// must not block) when bytes come. It reports false when the connection cannot be parked;
// the caller then reads on.
func (w *wsConn) park(wake func()) bool {
	if w.poller == nil || w.noPark || w.rbuf != nil && w.rpos != w.rend || w.fragmented {
		return false
	}
	w.releaseRead()
	if err := w.poller.arm(w, wake); err != nil {
		w.noPark = true // read on without a deadline: the connection is failing or closed
		w.deadline = time.Time{}
		_ = w.conn.SetReadDeadline(time.Time{})
		return false
	}
	return true
}

// isCleanClose reports whether a read error is the peer going away rather than a failure.
func isCleanClose(err error) bool {
	return errors.Is(err, errPeerClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// writeText writes one text frame (the probe's answer).
func (w *wsConn) writeText(s string) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	_ = w.conn.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
	bp := getBuf()
	defer putBuf(bp)
	b := appendFrameHeader((*bp)[:0], opText, false, len(s))
	b = append(b, s...)
	*bp = b
	_, err := w.conn.Write(b)
	return err
}

// writeBatch writes one frame per packet: text packets as a type digit and data, binary
// messages as raw bytes (v4) or the type byte and data (v3). Small frames go out together
// in one write; a large payload is written from where it is, never copied.
func (w *wsConn) writeBatch(pkts []eio.Packet, protocol int) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	_ = w.conn.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
	bp := getBuf()
	defer putBuf(bp)
	b := (*bp)[:0]
	var err error
	for _, p := range pkts {
		switch {
		case !w.deflate && len(p.Data) <= wsInlineMax:
			b = appendPacketFrame(b, p, protocol)
		default:
			op, pre := frameStart(p, protocol)
			if w.deflate {
				if b, err = appendDeflated(b, op, pre, p.Data); err != nil {
					return err
				}
				break
			}
			b = appendFrameHeader(b, op, false, len(pre)+len(p.Data))
			b = append(b, pre...)
			bufs := net.Buffers{b, p.Data}
			if _, err = bufs.WriteTo(w.conn); err != nil {
				*bp = b
				return err
			}
			b = b[:0]
		}
		if len(b) >= wsFlushAt {
			if _, err = w.conn.Write(b); err != nil {
				*bp = b
				return err
			}
			b = b[:0]
		}
	}
	*bp = b
	if len(b) > 0 {
		_, err = w.conn.Write(b)
	}
	return err
}

// canWriteDirect reports whether tryWrite can be used.
func (w *wsConn) canWriteDirect() bool { return w.raw != nil && !w.deflate && rawWriteSupported }

// tryWrite writes the batch's frames with one non-blocking write. What the socket does not
// take is kept for the writer goroutine (flushPending); all reports whether nothing was.
// The caller must be the session's writer.
func (w *wsConn) tryWrite(pkts []eio.Packet, protocol int) (all bool, err error) {
	if len(pkts) == 0 {
		return true, nil
	}
	w.wmu.Lock()
	defer w.wmu.Unlock()
	bp := getBuf()
	defer putBuf(bp)
	b := (*bp)[:0]
	for _, p := range pkts {
		b = appendPacketFrame(b, p, protocol)
	}
	*bp = b
	n, err := rawWriteNonblock(w.raw, b)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// A writer goroutine's deadline, passed since: this write does not wait, so none
		// applies to it.
		_ = w.conn.SetWriteDeadline(time.Time{})
		n, err = rawWriteNonblock(w.raw, b)
	}
	if err != nil {
		return false, err
	}
	if n < len(b) {
		w.pending = append(w.pending[:0], b[n:]...)
		return false, nil
	}
	return true, nil
}

// flushPending writes what tryWrite left, waiting as long as wsWriteTimeout.
func (w *wsConn) flushPending() error {
	if len(w.pending) == 0 {
		return nil
	}
	w.wmu.Lock()
	defer w.wmu.Unlock()
	_ = w.conn.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
	_, err := w.conn.Write(w.pending)
	w.pending = nil
	return err
}

// appendPacketFrame appends one packet's frame, uncompressed.
func appendPacketFrame(b []byte, p eio.Packet, protocol int) []byte {
	op, pre := frameStart(p, protocol)
	b = appendFrameHeader(b, op, false, len(pre)+len(p.Data))
	b = append(b, pre...)
	return append(b, p.Data...)
}

// typeDigits and v3BinaryPrefix are what precedes a packet's data in its frame.
var (
	typeDigits     = []byte("0123456")
	v3BinaryPrefix = []byte{byte(eio.Message)}
)

// frameStart returns a packet's opcode and the bytes that precede its data in the frame:
// text packets start with their type digit, v3 binary messages with the type byte, and v4
// binary messages with nothing.
func frameStart(p eio.Packet, protocol int) (op byte, prefix []byte) {
	switch {
	case !p.Binary:
		return opText, typeDigits[p.Type : p.Type+1]
	case protocol == 3:
		return opBinary, v3BinaryPrefix
	default:
		return opBinary, nil
	}
}

// writeControl writes one control frame.
func (w *wsConn) writeControl(op byte, payload []byte) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	var frame [2 + 125]byte
	b := appendFrameHeader(frame[:0], op, false, len(payload))
	b = append(b, payload...)
	_ = w.conn.SetWriteDeadline(time.Now().Add(wsControlTimeout))
	_, err := w.conn.Write(b)
	return err
}

// writeClose sends a close frame with code, best effort.
func (w *wsConn) writeClose(code int) {
	_ = w.writeControl(opClose, []byte{byte(code >> 8), byte(code)})
}

// closeWithFrame sends a normal close frame, then closes the connection.
func (w *wsConn) closeWithFrame() {
	if !w.closed.Load() {
		w.writeClose(closeNormal)
	}
	w.closeNow()
}

// closeNow closes the connection without a close frame.
func (w *wsConn) closeNow() {
	w.closeOnce.Do(func() {
		w.closed.Store(true)
		if w.poller != nil {
			w.poller.cancel(w)
		}
		_ = w.conn.Close()
	})
}

// appendFrameHeader appends a server frame's header (final, unmasked).
func appendFrameHeader(b []byte, op byte, compressed bool, n int) []byte {
	b0 := bitFin | op
	if compressed {
		b0 |= bitRsv1
	}
	switch {
	case n <= 125:
		return append(b, b0, byte(n))
	case n <= 0xffff:
		return append(b, b0, 126, byte(n>>8), byte(n))
	default:
		return append(b, b0, 127, byte(uint64(n)>>56), byte(uint64(n)>>48), byte(uint64(n)>>40),
			byte(uint64(n)>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// maskBytes applies the masking key to b, whose first byte is at pos in the payload, and
// returns the position after it.
func maskBytes(key [4]byte, pos int, b []byte) int {
	if len(b) >= 16 {
		// Align the key to pos, then xor eight bytes at a time.
		var k8 [8]byte
		for i := range k8 {
			k8[i] = key[(pos+i)&3]
		}
		kw := uint64(k8[0]) | uint64(k8[1])<<8 | uint64(k8[2])<<16 | uint64(k8[3])<<24 |
			uint64(k8[4])<<32 | uint64(k8[5])<<40 | uint64(k8[6])<<48 | uint64(k8[7])<<56
		for len(b) >= 8 {
			v := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
				uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
			v ^= kw
			b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
			b[4], b[5], b[6], b[7] = byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56)
			b = b[8:]
		}
	}
	for i := range b {
		b[i] ^= key[pos&3]
		pos++
	}
	return pos
}

// readBufPool holds the connections' read buffers.
var readBufPool = sync.Pool{New: func() any { b := make([]byte, wsReadBufSize); return &b }}

func getReadBuf() *[]byte { return readBufPool.Get().(*[]byte) }

func putReadBuf(b *[]byte) {
	if len(*b) != wsReadBufSize {
		return
	}
	readBufPool.Put(b)
}
