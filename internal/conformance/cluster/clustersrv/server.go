// Package clustersrv is the behaviour of Parley's cluster test server
// (cluster-test-server.md §2 and §3) as a library, so that the program in
// internal/conformance/cluster and in-process Go tests run the same server.
package clustersrv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/parley-go/parley/socketio"
	"github.com/parley-go/parley/socketio/redisadapter"
)

// Config configures a cluster test server.
type Config struct {
	// Name is the server's NAME ("A", "B").
	Name string
	// Client is the Redis connection.
	Client redis.UniversalClient
	// Key is the adapter's key or channel prefix (default "socket.io").
	Key string
	// Adapter is "classic" (default), "sharded" or "streams".
	Adapter string
	// RequestsTimeout is the adapter's (default 5 s).
	RequestsTimeout time.Duration
	// Logger receives the logs.
	Logger *slog.Logger
}

// SSEEvents are the server-side events recorded in the log.
var SSEEvents = []string{"sse:note", "sse:ping", "emitter:note"}

// Server is a cluster test server: an http.Handler serving Socket.IO.
type Server struct {
	*socketio.Server
	name    string
	adapter string

	mu  sync.Mutex
	log []any
}

// New builds the server; its namespaces "/" and "/second" exist (and are subscribed) when
// it returns.
func New(cfg Config) (*Server, error) {
	opts := &socketio.Options{MaxHTTPBufferSize: 1e8, Logger: cfg.Logger}
	switch cfg.Adapter {
	case "", "classic", "sharded":
		opts.Adapter = redisadapter.New(cfg.Client, redisadapter.Options{
			Key: cfg.Key, RequestsTimeout: cfg.RequestsTimeout, Sharded: cfg.Adapter == "sharded", Logger: cfg.Logger,
		})
	case "streams":
		opts.Adapter = redisadapter.NewStreams(cfg.Client, redisadapter.StreamsOptions{
			StreamName: cfg.Key, ChannelPrefix: cfg.Key, RequestsTimeout: cfg.RequestsTimeout, Logger: cfg.Logger,
		})
		// As the Node twin: Node's defaults but one minute; a recovered socket skips the
		// middleware, so its data and rooms come from the session in Redis alone.
		opts.ConnectionStateRecovery = &socketio.RecoveryOptions{MaxDisconnectionDuration: time.Minute, SkipMiddlewares: true}
	default:
		return nil, fmt.Errorf("unknown adapter %q", cfg.Adapter)
	}
	adapter := cfg.Adapter
	if adapter == "" {
		adapter = "classic"
	}
	s := &Server{Server: socketio.NewServer(opts), name: cfg.Name, adapter: adapter}
	for _, name := range []string{"/", "/second"} {
		s.setup(name)
	}
	ctl := s.Of("/control")
	ctl.OnConnection(func(sock *socketio.Socket) {
		for cmd, fn := range s.commands() {
			sock.On(cmd, func(e *socketio.Event) {
				var c command
				if e.Len() > 0 {
					if err := e.Decode(0, &c); err != nil {
						_ = e.Ack(map[string]any{"ok": false, "error": err.Error()})
						return
					}
				}
				if c.NSP == "" {
					c.NSP = "/"
				}
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
					defer cancel()
					res, err := fn(ctx, &c)
					if err != nil {
						_ = e.Ack(map[string]any{"ok": false, "error": err.Error()})
						return
					}
					if res == nil {
						res = map[string]any{}
					}
					res["ok"] = true
					_ = e.Ack(res)
				}()
			})
		}
	})
	return s, nil
}

// ServeHTTP serves Socket.IO.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.Server.ServeHTTP(w, r) }

func (s *Server) setup(name string) {
	nsp := s.Of(name)
	nsp.Use(func(sock *socketio.Socket) error {
		var auth struct {
			Name  any   `json:"name"`
			Rooms []any `json:"rooms"`
		}
		_ = sock.Handshake().BindAuth(&auth)
		data := map[string]any{"name": nil}
		if n, ok := auth.Name.(string); ok {
			data["name"] = n
		}
		sock.SetData(data)
		for _, r := range auth.Rooms {
			if room, ok := r.(string); ok {
				sock.Join(room)
			}
		}
		return nil
	})
	nsp.OnConnection(func(sock *socketio.Socket) {
		sock.On("relay", func(e *socketio.Event) {
			var msg struct {
				Event string   `json:"event"`
				Args  []any    `json:"args"`
				Rooms []string `json:"rooms"`
			}
			if err := e.Decode(0, &msg); err == nil {
				if len(msg.Rooms) > 0 {
					_ = sock.To(msg.Rooms...).Emit(msg.Event, msg.Args...)
				} else {
					_ = sock.Broadcast().Emit(msg.Event, msg.Args...)
				}
			}
			if e.HasAck() {
				_ = e.Ack(map[string]any{"ok": true})
			}
		})
	})
	for _, ev := range SSEEvents {
		nsp.OnServerSideEmit(ev, func(e *socketio.Event) {
			args, _ := e.Values()
			if args == nil {
				args = []any{}
			}
			s.mu.Lock()
			s.log = append(s.log, map[string]any{"nsp": name, "event": ev, "args": args})
			s.mu.Unlock()
			if e.HasAck() {
				_ = e.Ack(map[string]any{"server": s.name, "event": ev, "args": args})
			}
		})
	}
}

// command is the argument of a /control command (§3).
type command struct {
	NSP      string   `json:"nsp"`
	Rooms    []string `json:"rooms"`
	Except   []string `json:"except"`
	Volatile bool     `json:"volatile"`
	Compress *bool    `json:"compress"`
	Local    bool     `json:"local"`
	Event    string   `json:"event"`
	Args     []any    `json:"args"`
	Timeout  *float64 `json:"timeout"`
	Join     []string `json:"join"`
	Leave    []string `json:"leave"`
	Close    bool     `json:"close"`
}

func (s *Server) selectOp(c *command) socketio.BroadcastOperator {
	op := s.Of(c.NSP).To(c.Rooms...).Except(c.Except...)
	if c.Volatile {
		op = op.Volatile()
	}
	if c.Compress != nil && !*c.Compress {
		op = op.Compress(false)
	}
	if c.Local {
		op = op.Local()
	}
	return op
}

type result = map[string]any

func errText(err error) any {
	if err == nil {
		return nil
	}
	if t := err.Error(); t != "" {
		return t
	}
	return "error"
}

// firsts returns the first argument of each answer.
func firsts(answers []socketio.Args) []any {
	out := make([]any, 0, len(answers))
	for _, a := range answers {
		vals, _ := a.Values()
		if len(vals) > 0 {
			out = append(out, vals[0])
		} else {
			out = append(out, nil)
		}
	}
	return out
}

func (s *Server) commands() map[string]func(ctx context.Context, c *command) (result, error) {
	args := func(c *command) []any {
		if c.Args == nil {
			return []any{}
		}
		return c.Args
	}
	return map[string]func(ctx context.Context, c *command) (result, error){
		"info": func(context.Context, *command) (result, error) {
			return result{"name": s.name, "impl": "parley", "adapter": s.adapter}, nil
		},
		"emit": func(_ context.Context, c *command) (result, error) {
			return nil, s.selectOp(c).Emit(c.Event, args(c)...)
		},
		"emitWithAck": func(ctx context.Context, c *command) (result, error) {
			timeout := 2000.0
			if c.Timeout != nil {
				timeout = *c.Timeout
			}
			answers, err := s.selectOp(c).Timeout(time.Duration(timeout*float64(time.Millisecond))).EmitWithAck(ctx, c.Event, args(c)...)
			return result{"err": errText(err), "responses": firsts(answers)}, nil
		},
		"fetchSockets": func(ctx context.Context, c *command) (result, error) {
			op := s.selectOp(&command{NSP: c.NSP, Rooms: c.Rooms, Except: c.Except, Local: c.Local})
			socks, err := op.FetchSockets(ctx)
			if err != nil {
				return nil, err
			}
			out := make([]any, len(socks))
			for i, rs := range socks {
				out[i] = Describe(rs)
			}
			return result{"sockets": out}, nil
		},
		"socketsJoin": func(_ context.Context, c *command) (result, error) {
			s.selectOp(c).SocketsJoin(c.Join...)
			return nil, nil
		},
		"socketsLeave": func(_ context.Context, c *command) (result, error) {
			s.selectOp(c).SocketsLeave(c.Leave...)
			return nil, nil
		},
		"disconnectSockets": func(_ context.Context, c *command) (result, error) {
			s.selectOp(c).DisconnectSockets(c.Close)
			return nil, nil
		},
		"serverSideEmit": func(_ context.Context, c *command) (result, error) {
			return nil, s.Of(c.NSP).ServerSideEmit(c.Event, args(c)...)
		},
		"serverSideEmitWithAck": func(ctx context.Context, c *command) (result, error) {
			answers, err := s.Of(c.NSP).ServerSideEmitWithAck(ctx, c.Event, args(c)...)
			return result{"err": errText(err), "responses": firsts(answers)}, nil
		},
		"sseLog": func(context.Context, *command) (result, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			return result{"events": append([]any{}, s.log...)}, nil
		},
		"sseClear": func(context.Context, *command) (result, error) {
			s.mu.Lock()
			s.log = nil
			s.mu.Unlock()
			return nil, nil
		},
		"serverCount": func(ctx context.Context, c *command) (result, error) {
			n, err := s.Of(c.NSP).Adapter().ServerCount(ctx)
			return result{"count": n}, err
		},
		"allRooms": func(ctx context.Context, c *command) (result, error) {
			rooms, err := s.Of(c.NSP).Adapter().AllRooms(ctx)
			if errors.Is(err, errors.ErrUnsupported) {
				return nil, errors.New("unsupported")
			}
			if rooms == nil {
				rooms = []string{}
			}
			return result{"rooms": rooms}, err
		},
	}
}

// Describe returns a socket as fetchSockets reports it: id, sorted rooms, data, handshake.
func Describe(rs *socketio.RemoteSocket) map[string]any {
	rooms := slices.Clone(rs.Rooms)
	slices.Sort(rooms)
	if rooms == nil {
		rooms = []string{}
	}
	h := rs.Handshake
	hs := map[string]any{}
	if h != nil {
		headers := map[string]any{}
		for k, v := range h.Header {
			headers[strings.ToLower(k)] = strings.Join(v, ", ")
		}
		query := map[string]any{}
		for k, v := range h.Query {
			if len(v) > 0 {
				query[k] = v[0]
			}
		}
		var auth any = map[string]any{}
		if len(h.Auth) > 0 {
			_ = json.Unmarshal(h.Auth, &auth)
		}
		t := h.Time.UTC()
		hs = map[string]any{
			"headers": headers, "query": query, "auth": auth,
			"time":   t.Format("Mon Jan 02 2006 15:04:05 GMT-0700") + " (Coordinated Universal Time)",
			"issued": t.UnixMilli(), "url": h.URL, "address": h.Address, "xdomain": h.XDomain, "secure": h.Secure,
		}
	}
	return map[string]any{"id": rs.ID, "rooms": rooms, "data": rs.Data, "handshake": hs}
}

// SSELog returns the server-side event log (§2).
func (s *Server) SSELog() []any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]any{}, s.log...)
}
