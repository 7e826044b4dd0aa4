package redisadapter_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log destination shared by several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRedisRestartClassic(t *testing.T) { restartSuite(t, "classic") }

func TestRedisRestartSharded(t *testing.T) { restartSuite(t, "sharded") }

func TestRedisRestartStreams(t *testing.T) { restartSuite(t, "streams") }

// restartSuite stops Redis in the middle of traffic and starts it again: servers keep
// serving their local sockets, requests fail within the requests timeout instead of
// hanging, and broadcasts cross again once Redis is back.
func restartSuite(t *testing.T, adapter string) {
	r := startRedisServer(t)
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	nodes := startCluster(t, r, adapter, 2, log)
	A, B := nodes[0], nodes[1]
	a1 := dial(t, A.addr, "/", "a1", map[string]any{"name": "a1"})
	b1 := dial(t, B.addr, "/", "b1", map[string]any{"name": "b1"})
	all := []*tclient{a1, b1}
	bg := context.Background()

	// traffic in the background all along
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				_ = A.srv.Emit("noise", i)
				_ = B.srv.To("nobody").Emit("noise", i)
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	_ = A.srv.Emit("before", 1)
	deliveredTo(t, "before", []any{1}, all, all)

	r.stop()
	time.Sleep(300 * time.Millisecond)
	_ = A.srv.Emit("during", 2)
	if _, ok := a1.waitFor("during", 3*time.Second); !ok {
		t.Fatal("a local socket did not get a broadcast while Redis was down")
	}
	start := time.Now()
	if _, err := A.srv.FetchSockets(bg); err == nil {
		t.Fatal("fetchSockets succeeded while Redis was down")
	} else if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("fetchSockets took %v to fail", d)
	} else {
		t.Logf("fetchSockets during the outage: %v (after %v)", err, d.Round(time.Millisecond))
	}
	start = time.Now()
	if _, err := B.srv.ServerSideEmitWithAck(bg, "sse:ping"); err == nil || time.Since(start) > 4*time.Second {
		t.Fatalf("serverSideEmitWithAck during the outage: %v after %v", err, time.Since(start))
	}
	if _, err := A.srv.Timeout(time.Second).EmitWithAck(bg, "ask"); err == nil || time.Since(start) > 8*time.Second {
		t.Fatalf("emitWithAck during the outage: %v", err)
	}

	r.start()
	for _, pair := range [][2]*node{{A, B}, {B, A}} {
		from, to := pair[0], pair[1]
		target := b1
		if to == A {
			target = a1
		}
		i := 0
		until(t, 20*time.Second, fmt.Sprintf("broadcasts from %s to cross again", from.name), func() bool {
			i++
			_ = from.srv.Emit(fmt.Sprintf("after-%s-%d", from.name, i))
			for j := 1; j <= i; j++ {
				if len(target.received(fmt.Sprintf("after-%s-%d", from.name, j))) > 0 {
					return true
				}
			}
			time.Sleep(100 * time.Millisecond)
			return false
		})
	}
	until(t, 10*time.Second, "fetchSockets to work again", func() bool {
		socks, err := A.srv.FetchSockets(bg)
		return err == nil && len(socks) == 2
	})
	out := logs.String()
	for _, want := range []string{"connection lost", "resubscribed"} {
		if !strings.Contains(out, want) {
			t.Errorf("the logs do not say %q:\n%s", want, out)
		}
	}
}
