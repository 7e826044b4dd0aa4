package sse

import (
	"encoding/json"
	"errors"
)

// Emitter is anything that broadcasts an event to Socket.IO clients: a *socketio.Server,
// a *socketio.Namespace, or a room selection such as srv.To("lobby").
type Emitter interface {
	Emit(event string, args ...any) error
}

// Broadcaster publishes each event once to a Feed and to any number of Socket.IO targets,
// so SSE subscribers and Socket.IO rooms hear the same thing from one call. The payload is
// JSON-encoded once and shared by every target.
type Broadcaster struct {
	feed    *Feed
	targets []Emitter
}

// NewBroadcaster returns a Broadcaster that publishes to feed (which may be nil) and to
// every target.
func NewBroadcaster(feed *Feed, targets ...Emitter) *Broadcaster {
	return &Broadcaster{feed: feed, targets: append([]Emitter(nil), targets...)}
}

// Publish sends data under the event name to the feed and to every target. It returns the
// feed's event id (0 without a feed) and the errors of the targets that failed, joined.
func (b *Broadcaster) Publish(event string, data any) (uint64, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return 0, err
	}
	var id uint64
	var errs []error
	if b.feed != nil {
		if id, err = b.feed.PublishJSON(event, raw); err != nil {
			errs = append(errs, err)
		}
	}
	for _, t := range b.targets {
		if err := t.Emit(event, json.RawMessage(raw)); err != nil {
			errs = append(errs, err)
		}
	}
	return id, errors.Join(errs...)
}
