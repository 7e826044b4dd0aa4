package main

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/redis/go-redis/v9"
)

// redisHistory keeps history in Redis, so that every chat server on the same Redis (and
// key) sees the same chat:history and room:history: one capped list per room, newest
// first, written with LPUSH and LTRIM in one transaction.
type redisHistory struct {
	client redis.UniversalClient
	prefix string // key prefix, e.g. "chat"
	keep   int    // how many messages a list keeps
	// down, when set, reports that Redis was unreachable at the last check: reads and
	// writes then fail at once rather than each wait for the client's retries.
	down func() bool
}

var errRedisDown = errors.New("redis unreachable")

func (h *redisHistory) unreachable() bool { return h.down != nil && h.down() }

func newRedisHistory(client redis.UniversalClient, prefix string, keep int) *redisHistory {
	return &redisHistory{client: client, prefix: prefix, keep: keep}
}

// key is the list of a room: <prefix>:history for the main chat, <prefix>:room:<room>:history
// for a room.
func (h *redisHistory) key(room string) string {
	if room == "" {
		return h.prefix + ":history"
	}
	return h.prefix + ":room:" + room + ":history"
}

func (h *redisHistory) Add(ctx context.Context, m Message) error {
	if h.unreachable() {
		return errRedisDown
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	key := h.key(m.Room)
	_, err = h.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.LPush(ctx, key, raw)
		p.LTrim(ctx, key, 0, int64(h.keep-1))
		return nil
	})
	return err
}

func (h *redisHistory) Recent(ctx context.Context, room string, n int) ([]Message, error) {
	if h.unreachable() {
		return nil, errRedisDown
	}
	raws, err := h.client.LRange(ctx, h.key(room), 0, int64(n-1)).Result()
	if err != nil {
		return nil, err
	}
	msgs := make([]Message, 0, len(raws))
	for i := len(raws) - 1; i >= 0; i-- { // the list is newest first
		var m Message
		if err := json.Unmarshal([]byte(raws[i]), &m); err != nil {
			continue // not one of ours: skip it rather than lose the rest
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// Close does nothing: the Redis client belongs to main, which closes it.
func (h *redisHistory) Close() error { return nil }
