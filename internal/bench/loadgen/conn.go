package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// frameConn is one Socket.IO client connection on the default namespace, over either
// transport. ReadFrame returns the next packet that is not a ping (pings are answered inside);
// the slice is valid until the next call. Write sends one packet; it may be called from a
// goroutine other than the reader's, and the caller may reuse b when it returns.
type frameConn interface {
	ReadFrame() ([]byte, error)
	Write(b []byte) error
	Close() error
	// receivedAt returns when the frame ReadFrame returned last arrived, on nowNs's clock.
	receivedAt() int64
}

// handshakeError wraps why a connection could not be set up; it counts as a failed handshake.
type handshakeError struct{ err error }

func (e *handshakeError) Error() string { return "handshake: " + e.err.Error() }
func (e *handshakeError) Unwrap() error { return e.err }

// wsConn is a WebSocket client connection (one Engine.IO packet per text frame). It is a
// minimal RFC 6455 client written for this tool: a general-purpose client's request and
// header handling cost about as much CPU per handshake as the server under test spends, and
// the connects/s scenario must measure the server, not the tool.
type wsConn struct {
	c    net.Conn
	rbuf []byte // received bytes; rbuf[roff:rend] are not yet parsed
	roff int
	rend int
	msg  []byte // a fragmented message being put together

	// With kernel receive timestamps (enableRxStamps): reads go through raw, and rxNs is the
	// kernel's receive time of the last bytes read, on nowNs's clock.
	raw  syscall.RawConn
	oob  []byte
	rxNs int64

	wmu  sync.Mutex // one writer at a time
	wbuf []byte
	mask uint32 // the last masking key; the next is its xorshift successor (seeded at random)
}

// wsDialer opens wsConns.
type wsDialer struct {
	net     net.Dialer
	bufSize int
}

// wsURL turns the server's base URL (http://127.0.0.1:PORT) into the Engine.IO WebSocket URL.
func wsURL(base *url.URL) string {
	u := *base
	if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	u.Path = "/socket.io/"
	u.RawQuery = "EIO=4&transport=websocket"
	return u.String()
}

// newDialer returns a dialer whose connections have bufSize-byte read buffers (the tool holds
// thousands of connections). It offers no compression, as the contract says, and sets no TCP
// keep-alive (the connections live seconds; each option is a system call per connection).
func newDialer(bufSize int) *wsDialer {
	return &wsDialer{net: net.Dialer{KeepAlive: -1}, bufSize: max(bufSize, 512)}
}

// dialWS connects, reads the OPEN packet, sends 40 and waits for the CONNECT reply.
func dialWS(ctx context.Context, d *wsDialer, u string) (*wsConn, error) {
	w, err := d.dial(ctx, u)
	if err != nil {
		return nil, &handshakeError{err}
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = w.c.SetReadDeadline(dl)
	}
	f, err := w.ReadFrame()
	if err != nil || len(f) == 0 || f[0] != eioOpen {
		w.c.Close()
		return nil, &handshakeError{fmt.Errorf("want OPEN, got %q (%v)", clip(f), err)}
	}
	if err := w.Write([]byte("40")); err != nil {
		w.c.Close()
		return nil, &handshakeError{err}
	}
	f, err = w.ReadFrame()
	if err != nil || !bytes.HasPrefix(f, []byte("40")) {
		w.c.Close()
		return nil, &handshakeError{fmt.Errorf("want 40{sid}, got %q (%v)", clip(f), err)}
	}
	_ = w.c.SetReadDeadline(time.Time{})
	return w, nil
}

// wsGUID is RFC 6455's key suffix.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// dial opens the TCP connection and makes the opening handshake.
func (d *wsDialer) dial(ctx context.Context, rawURL string) (*wsConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "ws" {
		return nil, fmt.Errorf("unsupported scheme %q (only ws)", u.Scheme)
	}
	host := u.Host
	if u.Port() == "" {
		host += ":80"
	}
	c, err := d.net.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	seed := rand.Uint64()
	var k [16]byte
	binary.LittleEndian.PutUint64(k[:8], seed)
	binary.LittleEndian.PutUint64(k[8:], rand.Uint64())
	key := base64.StdEncoding.EncodeToString(k[:])
	w := &wsConn{c: c, rbuf: make([]byte, d.bufSize), mask: uint32(seed>>32) | 1}

	req := make([]byte, 0, 256)
	req = append(req, "GET "...)
	req = append(req, u.RequestURI()...)
	req = append(req, " HTTP/1.1\r\nHost: "...)
	req = append(req, u.Host...)
	req = append(req, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "...)
	req = append(req, key...)
	req = append(req, "\r\n\r\n"...)
	if _, err := c.Write(req); err != nil {
		c.Close()
		return nil, err
	}

	// The response's head, and perhaps the first frames after it.
	for {
		n, err := c.Read(w.rbuf[w.rend:])
		w.rend += n
		if i := bytes.Index(w.rbuf[:w.rend], []byte("\r\n\r\n")); i >= 0 {
			w.roff = i + 4
			break
		}
		if err != nil {
			c.Close()
			return nil, err
		}
		if w.rend == len(w.rbuf) {
			c.Close()
			return nil, errors.New("response head too long")
		}
	}
	if err := checkUpgrade(w.rbuf[:w.roff], key); err != nil {
		c.Close()
		return nil, err
	}
	_ = c.SetDeadline(time.Time{})
	return w, nil
}

// checkUpgrade checks a 101 response's head: status, and the accept key derived from key.
func checkUpgrade(head []byte, key string) error {
	status, rest, _ := bytes.Cut(head, []byte("\r\n"))
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 101 ")) {
		return fmt.Errorf("bad handshake: %q", status)
	}
	sum := sha1.Sum([]byte(key + wsGUID))
	want := base64.StdEncoding.EncodeToString(sum[:])
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, val, ok := bytes.Cut(line, []byte(":"))
		if ok && strings.EqualFold(string(name), "Sec-WebSocket-Accept") {
			if string(bytes.TrimSpace(val)) != want {
				return errors.New("bad Sec-WebSocket-Accept")
			}
			return nil
		}
	}
	return errors.New("no Sec-WebSocket-Accept in the response")
}

// fill reads more bytes, keeping rbuf[roff:rend] and making room for at least need bytes.
func (w *wsConn) fill(need int) error {
	if w.roff > 0 {
		w.rend = copy(w.rbuf, w.rbuf[w.roff:w.rend])
		w.roff = 0
	}
	if need > len(w.rbuf) {
		nb := make([]byte, need)
		copy(nb, w.rbuf[:w.rend])
		w.rbuf = nb
	}
	var n int
	var err error
	if w.raw != nil {
		n, err = w.readStamped(w.rbuf[w.rend:])
	} else {
		n, err = w.c.Read(w.rbuf[w.rend:])
	}
	w.rend += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// nextFrame returns the next frame's opcode, FIN bit and payload (valid until the next read).
func (w *wsConn) nextFrame() (op byte, fin bool, payload []byte, err error) {
	for w.rend-w.roff < 2 {
		if err := w.fill(2); err != nil {
			return 0, false, nil, err
		}
	}
	for {
		b := w.rbuf[w.roff:w.rend]
		hdr := 2
		n := int(b[1] & 0x7f)
		if b[1]&0x80 != 0 {
			return 0, false, nil, errors.New("masked frame from the server")
		}
		switch n {
		case 126:
			hdr = 4
		case 127:
			hdr = 10
		}
		if len(b) >= hdr {
			switch n {
			case 126:
				n = int(binary.BigEndian.Uint16(b[2:4]))
			case 127:
				v := binary.BigEndian.Uint64(b[2:10])
				if v > 1<<30 {
					return 0, false, nil, errors.New("frame too large")
				}
				n = int(v)
			}
			if len(b) >= hdr+n {
				w.roff += hdr + n
				return b[0] & 0x0f, b[0]&0x80 != 0, b[hdr : hdr+n], nil
			}
		}
		if err := w.fill(hdr + n); err != nil {
			return 0, false, nil, err
		}
	}
}

// ReadFrame implements frameConn.
func (w *wsConn) ReadFrame() ([]byte, error) {
	w.msg = w.msg[:0]
	fragmented := false
	for {
		op, fin, p, err := w.nextFrame()
		if err != nil {
			return nil, err
		}
		switch op {
		case 0x8: // close
			return nil, errors.New("websocket: close frame received")
		case 0x9: // ping
			if err := w.writeFrame(0xA, p); err != nil {
				return nil, err
			}
			continue
		case 0xA: // pong
			continue
		case 0x2:
			return nil, errors.New("unexpected binary frame")
		case 0x1:
			if fragmented {
				return nil, errors.New("text frame inside a fragmented message")
			}
		case 0x0:
			if !fragmented {
				return nil, errors.New("continuation frame outside a message")
			}
		default:
			return nil, fmt.Errorf("unknown opcode %d", op)
		}
		if fin && !fragmented {
			// The common case: one frame, read in place.
			if len(p) == 1 && p[0] == eioPing {
				if err := w.Write([]byte{eioPong}); err != nil {
					return nil, err
				}
				continue
			}
			return p, nil
		}
		fragmented = true
		w.msg = append(w.msg, p...)
		if fin {
			if len(w.msg) == 1 && w.msg[0] == eioPing {
				if err := w.Write([]byte{eioPong}); err != nil {
					return nil, err
				}
				w.msg, fragmented = w.msg[:0], false
				continue
			}
			return w.msg, nil
		}
	}
}

// receivedAt implements frameConn: the kernel's receive time when receive timestamps are on
// and the kernel gave one, else now.
func (w *wsConn) receivedAt() int64 {
	if w.raw != nil && w.rxNs > 0 {
		return w.rxNs
	}
	return nowNs()
}

// rxStamps turns kernel receive timestamps on for the connections when cfg.rxClock is
// "kernel", and returns the Result's RxClock: "kernel", "tool", or "mixed" when some
// connections could not have them.
func rxStamps(cfg *config, conns []*wsConn) string {
	if cfg.rxClock != "kernel" {
		return "tool"
	}
	on := 0
	var firstErr error
	for _, c := range conns {
		if err := c.enableRxStamps(); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		on++
	}
	switch {
	case on == len(conns):
		return "kernel"
	case on == 0:
		fmt.Fprintln(os.Stderr, "loadgen: no kernel receive timestamps, latency ends when the tool reads:", firstErr)
		return "tool"
	default:
		fmt.Fprintf(os.Stderr, "loadgen: kernel receive timestamps on %d of %d connections: %v\n", on, len(conns), firstErr)
		return "mixed"
	}
}

// Write implements frameConn.
func (w *wsConn) Write(b []byte) error { return w.writeFrame(0x1, b) }

// writeFrame writes one masked frame.
func (w *wsConn) writeFrame(op byte, p []byte) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	b := append(w.wbuf[:0], 0x80|op)
	switch n := len(p); {
	case n <= 125:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	m := w.mask
	m ^= m << 13
	m ^= m >> 17
	m ^= m << 5
	w.mask = m
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], m)
	b = append(b, key[:]...)
	start := len(b)
	b = append(b, p...)
	for i := range b[start:] {
		b[start+i] ^= key[i&3]
	}
	w.wbuf = b
	_, err := w.c.Write(b)
	return err
}

// Close implements frameConn.
func (w *wsConn) Close() error { return w.c.Close() }

// clip shortens a frame for an error message.
func clip(b []byte) []byte {
	if len(b) > 80 {
		return b[:80]
	}
	return b
}
