package engineio

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/parley-go/parley/internal/parser/eio"
)

// The WebSocket transport's connection, on github.com/gorilla/websocket. This is the only
// file that imports a WebSocket library.
//
// Memory: an idle connection holds a 1 KiB read buffer and no write buffer: write buffers
// come from a pool only while a message is being written, and read messages go into pooled
// buffers returned after delivery. (Reusing net/http's hijacked 4 KiB read buffer, with
// ReadBufferSize 0, measured 14.2 KB of process RSS per idle connection against 10.9 KB with
// 1 KiB; larger frames are read straight into the message buffer, not through it.)

// wsWriteTimeout bounds one batch's writes (and the close frame's).
const wsWriteTimeout = 10 * time.Second

// wsAcceptor upgrades HTTP requests to WebSocket connections.
type wsAcceptor struct {
	up       websocket.Upgrader
	maxFrame int64
}

func newWSAcceptor(opts *Options) wsAcceptor {
	return wsAcceptor{
		up: websocket.Upgrader{
			ReadBufferSize:    1024,
			WriteBufferPool:   &sync.Pool{},
			EnableCompression: opts.PerMessageDeflate,
			// Engine.IO does not restrict WebSocket origins (Node neither): AllowRequest does.
			CheckOrigin: func(*http.Request) bool { return true },
			Error: func(w http.ResponseWriter, _ *http.Request, status int, _ error) {
				writeError(w, codeBadRequest, status, "")
			},
		},
		// The frame carries the packet type too.
		maxFrame: opts.MaxPayload + 1,
	}
}

// isWebSocketUpgrade reports whether r asks for a WebSocket.
func isWebSocketUpgrade(r *http.Request) bool { return websocket.IsWebSocketUpgrade(r) }

// wsConn is one WebSocket connection. One goroutine reads, one at a time writes; closeNow
// may be called from anywhere.
type wsConn struct {
	c         *websocket.Conn
	closeOnce sync.Once
}

// accept upgrades the request.
func (a *wsAcceptor) accept(w http.ResponseWriter, r *http.Request, h http.Header) (*wsConn, error) {
	c, err := a.up.Upgrade(w, r, h)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(a.maxFrame)
	return &wsConn{c: c}, nil
}

// errFrameTooBig reports a frame over MaxPayload.
var errFrameTooBig = errors.New("engineio: WebSocket frame larger than MaxPayload")

// read returns the next message in a pooled buffer; release gives the buffer back.
func (w *wsConn) read() (data []byte, binary bool, buf *[]byte, err error) {
	typ, r, err := w.c.NextReader()
	if err != nil {
		if errors.Is(err, websocket.ErrReadLimit) {
			err = errFrameTooBig
		}
		return nil, false, nil, err
	}
	buf = getBuf()
	b, _, err := readLimited(r, 1<<62, *buf)
	*buf = b
	if err != nil {
		putBuf(buf)
		if errors.Is(err, websocket.ErrReadLimit) {
			err = errFrameTooBig
		}
		return nil, false, nil, err
	}
	return b, typ == websocket.BinaryMessage, buf, nil
}

// isCleanClose reports whether a read error is the peer going away rather than a failure.
func isCleanClose(err error) bool {
	var ce *websocket.CloseError
	return errors.As(err, &ce) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// writeText writes one text frame (the probe's answer).
func (w *wsConn) writeText(s string) error {
	_ = w.c.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
	return w.c.WriteMessage(websocket.TextMessage, []byte(s))
}

// writeBatch writes one frame per packet: text packets as a type digit and data, binary
// messages as raw bytes (v4) or the type byte and data (v3). The data is written as is,
// never copied into a new message.
func (w *wsConn) writeBatch(pkts []eio.Packet, protocol int) error {
	_ = w.c.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
	var prefix [1]byte
	for _, p := range pkts {
		typ := websocket.TextMessage
		if p.Binary {
			typ = websocket.BinaryMessage
		}
		mw, err := w.c.NextWriter(typ)
		if err != nil {
			return err
		}
		switch {
		case !p.Binary:
			prefix[0] = '0' + byte(p.Type)
			_, err = mw.Write(prefix[:])
		case protocol == 3:
			prefix[0] = byte(eio.Message)
			_, err = mw.Write(prefix[:])
		}
		if err == nil && len(p.Data) > 0 {
			_, err = mw.Write(p.Data)
		}
		if cerr := mw.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// closeWithFrame sends a normal close frame, then closes the connection.
func (w *wsConn) closeWithFrame() {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	_ = w.c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	w.closeNow()
}

// closeNow closes the connection without a close frame.
func (w *wsConn) closeNow() {
	w.closeOnce.Do(func() { _ = w.c.Close() })
}
