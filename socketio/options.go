package socketio

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/parley-go/parley/internal/engineio"
)

// Options configure a Server. The zero value of every field means its documented default,
// which is Node's socket.io default; NewServer copies the struct.
type Options struct {
	// Path is where the server answers (default "/socket.io/").
	Path string
	// PingInterval is the heartbeat interval (default 25s).
	PingInterval time.Duration
	// PingTimeout is how long a heartbeat may wait for its answer (default 20s).
	PingTimeout time.Duration
	// ConnectTimeout closes a connection that has joined no namespace after this long
	// (default 45s).
	ConnectTimeout time.Duration
	// UpgradeTimeout bounds an upgrade from polling to WebSocket (default 10s).
	UpgradeTimeout time.Duration
	// MaxHTTPBufferSize is the largest message (WebSocket frame, polling request body) a
	// client may send, in bytes (default 1e6). A larger one closes that connection.
	MaxHTTPBufferSize int64
	// Transports lists the allowed transports, "polling" and "websocket" (default both).
	Transports []string
	// DisableUpgrades refuses upgrades from polling to WebSocket (Node's allowUpgrades: false).
	DisableUpgrades bool
	// CORS, when set, answers cross-origin requests (nil: no CORS headers are sent, and
	// browsers refuse cross-origin polling).
	CORS *CORSOptions
	// AllowRequest vets every handshake request; a non-nil error refuses it (a *RequestError
	// chooses the HTTP status and message, other errors give 403).
	AllowRequest func(r *http.Request) error
	// AllowEIO3 accepts Engine.IO v3 clients (socket.io-client 2.x).
	AllowEIO3 bool
	// PerMessageDeflate enables WebSocket compression (off by default: it costs CPU and
	// memory on every connection).
	PerMessageDeflate bool
	// Cookie, when set, sends an Engine.IO session cookie (sticky sessions behind a balancer).
	Cookie *CookieOptions
	// SendQueueBytes caps what may wait for one slow client, in bytes (default 4 MiB, and at
	// least MaxHTTPBufferSize). When a send would pass it, the connection closes and its
	// sockets disconnect with ReasonSlowClient: one slow reader never grows the server's
	// memory without bound, and never slows a broadcast.
	SendQueueBytes int
	// MaxPendingEvents bounds the received packets of one connection waiting for their
	// handlers (default 256). When handlers fall behind, the server stops reading from that
	// connection until they catch up.
	MaxPendingEvents int
	// Adapter creates the adapter of each namespace (nil: NewMemoryAdapter).
	Adapter func(host AdapterHost) Adapter
	// ConnectionStateRecovery, when set, lets a client that lost its connection get back its
	// socket id, rooms, data and the packets it missed (nil: off).
	ConnectionStateRecovery *RecoveryOptions
	// CleanupEmptyChildNamespaces removes a dynamic namespace (created through OfFunc or
	// OfRegexp) when its last socket leaves.
	CleanupEmptyChildNamespaces bool
	// Logger receives the server's logs (default slog.Default()).
	Logger *slog.Logger
}

// RecoveryOptions configure connection state recovery.
type RecoveryOptions struct {
	// MaxDisconnectionDuration is how long a disconnected session can be recovered
	// (default 2 minutes).
	MaxDisconnectionDuration time.Duration
	// SkipMiddlewares skips the namespace middleware for a recovered socket (default false:
	// middleware runs again).
	SkipMiddlewares bool
	// MaxPackets bounds the packets kept for recovery per namespace (default 10,000); a
	// client that missed older ones gets a fresh session instead.
	MaxPackets int
}

// CORSOptions configure cross-origin resource sharing.
type CORSOptions struct {
	// Origins allowed; "*" allows any (the request's Origin is echoed when Credentials is
	// set).
	Origins []string
	// AllowOrigin decides instead of Origins when set.
	AllowOrigin func(origin string) bool
	// Credentials allows cookies and authorization headers.
	Credentials bool
	// Methods allowed (default GET, HEAD, PUT, PATCH, POST, DELETE).
	Methods []string
	// AllowedHeaders lists the request headers allowed (default: those the preflight asks).
	AllowedHeaders []string
	// ExposedHeaders lists the response headers exposed.
	ExposedHeaders []string
	// MaxAge is how long a preflight answer may be cached.
	MaxAge time.Duration
}

// CookieOptions configure the Engine.IO session cookie.
type CookieOptions struct {
	// Name of the cookie (default "io").
	Name string
	// Path of the cookie (default "/").
	Path string
	// HTTPOnly hides the cookie from scripts.
	HTTPOnly bool
	// SameSite mode of the cookie (default Lax).
	SameSite http.SameSite
	// Secure sends the cookie over HTTPS only.
	Secure bool
}

func (o *Options) withDefaults() {
	if o.Path == "" {
		o.Path = "/socket.io/"
	}
	if !strings.HasPrefix(o.Path, "/") {
		o.Path = "/" + o.Path
	}
	if !strings.HasSuffix(o.Path, "/") {
		o.Path += "/"
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 25 * time.Second
	}
	if o.PingTimeout <= 0 {
		o.PingTimeout = 20 * time.Second
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 45 * time.Second
	}
	if o.MaxHTTPBufferSize <= 0 {
		o.MaxHTTPBufferSize = 1_000_000
	}
	if o.MaxPendingEvents <= 0 {
		o.MaxPendingEvents = 256
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Adapter == nil {
		o.Adapter = func(h AdapterHost) Adapter { return NewMemoryAdapter(h) }
	}
	o.Transports = append([]string(nil), o.Transports...)
	if r := o.ConnectionStateRecovery; r != nil {
		cp := *r
		if cp.MaxDisconnectionDuration <= 0 {
			cp.MaxDisconnectionDuration = 2 * time.Minute
		}
		if cp.MaxPackets <= 0 {
			cp.MaxPackets = 10_000
		}
		o.ConnectionStateRecovery = &cp
	}
	if c := o.CORS; c != nil {
		cp := *c
		o.CORS = &cp
	}
}

// engineOptions translates the options for the engine.
func (o *Options) engineOptions(h engineio.Handler) engineio.Options {
	eo := engineio.Options{
		Path:              o.Path,
		PingInterval:      o.PingInterval,
		PingTimeout:       o.PingTimeout,
		UpgradeTimeout:    o.UpgradeTimeout,
		MaxPayload:        o.MaxHTTPBufferSize,
		Transports:        o.Transports,
		DisableUpgrades:   o.DisableUpgrades,
		PerMessageDeflate: o.PerMessageDeflate,
		AllowEIO3:         o.AllowEIO3,
		SendQueueBytes:    o.SendQueueBytes,
		Logger:            o.Logger,
		Handler:           h,
	}
	if c := o.CORS; c != nil {
		eo.CORS = &engineio.CORSOptions{
			Origins: c.Origins, AllowOrigin: c.AllowOrigin, Credentials: c.Credentials, Methods: c.Methods,
			AllowedHeaders: c.AllowedHeaders, ExposedHeaders: c.ExposedHeaders, MaxAge: c.MaxAge,
		}
	}
	if c := o.Cookie; c != nil {
		eo.Cookie = &engineio.CookieOptions{Name: c.Name, Path: c.Path, HTTPOnly: c.HTTPOnly, SameSite: c.SameSite, Secure: c.Secure}
	}
	if allow := o.AllowRequest; allow != nil {
		eo.AllowRequest = func(r *http.Request) error {
			err := allow(r)
			var re *RequestError
			if errors.As(err, &re) {
				return &engineio.RequestError{Status: re.Status, Message: re.Message}
			}
			return err
		}
	}
	return eo
}
