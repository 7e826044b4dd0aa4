// Package engineio is Parley's Engine.IO protocol v4 server (with v3 behind an option): the
// transports (HTTP long-polling and WebSocket), the upgrade between them, heartbeats, limits
// and CORS. It knows nothing of namespaces, rooms or acknowledgements: it carries messages of
// one session between the network and a Handler.
//
// This file is the contract with the Socket.IO layer: Options, Handler, SessionHandler,
// Session, Message, Handshake, Reason and the errors.
package engineio

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Options configure a Server. The zero value of every field is its documented default (those
// of Node's engine.io); NewServer copies the struct.
type Options struct {
	// Path is where the server answers, with a trailing slash (default "/engine.io/").
	Path string
	// PingInterval is how often the server pings (default 25s).
	PingInterval time.Duration
	// PingTimeout is how long a ping may wait for its pong before the session closes with
	// ReasonPingTimeout (default 20s).
	PingTimeout time.Duration
	// UpgradeTimeout bounds an upgrade from polling to WebSocket; an unfinished upgrade is
	// abandoned after it (default 10s).
	UpgradeTimeout time.Duration
	// MaxPayload is the largest message or polling request body a client may send, in bytes
	// (Node's maxHttpBufferSize; default 1e6). A larger one is refused and closes that
	// session.
	MaxPayload int64
	// Transports lists the allowed transports, "polling" and "websocket" (default both).
	Transports []string
	// DisableUpgrades refuses upgrades from polling to WebSocket (Node's allowUpgrades: false).
	DisableUpgrades bool
	// CORS, when set, answers cross-origin requests (nil: no CORS headers are sent).
	CORS *CORSOptions
	// AllowRequest vets every handshake request; a non-nil error refuses it: a *RequestError
	// chooses the HTTP status and message, any other error gives 403 and its text.
	AllowRequest func(r *http.Request) error
	// AllowEIO3 accepts Engine.IO protocol v3 clients (socket.io-client 2.x).
	AllowEIO3 bool
	// PerMessageDeflate enables WebSocket per-message compression (off by default).
	PerMessageDeflate bool
	// Cookie, when set, sends a cookie holding the session id with the handshake (off by
	// default; used for sticky sessions behind a load balancer).
	Cookie *CookieOptions
	// SendQueueBytes caps the bytes queued for one session that the client has not taken yet
	// (default 4 MiB, never less than MaxPayload). When a Send would pass it, the session is
	// closed with ReasonSlowClient: a slow client never grows the server's memory without
	// bound.
	SendQueueBytes int
	// Handler receives the new sessions. Required.
	Handler Handler
	// Logger receives the server's logs (default slog.Default()).
	Logger *slog.Logger
}

// CORSOptions configure cross-origin resource sharing for the polling transport and the
// handshake.
type CORSOptions struct {
	// Origins allowed; "*" allows any origin (echoed back when Credentials is set).
	Origins []string
	// AllowOrigin, when set, decides instead of Origins.
	AllowOrigin func(origin string) bool
	// Credentials allows cookies and authorization headers (Access-Control-Allow-Credentials).
	Credentials bool
	// Methods allowed (default GET, HEAD, PUT, PATCH, POST, DELETE, as Node's cors package).
	Methods []string
	// AllowedHeaders lists the request headers allowed (default: those the preflight asks).
	AllowedHeaders []string
	// ExposedHeaders lists the response headers exposed to scripts.
	ExposedHeaders []string
	// MaxAge is how long a preflight answer may be cached (0: not sent).
	MaxAge time.Duration
}

// CookieOptions configure the session cookie.
type CookieOptions struct {
	// Name of the cookie (default "io").
	Name string
	// Path of the cookie (default "/").
	Path string
	// HTTPOnly hides the cookie from scripts (default false; set it unless scripts need it).
	HTTPOnly bool
	// SameSite mode of the cookie (default http.SameSiteLaxMode).
	SameSite http.SameSite
	// Secure sends the cookie over HTTPS only.
	Secure bool
}

// RequestError refuses a handshake (from Options.AllowRequest) with an HTTP status and a
// message, answered as Node does: the JSON body {"code":4,"message":<Message>} with Status.
type RequestError struct {
	Status  int
	Message string
}

// Error returns the message.
func (e *RequestError) Error() string { return e.Message }

// Handler receives the sessions of a Server.
type Handler interface {
	// Open is called once for each new session, on the goroutine of its handshake request,
	// after the open packet has been queued: messages sent from Open follow it. It returns
	// the handler of that session's events (non-nil).
	Open(s *Session) SessionHandler
}

// SessionHandler receives the events of one session. Its methods are never called
// concurrently for one session, and messages arrive in the order the client sent them,
// across an upgrade too.
type SessionHandler interface {
	// OnMessage is called for every message packet. data is only valid during the call.
	OnMessage(data []byte, binary bool)
	// OnClose is called exactly once, when the session has closed, with the reason and, for
	// transport errors, the error. No OnMessage follows it.
	OnClose(reason Reason, err error)
}

// Message is one Engine.IO message packet's content: text or binary data. Messages are
// immutable once built and may be shared by any number of sessions (encode a broadcast
// once, send it to many).
type Message struct {
	Data   []byte
	Binary bool
}

// Reason says why a session closed.
type Reason string

// Reasons of a closed session; the strings are Node's.
const (
	// ReasonTransportClose: the client closed the connection (close packet, WebSocket close,
	// dropped TCP connection, aborted pending poll).
	ReasonTransportClose Reason = "transport close"
	// ReasonTransportError: the connection failed (read or write error, oversized payload).
	ReasonTransportError Reason = "transport error"
	// ReasonPingTimeout: no pong (or, for v3 clients, no ping) came in time.
	ReasonPingTimeout Reason = "ping timeout"
	// ReasonParseError: the client sent a packet that could not be decoded.
	ReasonParseError Reason = "parse error"
	// ReasonForcedClose: the server called Session.Close.
	ReasonForcedClose Reason = "forced close"
	// ReasonServerShuttingDown: Server.Close was called.
	ReasonServerShuttingDown Reason = "server shutting down"
	// ReasonSlowClient: the client did not take what was sent fast enough and its send queue
	// passed Options.SendQueueBytes.
	ReasonSlowClient Reason = "slow client"
)

// Handshake is what the handshake request told of the client, kept for the whole session.
type Handshake struct {
	// Header holds the request's headers.
	Header http.Header
	// Query holds the URL's query parameters.
	Query url.Values
	// URL is the request URI as sent ("/socket.io/?EIO=4&transport=polling").
	URL string
	// RemoteAddr is the client's address, host only (no port), as Node reports it.
	RemoteAddr string
	// Host is the Host header.
	Host string
	// Secure reports whether the request came over TLS.
	Secure bool
	// XDomain reports whether the request had an Origin header (a cross-domain request).
	XDomain bool
	// Time is when the handshake happened.
	Time time.Time
}

// Errors of the package.
var (
	// ErrClosed is returned by Send on a closed session.
	ErrClosed = errors.New("engineio: session closed")
	// ErrServerClosed is returned after Server.Close.
	ErrServerClosed = errors.New("engineio: server closed")
)
