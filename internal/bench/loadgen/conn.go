package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// frameConn is one Socket.IO client connection on the default namespace, over either
// transport. ReadFrame returns the next packet that is not a ping (pings are answered inside);
// the slice is valid until the next call. Write sends one packet; it may be called from a
// goroutine other than the reader's, and the caller may reuse b when it returns.
type frameConn interface {
	ReadFrame() ([]byte, error)
	Write(b []byte) error
	Close() error
}

// handshakeError wraps why a connection could not be set up; it counts as a failed handshake.
type handshakeError struct{ err error }

func (e *handshakeError) Error() string { return "handshake: " + e.err.Error() }
func (e *handshakeError) Unwrap() error { return e.err }

// wsConn is a WebSocket client connection (one Engine.IO packet per text frame).
type wsConn struct {
	c   *websocket.Conn
	buf []byte
	wmu sync.Mutex // one writer at a time: gorilla allows a single concurrent writer
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

// newDialer returns a WebSocket dialer with small buffers (the tool holds thousands of
// connections) and no compression, as the contract says.
func newDialer(bufSize int) *websocket.Dialer {
	return &websocket.Dialer{
		HandshakeTimeout:  10 * time.Second,
		ReadBufferSize:    bufSize,
		WriteBufferSize:   bufSize,
		EnableCompression: false,
	}
}

// dialWS connects, reads the OPEN packet, sends 40 and waits for the CONNECT reply.
func dialWS(ctx context.Context, d *websocket.Dialer, u string) (*wsConn, error) {
	c, resp, err := d.DialContext(ctx, u, nil)
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%w (HTTP %s)", err, resp.Status)
		}
		return nil, &handshakeError{err}
	}
	w := &wsConn{c: c}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetReadDeadline(dl)
	}
	f, err := w.ReadFrame()
	if err != nil || len(f) == 0 || f[0] != eioOpen {
		c.Close()
		return nil, &handshakeError{fmt.Errorf("want OPEN, got %q (%v)", clip(f), err)}
	}
	if err := w.Write([]byte("40")); err != nil {
		c.Close()
		return nil, &handshakeError{err}
	}
	f, err = w.ReadFrame()
	if err != nil || !bytes.HasPrefix(f, []byte("40")) {
		c.Close()
		return nil, &handshakeError{fmt.Errorf("want 40{sid}, got %q (%v)", clip(f), err)}
	}
	_ = c.SetReadDeadline(time.Time{})
	return w, nil
}

// ReadFrame implements frameConn.
func (w *wsConn) ReadFrame() ([]byte, error) {
	for {
		typ, r, err := w.c.NextReader()
		if err != nil {
			return nil, err
		}
		if typ != websocket.TextMessage {
			return nil, fmt.Errorf("unexpected binary frame")
		}
		w.buf = w.buf[:0]
		for {
			if len(w.buf) == cap(w.buf) {
				w.buf = append(w.buf, 0)[:len(w.buf)]
			}
			n, err := r.Read(w.buf[len(w.buf):cap(w.buf)])
			w.buf = w.buf[:len(w.buf)+n]
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
		}
		if len(w.buf) == 1 && w.buf[0] == eioPing {
			if err := w.Write([]byte{eioPong}); err != nil {
				return nil, err
			}
			continue
		}
		return w.buf, nil
	}
}

// Write implements frameConn.
func (w *wsConn) Write(b []byte) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	return w.c.WriteMessage(websocket.TextMessage, b)
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
