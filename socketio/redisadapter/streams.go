package redisadapter

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/parley-go/parley/socketio"
)

// StreamsOptions configure NewStreams; the zero value of each field is Node's default.
type StreamsOptions struct {
	// StreamName is the stream key (default "socket.io").
	StreamName string
	// StreamCount spreads namespaces over that many streams (default 1).
	StreamCount int
	// ChannelPrefix is the prefix of the Pub/Sub channels (default "socket.io").
	ChannelPrefix string
	// MaxLen caps the stream (XADD MAXLEN ~, default 10,000).
	MaxLen int64
	// ReadCount is XREAD's COUNT (default 100).
	ReadCount int64
	// BlockTime is XREAD's BLOCK (default 1 s; it also bounds how long Close waits).
	BlockTime time.Duration
	// SessionKeyPrefix prefixes the keys of recovery sessions (default "sio:session:").
	SessionKeyPrefix string
	// RequestsTimeout bounds requests to the other servers (default 5 s).
	RequestsTimeout time.Duration
	// PublishTimeout bounds one round trip of the publisher (default 3 s).
	PublishTimeout time.Duration
	// Logger receives the adapter's logs (default: the server's logger).
	Logger *slog.Logger
}

// NewStreams returns the socketio.Options.Adapter of a server on the protocol of
// @socket.io/redis-streams-adapter: broadcasts, joins, leaves and disconnections go
// through a Redis Stream, requests and responses through Pub/Sub. With the server's
// ConnectionStateRecovery, sessions are kept in Redis, so a client that reconnects to any
// server of the cluster gets back its id, rooms, data and the packets it missed. Call it
// once per server.
func NewStreams(client redis.UniversalClient, opts StreamsOptions) func(socketio.AdapterHost) socketio.Adapter {
	if opts.StreamName == "" {
		opts.StreamName = defaultStreamName
	}
	if opts.ChannelPrefix == "" {
		opts.ChannelPrefix = DefaultKey
	}
	if opts.MaxLen <= 0 {
		opts.MaxLen = 10_000
	}
	if opts.ReadCount <= 0 {
		opts.ReadCount = 100
	}
	if opts.BlockTime <= 0 {
		opts.BlockTime = time.Second
	}
	if opts.SessionKeyPrefix == "" {
		opts.SessionKeyPrefix = "sio:session:"
	}
	ho := Options{RequestsTimeout: opts.RequestsTimeout, PublishTimeout: opts.PublishTimeout, Logger: opts.Logger}.withDefaults()
	opts.RequestsTimeout, opts.PublishTimeout = ho.RequestsTimeout, ho.PublishTimeout
	f := &streamsFactory{hub: newHub(client, ho), opts: opts, readers: map[string]*streamReader{}}
	return func(host socketio.AdapterHost) socketio.Adapter {
		f.hub.acquire(host.Logger())
		return f.newAdapter(host)
	}
}

type streamsFactory struct {
	hub  *hub
	opts StreamsOptions

	mu      sync.Mutex
	readers map[string]*streamReader
}

// streamReader reads one stream for the namespaces of a server.
type streamReader struct {
	adapters map[string]*streamsAdapter // by namespace
	cancel   context.CancelFunc
	done     chan struct{}
}

// noRecovery hides the recovery options from the embedded MemoryAdapter: offsets are the
// stream's entry ids and sessions live in Redis.
type noRecovery struct{ socketio.AdapterHost }

func (noRecovery) Recovery() *socketio.RecoveryOptions { return nil }

type streamsAdapter struct {
	clusterAdapter
	f        *streamsFactory
	stream   string
	channel  string // P#NSP#
	sub      subscription
	recovery *socketio.RecoveryOptions
}

func (f *streamsFactory) newAdapter(host socketio.AdapterHost) *streamsAdapter {
	a := &streamsAdapter{f: f, recovery: host.Recovery()}
	a.init(host, socketio.NewMemoryAdapter(noRecovery{host}), f.opts.RequestsTimeout, f.hub.log)
	a.tr = a
	a.stream = streamNameOf(f.opts.StreamName, f.opts.StreamCount, host.Name())
	a.channel = f.opts.ChannelPrefix + "#" + host.Name() + "#"
	a.sub = subscription{channels: []string{a.channel, a.channel + a.uid + "#"}}
	if a.recovery != nil {
		a.broadcast = a.broadcastWithOffset
	}
	f.hub.subscribe(a.sub, a.onPubSub)
	f.attach(a)
	return a
}

// attach registers the adapter with the reader of its stream, starting it when needed.
func (f *streamsFactory) attach(a *streamsAdapter) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.readers[a.stream]
	if r == nil {
		ctx, cancel := context.WithCancel(context.Background())
		r = &streamReader{adapters: map[string]*streamsAdapter{}, cancel: cancel, done: make(chan struct{})}
		f.readers[a.stream] = r
		last := f.lastID(ctx, a.stream)
		go f.read(ctx, r, a.stream, last)
	}
	r.adapters[a.host.Name()] = a
}

func (f *streamsFactory) detach(a *streamsAdapter) {
	f.mu.Lock()
	r := f.readers[a.stream]
	if r != nil {
		delete(r.adapters, a.host.Name())
		if len(r.adapters) == 0 {
			delete(f.readers, a.stream)
		} else {
			r = nil
		}
	}
	f.mu.Unlock()
	if r != nil {
		r.cancel()
		<-r.done
	}
}

// lastID returns the id of the stream's last entry ("0-0" when empty), so that reading
// starts with what is added after now (Node's "$", without losing entries between reads).
func (f *streamsFactory) lastID(ctx context.Context, stream string) string {
	ctx, cancel := context.WithTimeout(ctx, f.opts.PublishTimeout)
	defer cancel()
	msgs, err := f.hub.client.XRevRangeN(ctx, stream, "+", "-", 1).Result()
	if err != nil {
		f.hub.log.Warn("redisadapter: reading the stream's last id", "stream", stream, "err", err)
		return "$"
	}
	if len(msgs) == 0 {
		return "0-0"
	}
	return msgs[0].ID
}

func (f *streamsFactory) read(ctx context.Context, r *streamReader, stream, last string) {
	defer close(r.done)
	down := false
	for ctx.Err() == nil {
		res, err := f.hub.client.XRead(ctx, &redis.XReadArgs{Streams: []string{stream, last}, Count: f.opts.ReadCount, Block: f.opts.BlockTime}).Result()
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, redis.Nil) {
			if !down {
				down = true
				f.hub.log.Error("redisadapter: reading the stream failed; local sockets are still served, retrying", "stream", stream, "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(500 * time.Millisecond):
			}
			continue
		}
		if down {
			down = false
			f.hub.log.Info("redisadapter: reading the stream works again", "stream", stream)
		}
		for _, s := range res {
			for _, m := range s.Messages {
				last = m.ID
				msg, ok, err := decodeStreamEntry(m.Values)
				if !ok || err != nil {
					continue
				}
				f.mu.Lock()
				a := r.adapters[msg.NSP]
				f.mu.Unlock()
				if a != nil {
					a.onMessage(msg, a.offsetOf(m.ID))
				}
			}
		}
	}
}

func (a *streamsAdapter) offsetOf(id string) string {
	if a.recovery == nil {
		return ""
	}
	return id
}

func (a *streamsAdapter) onPubSub(m *redis.Message) {
	msg, err := decodeClusterMessage([]byte(m.Payload))
	if err != nil {
		a.log.Debug("redisadapter: dropping a malformed message", "err", err)
		return
	}
	a.onMessage(msg, "")
}

// durable reports whether a message goes through the stream.
func durable(t clusterType, withAck bool) bool {
	switch t {
	case clBroadcast:
		return !withAck
	case clSocketsJoin, clSocketsLeave, clDisconnectSockets:
		return true
	}
	return false
}

func (a *streamsAdapter) send(t clusterType, data any, _ []string, withAck bool) {
	if durable(t, withAck) {
		a.xadd(t, data, nil)
		return
	}
	a.publish(a.channel, t, data)
}

func (a *streamsAdapter) respond(uid string, t clusterType, data any) {
	a.publish(a.channel+uid+"#", t, data)
}

func (a *streamsAdapter) publish(ch string, t clusterType, data any) {
	msg, err := encodeClusterPubSub(t, a.uid, a.host.Name(), data)
	if err != nil {
		a.log.Error("redisadapter: encoding a message", "err", err)
		return
	}
	a.f.hub.publish(ch, msg, false)
}

// xadd appends a message to the stream; done gets the entry id ("" on failure).
func (a *streamsAdapter) xadd(t clusterType, data any, done func(id string)) {
	fields, err := streamEntry(t, a.uid, a.host.Name(), data)
	if err != nil {
		a.log.Error("redisadapter: encoding a stream entry", "err", err)
		if done != nil {
			done("")
		}
		return
	}
	job := pubJob{run: func(ctx context.Context, p redis.Pipeliner) redis.Cmder {
		return p.XAdd(ctx, &redis.XAddArgs{Stream: a.stream, MaxLen: a.f.opts.MaxLen, Approx: true, ID: "*", Values: fields})
	}}
	if done != nil {
		job.done = func(cmd redis.Cmder, err error) {
			id := ""
			if sc, ok := cmd.(*redis.StringCmd); ok && err == nil {
				id = sc.Val()
			}
			done(id)
		}
	}
	a.f.hub.enqueue(job)
}

// broadcastWithOffset appends the broadcast to the stream, then delivers it locally with
// the entry id as offset (without one when Redis could not be reached).
func (a *streamsAdapter) broadcastWithOffset(p *socketio.Packet, opts socketio.BroadcastOptions, d clusterBroadcastData) error {
	if opts.Flags.Volatile || p.ID != socketio.NoAckID {
		if err := a.MemoryAdapter.Broadcast(p, opts); err != nil {
			return err
		}
		a.xadd(clBroadcast, d, nil)
		return nil
	}
	a.xadd(clBroadcast, d, func(id string) {
		q := &socketio.Packet{Event: p.Event, Args: p.Args, ID: socketio.NoAckID, Offset: id}
		if err := a.MemoryAdapter.Broadcast(q, opts); err != nil {
			a.log.Warn("redisadapter: delivering a broadcast", "err", err)
		}
	})
	return nil
}

func (a *streamsAdapter) serverCount(ctx context.Context) (int, error) {
	return numSub(ctx, a.f.hub.client, a.channel, false)
}

// Close unsubscribes the namespace and stops its stream reader when it was the last one.
func (a *streamsAdapter) Close() error {
	a.f.hub.unsubscribe(a.sub)
	a.f.detach(a)
	a.pending.removeAll()
	err := a.MemoryAdapter.Close()
	a.f.hub.release()
	return err
}

// storedSession is a recovery session as the Node package stores it.
type storedSession struct {
	SID   string   `json:"sid"`
	PID   string   `json:"pid"`
	Rooms []string `json:"rooms"`
	Data  any      `json:"data"`
}

// PersistSession stores the session in Redis for MaxDisconnectionDuration.
func (a *streamsAdapter) PersistSession(s *socketio.PersistedSession) {
	if a.recovery == nil {
		return
	}
	data, err := normalizeArg(s.Data)
	if err == nil {
		var mp []byte
		if mp, err = marshalMsgpack(storedSession{SID: s.SID, PID: s.PID, Rooms: nonNil(s.Rooms), Data: data}); err == nil {
			key, val, ttl := a.f.opts.SessionKeyPrefix+s.PID, base64.StdEncoding.EncodeToString(mp), a.recovery.MaxDisconnectionDuration
			a.f.hub.enqueue(pubJob{run: func(ctx context.Context, p redis.Pipeliner) redis.Cmder {
				return p.Set(ctx, key, val, ttl)
			}})
			return
		}
	}
	a.log.Error("redisadapter: encoding a session", "err", err)
}

var offsetRE = regexp.MustCompile(`^[0-9]+-[0-9]+$`)

// nextID returns the stream id right after id.
func nextID(id string) string {
	ms, seq, _ := strings.Cut(id, "-")
	n, _ := strconv.ParseUint(seq, 10, 64)
	return ms + "-" + strconv.FormatUint(n+1, 10)
}

// RestoreSession takes the session out of Redis and reads the packets it missed from the
// stream, as the Node package does. It returns nil when the session or the offset is gone.
func (a *streamsAdapter) RestoreSession(ctx context.Context, pid, offset string) (*socketio.PersistedSession, error) {
	if a.recovery == nil || !offsetRE.MatchString(offset) {
		return nil, nil
	}
	ctx, cancel := requestCtx(ctx, a.timeout)
	defer cancel()
	c := a.f.hub.client
	key := a.f.opts.SessionKeyPrefix + pid
	var get *redis.StringCmd
	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, key)
		p.Del(ctx, key)
		return nil
	})
	if errors.Is(get.Err(), redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	raw, err := base64.StdEncoding.DecodeString(get.Val())
	if err != nil {
		return nil, err
	}
	v, err := unmarshalMsgpack(raw)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	sess := &socketio.PersistedSession{PID: pid, Rooms: roomList(m["rooms"]), Data: m["data"]}
	sess.SID, _ = m["sid"].(string)
	if sess.SID == "" {
		return nil, nil
	}
	if first, err := c.XRange(ctx, a.stream, offset, offset).Result(); err != nil || len(first) == 0 {
		return nil, err
	}
	from := nextID(offset)
	for range 100 {
		entries, err := c.XRangeN(ctx, a.stream, from, "+", a.f.opts.ReadCount).Result()
		if err != nil {
			return nil, err
		}
		if len(entries) == 0 {
			break
		}
		for _, e := range entries {
			msg, ok, err := decodeStreamEntry(e.Values)
			if !ok || err != nil || msg.NSP != a.host.Name() || msg.Type != clBroadcast {
				continue
			}
			om, _ := msg.Data["opts"].(map[string]any)
			if !sessionMatches(optsFromMap(om), sess.Rooms) {
				continue
			}
			pm, _ := msg.Data["packet"].(map[string]any)
			data, _ := pm["data"].([]any)
			if p, ok := packetOf(data); ok {
				p.Offset = e.ID
				sess.MissedPackets = append(sess.MissedPackets, p)
			}
		}
		from = nextID(entries[len(entries)-1].ID)
	}
	return sess, nil
}

// sessionMatches reports whether a socket in rooms was selected by the options.
func sessionMatches(o wireOpts, rooms []string) bool {
	in := len(o.Rooms) == 0
	for _, r := range o.Rooms {
		for _, s := range rooms {
			in = in || r == s
		}
	}
	for _, r := range o.Except {
		for _, s := range rooms {
			if r == s {
				return false
			}
		}
	}
	return in
}
