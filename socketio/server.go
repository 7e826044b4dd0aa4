package socketio

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/parley-go/parley/internal/engineio"
)

// Server is a Socket.IO server: an http.Handler serving the Socket.IO protocol (v5, and v4 for
// Engine.IO v3 clients when allowed) at Options.Path. It embeds its main namespace "/", so
// srv.OnConnection, srv.Use, srv.Emit and srv.To act on it.
//
// Mount it on any mux: mux.Handle("/socket.io/", srv).
type Server struct {
	*Namespace

	opts Options
	log  *slog.Logger
	eng  *engineio.Server

	mu      sync.RWMutex
	nsps    map[string]*Namespace
	parents []*ParentNamespace
	clients map[*client]struct{}

	ctx     context.Context // ends when Close starts
	cancel  context.CancelFunc
	closed  atomic.Bool
	workers tracker // dispatch goroutines and callback goroutines
}

// NewServer returns a server with the options (nil: every default).
func NewServer(opts *Options) *Server {
	var o Options
	if opts != nil {
		o = *opts
	}
	o.withDefaults()
	s := &Server{
		opts:    o,
		log:     o.Logger,
		nsps:    make(map[string]*Namespace),
		clients: make(map[*client]struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.Namespace = s.Of("/")
	s.eng = engineio.NewServer(o.engineOptions(engineHandler{s}))
	return s
}

// ServeHTTP answers the Socket.IO requests under Options.Path (and 404 elsewhere).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.eng.ServeHTTP(w, r) }

// Path returns the path the server answers at ("/socket.io/").
func (s *Server) Path() string { return s.opts.Path }

// Attach mounts the server on the mux at its path.
func (s *Server) Attach(mux *http.ServeMux) { mux.Handle(s.opts.Path, s) }

// Of returns the namespace of that name, creating it on first use ("" and "/" are the main
// namespace; a missing leading slash is added).
func (s *Server) Of(name string) *Namespace {
	name = normalizeNsp(name)
	s.mu.RLock()
	n := s.nsps[name]
	s.mu.RUnlock()
	if n != nil {
		return n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n = s.nsps[name]; n == nil {
		n = newNamespace(s, name, nil)
		s.nsps[name] = n
	}
	return n
}

// OfFunc declares dynamic namespaces: a client connecting to a namespace that does not exist
// yet gets one when match accepts its name and handshake. Each accepted name is its own
// Namespace, a child of the returned ParentNamespace, whose middleware and connection
// handlers apply to every child.
func (s *Server) OfFunc(match func(name string, h *Handshake) bool) *ParentNamespace {
	p := &ParentNamespace{srv: s, match: match, children: make(map[string]*Namespace)}
	s.mu.Lock()
	s.parents = append(s.parents, p)
	s.mu.Unlock()
	return p
}

// OfRegexp declares dynamic namespaces whose names match re (see OfFunc).
func (s *Server) OfRegexp(re *regexp.Regexp) *ParentNamespace {
	return s.OfFunc(func(name string, _ *Handshake) bool { return re.MatchString(name) })
}

// namespaceFor finds the namespace a client asks for, creating a dynamic child when a parent
// accepts the name.
func (s *Server) namespaceFor(name string, h *Handshake) *Namespace {
	s.mu.RLock()
	n := s.nsps[name]
	parents := s.parents
	s.mu.RUnlock()
	if n != nil {
		return n
	}
	for _, p := range parents {
		if p.match(name, h) {
			return p.child(name)
		}
	}
	return nil
}

// removeNamespace forgets an empty dynamic namespace.
func (s *Server) removeNamespace(n *Namespace) {
	s.mu.Lock()
	if s.nsps[n.name] == n {
		delete(s.nsps, n.name)
	}
	s.mu.Unlock()
	if n.parent != nil {
		n.parent.removeChild(n)
	}
	_ = n.adapter.Close()
}

// Close disconnects every socket with ReasonServerShuttingDown, closes every connection,
// and returns when every handler has returned and every goroutine of the server has ended,
// or when ctx is done (with its error). Later calls return ErrServerClosed.
func (s *Server) Close(ctx context.Context) error {
	if !s.closed.CompareAndSwap(false, true) {
		return ErrServerClosed
	}
	s.cancel()
	s.mu.RLock()
	clients := make([]*client, 0, len(s.clients))
	for c := range s.clients {
		clients = append(clients, c)
	}
	s.mu.RUnlock()
	for _, c := range clients {
		c.closeSockets(ReasonServerShuttingDown)
	}
	err := s.eng.Close(ctx)
	if werr := s.workers.wait(ctx); werr != nil {
		err = errors.Join(err, werr)
	}
	s.mu.RLock()
	nsps := make([]*Namespace, 0, len(s.nsps))
	for _, n := range s.nsps {
		nsps = append(nsps, n)
	}
	s.mu.RUnlock()
	for _, n := range nsps {
		if cerr := n.adapter.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}
	return err
}

// goTracked runs f on a goroutine that Close waits for.
func (s *Server) goTracked(f func()) {
	s.workers.add()
	go func() {
		defer s.workers.done()
		f()
	}()
}

// tracker counts running goroutines. Unlike a sync.WaitGroup, goroutines may start while
// someone waits (a disconnection handler queued during Close): wait returns the first time
// none runs.
type tracker struct {
	mu   sync.Mutex
	n    int
	idle []chan struct{}
}

func (t *tracker) add() {
	t.mu.Lock()
	t.n++
	t.mu.Unlock()
}

func (t *tracker) done() {
	t.mu.Lock()
	t.n--
	if t.n == 0 {
		for _, ch := range t.idle {
			close(ch)
		}
		t.idle = nil
	}
	t.mu.Unlock()
}

// wait returns when no tracked goroutine runs, or with ctx's error.
func (t *tracker) wait(ctx context.Context) error {
	t.mu.Lock()
	if t.n == 0 {
		t.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	t.idle = append(t.idle, ch)
	t.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func normalizeNsp(name string) string {
	if name == "" {
		return "/"
	}
	if !strings.HasPrefix(name, "/") {
		return "/" + name
	}
	return name
}

// engineHandler receives the engine's sessions.
type engineHandler struct{ srv *Server }

// Open starts the Socket.IO client of a new engine session.
func (h engineHandler) Open(es *engineio.Session) engineio.SessionHandler {
	c := newClient(h.srv, es)
	h.srv.mu.Lock()
	h.srv.clients[c] = struct{}{}
	h.srv.mu.Unlock()
	c.start()
	return c
}

func (s *Server) forget(c *client) {
	s.mu.Lock()
	delete(s.clients, c)
	s.mu.Unlock()
}

// ParentNamespace is a family of dynamic namespaces (see Server.OfFunc): middleware and
// connection handlers registered on it apply to every child, present and future, before the
// child's own; Emit reaches the sockets of every child.
type ParentNamespace struct {
	srv   *Server
	match func(name string, h *Handshake) bool

	hooks hooks

	mu       sync.RWMutex
	children map[string]*Namespace
}

// Use adds a middleware run for every connection to any child.
func (p *ParentNamespace) Use(mw Middleware) { p.hooks.use(mw) }

// OnConnection adds a handler run for every socket connected to any child.
func (p *ParentNamespace) OnConnection(h func(s *Socket)) { p.hooks.onConnection(h) }

// Children returns the current child namespaces.
func (p *ParentNamespace) Children() []*Namespace {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]*Namespace, 0, len(p.children))
	for _, c := range p.children {
		out = append(out, c)
	}
	return out
}

// Emit sends the event to every socket of every child namespace.
func (p *ParentNamespace) Emit(event string, args ...any) error {
	var errs []error
	for _, c := range p.Children() {
		if err := c.Emit(event, args...); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (p *ParentNamespace) child(name string) *Namespace {
	p.srv.mu.Lock()
	n := p.srv.nsps[name]
	if n == nil {
		n = newNamespace(p.srv, name, p)
		p.srv.nsps[name] = n
	}
	p.srv.mu.Unlock()
	p.mu.Lock()
	p.children[name] = n
	p.mu.Unlock()
	return n
}

func (p *ParentNamespace) removeChild(n *Namespace) {
	p.mu.Lock()
	if p.children[n.name] == n {
		delete(p.children, n.name)
	}
	p.mu.Unlock()
}
