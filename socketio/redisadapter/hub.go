package redisadapter

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// hub is what the namespace adapters of one server share: one subscriber connection (a
// go-redis PubSub holding the subscriptions of every namespace, so that PUBSUB NUMSUB counts
// each server once) and one ordered publisher. It starts with the first adapter and stops
// with the last one's Close.
type hub struct {
	client redis.UniversalClient
	opts   Options

	mu     sync.Mutex
	refs   int
	log    *slog.Logger
	ps     *redis.PubSub
	routes map[string]func(*redis.Message) // "c:"+channel or "p:"+pattern -> handler
	cancel context.CancelFunc
	wg     sync.WaitGroup
	pub    *publisher
}

func newHub(client redis.UniversalClient, opts Options) *hub {
	return &hub{client: client, opts: opts, routes: make(map[string]func(*redis.Message))}
}

// acquire starts the hub for its first adapter.
func (h *hub) acquire(log *slog.Logger) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.refs++
	if h.refs > 1 {
		return
	}
	h.log = h.opts.Logger
	if h.log == nil {
		h.log = log
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.ps = h.client.Subscribe(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.pub = newPublisher(h.client, h.log, h.opts.PublishTimeout)
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		h.receive(ctx, h.ps)
	}()
}

// release stops the hub after its last adapter.
func (h *hub) release() {
	h.mu.Lock()
	h.refs--
	if h.refs > 0 {
		h.mu.Unlock()
		return
	}
	ps, cancel, pub := h.ps, h.cancel, h.pub
	h.ps, h.pub = nil, nil
	h.mu.Unlock()
	cancel()
	_ = ps.Close()
	pub.close()
	h.wg.Wait()
}

// subscription names what one adapter listens to.
type subscription struct {
	channels, patterns, shardChannels []string
}

// subscribe routes the channels to handle and subscribes to them, waiting at most the
// publish timeout. When Redis cannot be reached the subscription is still recorded and is
// made when the connection comes back.
func (h *hub) subscribe(s subscription, handle func(*redis.Message)) {
	h.mu.Lock()
	for _, c := range s.channels {
		h.routes["c:"+c] = handle
	}
	for _, c := range s.shardChannels {
		h.routes["c:"+c] = handle
	}
	for _, p := range s.patterns {
		h.routes["p:"+p] = handle
	}
	ps, log := h.ps, h.log
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), h.opts.PublishTimeout)
	defer cancel()
	var errs []error
	if len(s.patterns) > 0 {
		errs = append(errs, ps.PSubscribe(ctx, s.patterns...))
	}
	if len(s.channels) > 0 {
		errs = append(errs, ps.Subscribe(ctx, s.channels...))
	}
	if len(s.shardChannels) > 0 {
		errs = append(errs, ps.SSubscribe(ctx, s.shardChannels...))
	}
	if err := errors.Join(errs...); err != nil {
		log.Warn("redisadapter: subscribing failed; will subscribe when Redis is back", "err", err)
	}
}

// unsubscribe stops routing and unsubscribes (best effort, bounded).
func (h *hub) unsubscribe(s subscription) {
	h.mu.Lock()
	for _, c := range s.channels {
		delete(h.routes, "c:"+c)
	}
	for _, c := range s.shardChannels {
		delete(h.routes, "c:"+c)
	}
	for _, p := range s.patterns {
		delete(h.routes, "p:"+p)
	}
	ps := h.ps
	h.mu.Unlock()
	if ps == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if len(s.patterns) > 0 {
		_ = ps.PUnsubscribe(ctx, s.patterns...)
	}
	if len(s.channels) > 0 {
		_ = ps.Unsubscribe(ctx, s.channels...)
	}
	if len(s.shardChannels) > 0 {
		_ = ps.SUnsubscribe(ctx, s.shardChannels...)
	}
}

// receive reads the subscriber connection until ctx ends. go-redis reconnects and
// resubscribes by itself on the next read after an error; this loop logs the outage and
// the recovery and backs off while Redis is unreachable.
func (h *hub) receive(ctx context.Context, ps *redis.PubSub) {
	down := false
	backoff := 100 * time.Millisecond
	for {
		msg, err := ps.ReceiveTimeout(ctx, 15*time.Second)
		if ctx.Err() != nil || errors.Is(err, redis.ErrClosed) {
			return
		}
		if err != nil {
			var timeout interface{ Timeout() bool }
			if errors.As(err, &timeout) && timeout.Timeout() && !down {
				pctx, cancel := context.WithTimeout(ctx, h.opts.PublishTimeout)
				_ = ps.Ping(pctx) // the answer (or the error) comes through Receive
				cancel()
				continue
			}
			if !down {
				down = true
				h.log.Error("redisadapter: subscriber connection lost; local sockets are still served, reconnecting", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 2*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		switch m := msg.(type) {
		case *redis.Subscription:
			if down {
				down = false
				h.log.Info("redisadapter: subscriber reconnected and resubscribed", "channel", m.Channel)
			}
		case *redis.Message:
			key := "c:" + m.Channel
			if m.Pattern != "" {
				key = "p:" + m.Pattern
			}
			h.mu.Lock()
			handle := h.routes[key]
			h.mu.Unlock()
			if handle != nil {
				h.dispatch(handle, m)
			}
		}
	}
}

func (h *hub) dispatch(handle func(*redis.Message), m *redis.Message) {
	defer func() {
		if r := recover(); r != nil {
			h.log.Error("redisadapter: message handler panicked", "channel", m.Channel, "panic", r)
		}
	}()
	handle(m)
}

// publish queues a PUBLISH (SPUBLISH when sharded) on the ordered publisher.
func (h *hub) publish(channel string, msg []byte, sharded bool) {
	h.enqueue(pubJob{run: func(ctx context.Context, p redis.Pipeliner) redis.Cmder {
		if sharded {
			return p.SPublish(ctx, channel, msg)
		}
		return p.Publish(ctx, channel, msg)
	}})
}

func (h *hub) enqueue(j pubJob) {
	h.mu.Lock()
	pub := h.pub
	h.mu.Unlock()
	if pub == nil {
		if j.done != nil {
			j.done(nil, errors.New("redisadapter: adapter closed"))
		}
		return
	}
	pub.enqueue(j)
}

// pubJob is one command of the publisher; done, when set, gets its result on the
// publisher's goroutine (cmd is nil when it was never sent).
type pubJob struct {
	run  func(ctx context.Context, p redis.Pipeliner) redis.Cmder
	done func(cmd redis.Cmder, err error)
}

// publisher sends every command of a server in order, pipelined, from one goroutine. Its
// queue is bounded: when Redis is too slow or away, new messages are dropped (and counted)
// rather than blocking a broadcast.
type publisher struct {
	client  redis.UniversalClient
	log     *slog.Logger
	timeout time.Duration
	q       chan pubJob
	stop    chan struct{}
	wg      sync.WaitGroup

	failing  atomic.Bool
	dropped  atomic.Int64
	lastDrop atomic.Int64
}

const publishQueue = 8192

func newPublisher(c redis.UniversalClient, log *slog.Logger, timeout time.Duration) *publisher {
	p := &publisher{client: c, log: log, timeout: timeout, q: make(chan pubJob, publishQueue), stop: make(chan struct{})}
	p.wg.Add(1)
	go p.loop()
	return p
}

func (p *publisher) enqueue(j pubJob) {
	select {
	case p.q <- j:
	default:
		n := p.dropped.Add(1)
		if now := time.Now().Unix(); p.lastDrop.Swap(now) != now {
			p.log.Error("redisadapter: publish queue full, dropping messages to other servers", "dropped", n)
		}
		if j.done != nil {
			j.done(nil, errors.New("redisadapter: publish queue full"))
		}
	}
}

func (p *publisher) loop() {
	defer p.wg.Done()
	batch := make([]pubJob, 0, 128)
	for {
		select {
		case j := <-p.q:
			batch = append(batch[:0], j)
		drain:
			for len(batch) < cap(batch) {
				select {
				case j := <-p.q:
					batch = append(batch, j)
				default:
					break drain
				}
			}
			p.exec(batch)
		case <-p.stop:
			batch = batch[:0]
			for {
				select {
				case j := <-p.q:
					batch = append(batch, j)
				default:
					if len(batch) > 0 {
						p.exec(batch) // one round trip, bounded by the timeout
					}
					return
				}
			}
		}
	}
}

func (p *publisher) exec(batch []pubJob) {
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	pipe := p.client.Pipeline()
	cmds := make([]redis.Cmder, len(batch))
	for i, j := range batch {
		cmds[i] = j.run(ctx, pipe)
	}
	_, err := pipe.Exec(ctx)
	if err != nil && !errors.Is(err, redis.Nil) {
		if !p.failing.Swap(true) {
			p.log.Error("redisadapter: publishing to Redis failed; other servers miss these messages until it is back", "err", err, "messages", len(batch))
		}
	} else if p.failing.Swap(false) {
		p.log.Info("redisadapter: publishing to Redis works again")
	}
	for i, j := range batch {
		if j.done != nil {
			j.done(cmds[i], cmds[i].Err())
		}
	}
}

// close sends what is queued (bounded by the timeout) and stops the goroutine.
func (p *publisher) close() {
	close(p.stop)
	p.wg.Wait()
}
