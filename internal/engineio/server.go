package engineio

import (
	"context"
	"hash/maphash"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Options, as Node's engine.io.
const (
	defaultPath           = "/engine.io/"
	defaultPingInterval   = 25 * time.Second
	defaultPingTimeout    = 20 * time.Second
	defaultUpgradeTimeout = 10 * time.Second
	defaultMaxPayload     = 1_000_000
	defaultSendQueueBytes = 4 << 20
)

const (
	transportPolling   = "polling"
	transportWebSocket = "websocket"
)

const shardCount = 32

// shard is one part of the session table; lookups take its read lock only.
type shard struct {
	mu       sync.RWMutex
	sessions map[string]*Session
}

// Server is an Engine.IO server; it is an http.Handler. Mount it on any mux at Options.Path;
// requests for any other path get 404.
type Server struct {
	opts      Options
	log       *slog.Logger
	seed      maphash.Seed
	shards    [shardCount]shard
	count     atomic.Int64
	closed    atomic.Bool
	track     tracker
	ws        wsAcceptor
	pollOnce  sync.Once
	pol       *poller // parks idle WebSocket connections; nil where it cannot
	flushOnce sync.Once
	fl        []flusher     // write what Session.Enqueue queued
	seq       atomic.Uint32 // numbers sessions
	allowPoll bool
	allowWS   bool
	altPath   string // Path without its trailing slash
}

// NewServer returns a server with the options (Handler is required; NewServer panics without
// one, a programming error).
func NewServer(opts Options) *Server {
	if opts.Handler == nil {
		panic("engineio: Options.Handler is required")
	}
	if opts.Path == "" {
		opts.Path = defaultPath
	}
	if !strings.HasSuffix(opts.Path, "/") {
		opts.Path += "/"
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = defaultPingInterval
	}
	if opts.PingTimeout <= 0 {
		opts.PingTimeout = defaultPingTimeout
	}
	if opts.UpgradeTimeout <= 0 {
		opts.UpgradeTimeout = defaultUpgradeTimeout
	}
	if opts.MaxPayload <= 0 {
		opts.MaxPayload = defaultMaxPayload
	}
	if opts.SendQueueBytes <= 0 {
		opts.SendQueueBytes = defaultSendQueueBytes
	}
	if int64(opts.SendQueueBytes) < opts.MaxPayload {
		opts.SendQueueBytes = int(opts.MaxPayload)
	}
	if len(opts.Transports) == 0 {
		opts.Transports = []string{transportPolling, transportWebSocket}
	} else {
		opts.Transports = slices.Clone(opts.Transports)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.CORS != nil {
		c := *opts.CORS
		opts.CORS = &c
	}
	if opts.Cookie != nil {
		c := *opts.Cookie
		if c.Name == "" {
			c.Name = "io"
		}
		if c.Path == "" {
			c.Path = "/"
		}
		if c.SameSite == 0 {
			c.SameSite = http.SameSiteLaxMode
		}
		opts.Cookie = &c
	}
	s := &Server{
		opts:      opts,
		log:       opts.Logger,
		seed:      maphash.MakeSeed(),
		allowPoll: slices.Contains(opts.Transports, transportPolling),
		allowWS:   slices.Contains(opts.Transports, transportWebSocket),
		altPath:   strings.TrimSuffix(opts.Path, "/"),
	}
	for i := range s.shards {
		s.shards[i].sessions = make(map[string]*Session)
	}
	s.ws = newWSAcceptor(&s.opts, s.poller)
	return s
}

func (s *Server) shardOf(sid string) *shard {
	return &s.shards[maphash.String(s.seed, sid)%shardCount]
}

func (s *Server) lookup(sid string) *Session {
	sh := s.shardOf(sid)
	sh.mu.RLock()
	sess := sh.sessions[sid]
	sh.mu.RUnlock()
	return sess
}

func (s *Server) add(sess *Session) {
	sh := s.shardOf(sess.id)
	sh.mu.Lock()
	sh.sessions[sess.id] = sess
	sh.mu.Unlock()
	s.count.Add(1)
}

// remove forgets a session (SessionCount is decremented by the session's close itself).
func (s *Server) remove(sess *Session) {
	sh := s.shardOf(sess.id)
	sh.mu.Lock()
	if sh.sessions[sess.id] == sess {
		delete(sh.sessions, sess.id)
	}
	sh.mu.Unlock()
}

func (s *Server) snapshot() []*Session {
	var all []*Session
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		for _, sess := range sh.sessions {
			all = append(all, sess)
		}
		sh.mu.RUnlock()
	}
	return all
}

// SessionCount returns the number of open sessions.
func (s *Server) SessionCount() int { return int(s.count.Load()) }

// ServeHTTP answers Engine.IO requests under the configured path.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != s.opts.Path && r.URL.Path != s.altPath {
		http.NotFound(w, r)
		return
	}
	if !s.track.add() {
		http.Error(w, ErrServerClosed.Error(), http.StatusServiceUnavailable)
		return
	}
	defer s.track.done()
	if s.opts.CORS != nil && applyCORS(s.opts.CORS, w, r) {
		return // a preflight, answered
	}
	s.route(w, r)
}

// route checks the request as Node's Server.verify does, then hands it to a session or to
// the handshake.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	transport := q.Get("transport")
	if !(transport == transportPolling && s.allowPoll) && !(transport == transportWebSocket && s.allowWS) {
		writeError(w, codeUnknownTransport, 0, "")
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" && !validHeaderValue(origin) {
		writeError(w, codeBadRequest, 0, "")
		return
	}
	upgrade := isWebSocketUpgrade(r)
	sid := q.Get("sid")
	if sid == "" {
		if r.Method != http.MethodGet {
			writeError(w, codeBadHandshakeMethod, 0, "")
			return
		}
		if transport == transportWebSocket && !upgrade {
			writeError(w, codeBadRequest, 0, "")
			return
		}
		s.handshake(w, r, q, transport)
		return
	}
	sess := s.lookup(sid)
	if sess == nil || sess.expireIfOverdue() {
		writeError(w, codeUnknownSID, 0, "")
		return
	}
	if transport == transportWebSocket {
		if sess.isClosed() {
			writeError(w, codeUnknownSID, 0, "")
			return
		}
		if !upgrade {
			writeError(w, codeBadRequest, 0, "")
			return
		}
		sess.handleUpgrade(w, r)
		return
	}
	if sess.Transport() != transportPolling {
		writeError(w, codeBadRequest, 0, "")
		return
	}
	switch r.Method {
	case http.MethodGet:
		sess.handlePoll(w, r)
	case http.MethodPost:
		sess.handleData(w, r)
	default:
		writeError(w, codeBadRequest, 0, "")
	}
}

// validHeaderValue reports whether v has no character invalid in an HTTP header value.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// Close closes every session with ReasonServerShuttingDown (each gets a close packet where
// the transport allows), refuses new requests, and returns when every goroutine of the server
// has ended or ctx is done.
func (s *Server) Close(ctx context.Context) error {
	s.closed.Store(true)
	s.track.refuse()
	sessions := s.snapshot()
	for _, sess := range sessions {
		sess.shutdown()
	}
	zero := s.track.idle()
	defer s.closePoller()
	select {
	case <-zero:
		return nil
	case <-ctx.Done():
		for _, sess := range sessions {
			sess.forceClose()
		}
		return ctx.Err()
	}
}

// poller returns the server's poller, started on first use, or nil if there is none.
func (s *Server) poller() *poller {
	s.pollOnce.Do(func() {
		if !pollerSupported || s.closed.Load() {
			return
		}
		if p, err := newPoller(); err == nil {
			s.pol = p
		} else {
			s.opts.Logger.Warn("engineio: idle WebSocket connections will not be parked", "err", err)
		}
	})
	return s.pol
}

// closePoller stops the poller, if one runs.
func (s *Server) closePoller() {
	s.pollOnce.Do(func() {}) // none starts from now on
	if s.pol != nil {
		s.pol.close()
	}
}

// tracker counts the server's running request handlers and goroutines; after close it
// refuses new requests and reports when the count reaches zero.
type tracker struct {
	mu     sync.Mutex
	n      int
	closed bool
	zero   chan struct{}
	fired  bool
}

// add counts a new request, or reports false after close.
func (t *tracker) add() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.n++
	return true
}

// addInternal counts a goroutine started by the server itself (allowed after close: the
// shutdown starts some).
func (t *tracker) addInternal() {
	t.mu.Lock()
	t.n++
	t.mu.Unlock()
}

func (t *tracker) done() {
	t.mu.Lock()
	t.n--
	if t.n == 0 && t.zero != nil && !t.fired {
		t.fired = true
		close(t.zero)
	}
	t.mu.Unlock()
}

// refuse makes add fail from now on.
func (t *tracker) refuse() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
}

// idle returns a channel closed once the count is zero (call it after refuse).
func (t *tracker) idle() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.zero == nil {
		t.zero = make(chan struct{})
	}
	if t.n == 0 && !t.fired {
		t.fired = true
		close(t.zero)
	}
	return t.zero
}

// goTracked runs fn on a new goroutine counted by the tracker.
func (s *Server) goTracked(fn func()) {
	s.track.addInternal()
	go func() {
		defer s.track.done()
		fn()
	}()
}
