// Package sse serves Server-Sent Events: one-way feeds of named events that browsers read
// with EventSource, for notifications that need no reply.
//
// A Feed keeps the most recent events in a bounded history, so a client that reconnects
// with a Last-Event-ID header (EventSource does this by itself) receives what it missed
// without gaps, as long as it was away for fewer than Options.History events. A Broadcaster
// publishes one event to a Feed and to Socket.IO rooms at once.
//
//	feed := sse.NewFeed(sse.Options{Heartbeat: 5 * time.Second})
//	mux.Handle("/api/events", feed)
//	feed.Publish("user:join", map[string]any{"username": "ada"})
package sse

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// ErrClosed is returned by Publish after Close.
var ErrClosed = errors.New("sse: feed closed")

// Options configure a Feed. The zero value of every field means its documented default.
type Options struct {
	// History is how many of the latest events are kept for clients that resume with
	// Last-Event-ID. Default 256.
	History int
	// Heartbeat, when positive, sends a heartbeat to every subscriber at this interval so
	// that proxies keep the stream open and clients can tell it is alive. Zero: none.
	Heartbeat time.Duration
	// HeartbeatData returns the data of a heartbeat, sent as an unnamed event without an
	// id (so it never moves a client's Last-Event-ID). Nil: a comment line (": ping"),
	// which EventSource ignores.
	HeartbeatData func(now time.Time) any
	// Retry, when positive, is sent once to each subscriber as the reconnection delay it
	// should use.
	Retry time.Duration
	// SubscriberBuffer is how many events may wait for one slow subscriber. A subscriber
	// that falls further behind is disconnected; when it reconnects it resumes from the
	// history. Default 64.
	SubscriberBuffer int
	// WriteTimeout bounds each write to a subscriber. Default 10 s.
	WriteTimeout time.Duration
}

// Event is one published event.
type Event struct {
	// ID is the event's position in the feed, starting at 1.
	ID uint64
	// Name is the event name (EventSource's event type); empty means "message".
	Name string
	// Data is the JSON-encoded payload.
	Data []byte
}

// Feed is a stream of events served over HTTP to any number of subscribers. It is an
// http.Handler; Publish is safe for concurrent use.
type Feed struct {
	opts Options

	mu      sync.Mutex
	history []Event // ring buffer, oldest at start
	start   int     // index of the oldest event in history
	count   int     // number of events in history
	lastID  uint64
	subs    map[*subscriber]struct{}
	closed  bool
	closeCh chan struct{}
	wg      sync.WaitGroup
}

type subscriber struct {
	ch      chan Event
	dropped chan struct{} // closed when the feed drops this subscriber for being slow
}

// NewFeed returns a Feed with the given options.
func NewFeed(opts Options) *Feed {
	if opts.History <= 0 {
		opts.History = 256
	}
	if opts.SubscriberBuffer <= 0 {
		opts.SubscriberBuffer = 64
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Second
	}
	return &Feed{
		opts:    opts,
		history: make([]Event, opts.History),
		subs:    make(map[*subscriber]struct{}),
		closeCh: make(chan struct{}),
	}
}

// Publish JSON-encodes data and sends it to every subscriber as an event named name,
// keeping it in the history. It returns the event's id. It never blocks on a subscriber.
func (f *Feed) Publish(name string, data any) (uint64, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return 0, err
	}
	return f.PublishJSON(name, b)
}

// PublishJSON is Publish for a payload that is already JSON. The feed keeps data; the
// caller must not modify it afterwards.
func (f *Feed) PublishJSON(name string, data []byte) (uint64, error) {
	if !validName(name) {
		return 0, errors.New("sse: event name must not contain a line break")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, ErrClosed
	}
	f.lastID++
	ev := Event{ID: f.lastID, Name: name, Data: data}
	if f.count < len(f.history) {
		f.history[(f.start+f.count)%len(f.history)] = ev
		f.count++
	} else {
		f.history[f.start] = ev
		f.start = (f.start + 1) % len(f.history)
	}
	for s := range f.subs {
		select {
		case s.ch <- ev:
		default:
			// Too slow: drop it rather than grow memory or block the publisher. Its
			// EventSource reconnects and resumes from the history.
			delete(f.subs, s)
			close(s.dropped)
		}
	}
	return ev.ID, nil
}

// Subscribers returns the number of connected subscribers.
func (f *Feed) Subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// LastID returns the id of the latest published event (0 when none).
func (f *Feed) LastID() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastID
}

// Close ends every subscription and refuses later publishes and subscriptions. It returns
// when every subscriber's handler has returned or ctx is done.
func (f *Feed) Close(ctx context.Context) error {
	f.mu.Lock()
	if !f.closed {
		f.closed = true
		close(f.closeCh)
	}
	f.mu.Unlock()
	done := make(chan struct{})
	go func() { f.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// subscribe registers a subscriber and returns the events it missed since lastID.
func (f *Feed) subscribe(lastID uint64, resume bool) (*subscriber, []Event, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, nil, false
	}
	s := &subscriber{ch: make(chan Event, f.opts.SubscriberBuffer), dropped: make(chan struct{})}
	var missed []Event
	if resume {
		for i := 0; i < f.count; i++ {
			ev := f.history[(f.start+i)%len(f.history)]
			if ev.ID > lastID {
				missed = append(missed, ev)
			}
		}
	}
	f.subs[s] = struct{}{}
	f.wg.Add(1)
	return s, missed, true
}

func (f *Feed) unsubscribe(s *subscriber) {
	f.mu.Lock()
	delete(f.subs, s)
	f.mu.Unlock()
	f.wg.Done()
}

// lastEventID reads the resume position from the Last-Event-ID header, or from the
// lastEventId query parameter for clients that cannot set headers.
func lastEventID(r *http.Request) (uint64, bool) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("lastEventId")
	}
	if v == "" {
		return 0, false
	}
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, false
	}
	return id, true
}

func validName(name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] == '\n' || name[i] == '\r' {
			return false
		}
	}
	return true
}
