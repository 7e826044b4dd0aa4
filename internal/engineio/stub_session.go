package engineio

import (
	"context"
	"net/http"
)

// THIS FILE IS A STUB: the implementation replaces it. Signatures are the contract.

// Server is an Engine.IO server; it is an http.Handler.
type Server struct{}

// NewServer returns a server with the options (Handler is required; NewServer panics without
// one, a programming error).
func NewServer(opts Options) *Server { return &Server{} }

// ServeHTTP answers Engine.IO requests under the configured path.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {}

// Close closes every session with ReasonServerShuttingDown (each gets a close packet where
// the transport allows), refuses new requests, and returns when every goroutine of the server
// has ended or ctx is done.
func (s *Server) Close(ctx context.Context) error { return nil }

// SessionCount returns the number of open sessions.
func (s *Server) SessionCount() int { return 0 }

// Session is one client's Engine.IO session. Its methods are safe for concurrent use.
type Session struct{}

// ID returns the session id (the "sid").
func (s *Session) ID() string { return "" }

// Protocol returns the Engine.IO protocol version of the client, 3 or 4.
func (s *Session) Protocol() int { return 4 }

// Transport returns the current transport name, "polling" or "websocket".
func (s *Session) Transport() string { return "" }

// Handshake returns what the handshake request told of the client.
func (s *Session) Handshake() *Handshake { return nil }

// Send queues the messages, in order and together (no other Send's messages come between
// them), and returns without waiting for the network. It returns ErrClosed on a closed
// session. When the queue would pass Options.SendQueueBytes, the session closes with
// ReasonSlowClient and Send returns ErrClosed.
func (s *Session) Send(msgs ...Message) error { return nil }

// SendVolatile queues the messages only if the transport can take them now (nothing is
// waiting in the queue, and for polling a request is pending); otherwise they are dropped.
// It reports whether they were queued.
func (s *Session) SendVolatile(msgs ...Message) bool { return false }

// Close closes the session with ReasonForcedClose after what is queued has been sent, and
// sends the client a close packet. It does not wait.
func (s *Session) Close() {}
