package redisadapter

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/parley-go/parley/socketio"
)

// Options configure New.
type Options struct {
	// Key is the prefix of every Redis channel (default "socket.io"): Node's key option
	// (channelPrefix of the sharded adapter).
	Key string
	// RequestsTimeout bounds the wait for the other servers' answers to a request
	// (FetchSockets, AllRooms, ServerSideEmitWithAck; default 5 s, Node's requestsTimeout).
	// A caller's earlier context deadline wins.
	RequestsTimeout time.Duration
	// PublishOnSpecificResponseChannel sends the answers of this server to the requester's
	// own response channel instead of the shared one (Node's option of the same name).
	PublishOnSpecificResponseChannel bool
	// Sharded selects the sharded Pub/Sub variant (Redis 7 SPUBLISH/SSUBSCRIBE), compatible
	// with createShardedAdapter of @socket.io/redis-adapter. Every server of a cluster must
	// use the same variant.
	Sharded bool
	// SubscriptionMode of the sharded variant: "dynamic" (default), "dynamic-private" or
	// "static", as in Node.
	SubscriptionMode string
	// PublishTimeout bounds one round trip of the publisher and a subscription (default 3 s).
	PublishTimeout time.Duration
	// Logger receives the adapter's logs (default: the server's logger).
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Key == "" {
		o.Key = DefaultKey
	}
	if o.RequestsTimeout <= 0 {
		o.RequestsTimeout = 5 * time.Second
	}
	if o.PublishTimeout <= 0 {
		o.PublishTimeout = 3 * time.Second
	}
	if o.SubscriptionMode == "" {
		o.SubscriptionMode = "dynamic"
	}
	return o
}

// New returns the socketio.Options.Adapter of a server on the Redis adapter protocol of
// @socket.io/redis-adapter 8.x: the classic Pub/Sub adapter (createAdapter), or with
// Options.Sharded its sharded variant (createShardedAdapter). Parley and Node.js servers
// on the same Redis and key form one cluster.
//
// Call New once per server: the namespaces of a server share one subscriber connection and
// one ordered publisher, which stop when the server closes. A namespace subscribes when it
// is created, before it takes sockets. When Redis is unreachable, local sockets are still
// served, broadcasts to other servers are dropped (and logged), requests to other servers
// fail with an error after at most RequestsTimeout, and the adapter resubscribes by itself
// when Redis is back.
func New(client redis.UniversalClient, opts Options) func(socketio.AdapterHost) socketio.Adapter {
	opts = opts.withDefaults()
	h := newHub(client, opts)
	return func(host socketio.AdapterHost) socketio.Adapter {
		h.acquire(host.Logger())
		if opts.Sharded {
			return newSharded(h, host, opts)
		}
		return newClassic(h, host, opts)
	}
}

// toWireOpts returns the options as they travel.
func toWireOpts(o socketio.BroadcastOptions) wireOpts {
	w := wireOpts{Rooms: nonNil(o.Rooms), Except: nonNil(o.Except)}
	w.Flags.Volatile = o.Flags.Volatile
	w.Flags.Compress = o.Flags.Compress
	if o.Flags.Timeout > 0 {
		ms := o.Flags.Timeout.Milliseconds()
		w.Flags.Timeout = &ms
	}
	return w
}

// fromWireOpts returns received options for the local delivery.
func fromWireOpts(w wireOpts) socketio.BroadcastOptions {
	o := socketio.BroadcastOptions{Rooms: w.Rooms, Except: w.Except}
	o.Flags.Volatile = w.Flags.Volatile
	o.Flags.Compress = w.Flags.Compress
	if w.Flags.Timeout != nil {
		o.Flags.Timeout = time.Duration(*w.Flags.Timeout) * time.Millisecond
	}
	return o
}

// eventData returns [event, ...args] normalised for MessagePack.
func eventData(p *socketio.Packet) ([]any, error) {
	return normalizeArgs(append([]any{p.Event}, p.Args...))
}

// packetOf builds the local packet of a received [event, ...args].
func packetOf(data []any) (*socketio.Packet, bool) {
	if len(data) == 0 {
		return nil, false
	}
	ev, ok := data[0].(string)
	if !ok {
		return nil, false
	}
	return socketio.NewPacket(ev, data[1:]...), true
}

// firstArg returns the first value of an acknowledgement (nil when none).
func firstArg(vals []any) any {
	if len(vals) == 0 {
		return nil
	}
	return vals[0]
}

// jsDateLayout is JavaScript's Date.prototype.toString in UTC.
const jsDateLayout = "Mon Jan 02 2006 15:04:05 GMT-0700"

// wireHandshakeOf describes a local socket's handshake as Node does.
func wireHandshakeOf(h *socketio.Handshake) wireHandshake {
	if h == nil {
		return wireHandshake{}
	}
	w := wireHandshake{Address: h.Address, XDomain: h.XDomain, Secure: h.Secure, URL: h.URL}
	t := h.Time.UTC()
	w.Time = t.Format(jsDateLayout) + " (Coordinated Universal Time)"
	w.Issued = t.UnixMilli()
	w.Headers = make(map[string]any, len(h.Header))
	for k, v := range h.Header {
		w.Headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	w.Query = make(map[string]any, len(h.Query))
	for k, v := range h.Query {
		if len(v) == 1 {
			w.Query[k] = v[0]
		} else {
			vs := make([]any, len(v))
			for i, s := range v {
				vs[i] = s
			}
			w.Query[k] = vs
		}
	}
	if len(h.Auth) > 0 {
		if v, err := decodeJSONValue(h.Auth); err == nil {
			w.Auth = v
		}
	}
	return w
}

// handshakeOf returns the Handshake of a remote socket's description.
func handshakeOf(w wireHandshake) *socketio.Handshake {
	h := &socketio.Handshake{Address: w.Address, XDomain: w.XDomain, Secure: w.Secure, URL: w.URL,
		Time: time.UnixMilli(w.Issued), Header: http.Header{}, Query: url.Values{}}
	for k, v := range w.Headers {
		switch x := v.(type) {
		case string:
			h.Header[k] = []string{x}
		case []any:
			for _, e := range x {
				if s, ok := e.(string); ok {
					h.Header[k] = append(h.Header[k], s)
				}
			}
		}
	}
	for k, v := range w.Query {
		switch x := v.(type) {
		case string:
			h.Query[k] = []string{x}
		case []any:
			for _, e := range x {
				h.Query[k] = append(h.Query[k], fmt.Sprint(e))
			}
		}
	}
	if raw, err := nodeJSON(orEmptyAny(w.Auth)); err == nil {
		h.Auth = json.RawMessage(raw)
	}
	return h
}

// remoteSocket builds the description of another server's socket.
func remoteSocket(host socketio.AdapterHost, v any) (*socketio.RemoteSocket, bool) {
	ws, err := socketFromMap(v)
	if err != nil {
		return nil, false
	}
	return socketio.NewRemoteSocket(host, ws.ID, ws.Rooms, ws.Data, handshakeOf(ws.Handshake)), true
}

// describe returns the wire description of a local socket.
func describe(s *socketio.RemoteSocket) wireSocket {
	return wireSocket{ID: s.ID, Handshake: wireHandshakeOf(s.Handshake), Rooms: nonNil(s.Rooms), Data: s.Data}
}

// pendingSet holds the requests of one adapter that wait for answers.
type pendingSet[R any] struct {
	mu sync.Mutex
	m  map[string]*pending[R]
}

// pending is one request waiting for answers: fn gets each answer (under the request's
// lock, never after finish) and reports whether the request is complete.
type pending[R any] struct {
	mu       sync.Mutex
	fn       func(R) bool
	done     chan struct{}
	finished bool
	timer    *time.Timer
}

func (s *pendingSet[R]) add(id string, fn func(R) bool) *pending[R] {
	p := &pending[R]{fn: fn, done: make(chan struct{})}
	s.mu.Lock()
	if s.m == nil {
		s.m = make(map[string]*pending[R])
	}
	s.m[id] = p
	s.mu.Unlock()
	return p
}

func (s *pendingSet[R]) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[id]
	return ok
}

func (s *pendingSet[R]) deliver(id string, r R) {
	s.mu.Lock()
	p := s.m[id]
	s.mu.Unlock()
	if p == nil {
		return // another server's request, or one we gave up on
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.finished && p.fn(r) {
		p.finished = true
		close(p.done)
	}
}

// remove forgets the request; fn is not called any more once it returns.
func (s *pendingSet[R]) remove(id string) {
	s.mu.Lock()
	p := s.m[id]
	delete(s.m, id)
	s.mu.Unlock()
	if p == nil {
		return
	}
	p.mu.Lock()
	p.finished = true
	if p.timer != nil {
		p.timer.Stop()
	}
	p.mu.Unlock()
}

// removeAll forgets every request (Close).
func (s *pendingSet[R]) removeAll() {
	s.mu.Lock()
	ids := make([]string, 0, len(s.m))
	for id := range s.m {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	for _, id := range ids {
		s.remove(id)
	}
}

// expireAfter removes the request after d (broadcasts with ack, which nobody waits on).
func (s *pendingSet[R]) expireAfter(id string, p *pending[R], d time.Duration) {
	p.mu.Lock()
	p.timer = time.AfterFunc(d, func() { s.remove(id) })
	p.mu.Unlock()
}

// wait blocks until the request is complete or ctx ends; it always removes the request.
func (s *pendingSet[R]) wait(ctx context.Context, id string, p *pending[R]) error {
	defer s.remove(id)
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// requestCtx bounds ctx by the requests timeout.
func requestCtx(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}

// numSub returns the number of subscribers of a channel (summed over the masters of a
// Redis Cluster), sharded or not.
func numSub(ctx context.Context, c redis.UniversalClient, channel string, sharded bool) (int, error) {
	count := func(ctx context.Context, c redis.UniversalClient) (int, error) {
		var m map[string]int64
		var err error
		if sharded {
			m, err = c.PubSubShardNumSub(ctx, channel).Result()
		} else {
			m, err = c.PubSubNumSub(ctx, channel).Result()
		}
		return int(m[channel]), err
	}
	if cc, ok := c.(*redis.ClusterClient); ok && !sharded {
		var mu sync.Mutex
		total := 0
		err := cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			n, err := count(ctx, m)
			mu.Lock()
			total += n
			mu.Unlock()
			return err
		})
		return total, err
	}
	return count(ctx, c)
}
