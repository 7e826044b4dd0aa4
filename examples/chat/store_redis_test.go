package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startRedis starts a private redis-server on a free port of 47000-47999, or skips the test
// when redis-server is not on PATH (make redis-server installs it).
func startRedis(t *testing.T) *redis.Client {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not on PATH (make redis-server)")
	}
	var port int
	for range 100 {
		p := 47000 + rand.IntN(1000)
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
			l.Close()
			port = p
			break
		}
	}
	if port == 0 {
		t.Fatal("no free port in 47000-47999")
	}
	cmd := exec.Command(path, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	client := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	t.Cleanup(func() { client.Close() })
	for deadline := time.Now().Add(10 * time.Second); client.Ping(context.Background()).Err() != nil; {
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not answer")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return client
}

func TestRedisHistoryIsCappedOldestFirstAndPerRoom(t *testing.T) {
	client := startRedis(t)
	ctx := context.Background()
	h := newRedisHistory(client, "t", 5)
	other := newRedisHistory(client, "t", 5) // a second server on the same Redis and key
	for i := range 8 {
		if err := h.Add(ctx, Message{ID: strconv.Itoa(i), Text: fmt.Sprint("m", i), Timestamp: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := other.Add(ctx, Message{ID: "r", Text: "in lobby", Room: "lobby", Timestamp: 9}); err != nil {
		t.Fatal(err)
	}
	got, err := other.Recent(ctx, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range got {
		texts = append(texts, m.Text)
	}
	if fmt.Sprint(texts) != "[m3 m4 m5 m6 m7]" {
		t.Fatalf("main chat history %v, want the last 5 oldest first", texts)
	}
	if got, _ := h.Recent(ctx, "", 2); len(got) != 2 || got[1].Text != "m7" {
		t.Fatalf("Recent(2) = %+v", got)
	}
	room, err := h.Recent(ctx, "lobby", 50)
	if err != nil || len(room) != 1 || room[0].Room != "lobby" || room[0].Text != "in lobby" {
		t.Fatalf("lobby history %+v, %v", room, err)
	}
	empty, err := h.Recent(ctx, "nowhere", 50)
	if err != nil || empty == nil || len(empty) != 0 {
		t.Fatalf("an empty room must give [] (not null): %#v, %v", empty, err)
	}
	h.down = func() bool { return true }
	if err := h.Add(ctx, Message{ID: "x"}); err == nil {
		t.Fatal("Add with Redis down must fail at once")
	}
}
