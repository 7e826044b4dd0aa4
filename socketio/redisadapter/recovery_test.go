package redisadapter_test

import (
	"context"
	"testing"
	"time"
)

// TestStreamsRecoveryOnAnotherServer: a client that lost its connection to A reconnects to
// B and gets back its id, rooms and the packets it missed, and only those.
func TestStreamsRecoveryOnAnotherServer(t *testing.T) {
	r := startRedisServer(t)
	nodes := startCluster(t, r, "streams", 2, testLogger())
	A, B := nodes[0], nodes[1]
	c := dial(t, A.addr, "/", "c", map[string]any{"name": "c", "rooms": []any{"room1"}})
	if c.PID == "" {
		t.Fatal("no pid in the CONNECT answer: recovery is off")
	}
	_ = B.srv.Emit("first", "hello")
	got, ok := c.waitFor("first", 5*time.Second)
	if !ok || len(got.Args) != 2 {
		t.Fatalf("first: %v %v", ok, got.Args)
	}
	offset, _ := got.Args[1].(string)
	if !offsetLike(offset) {
		t.Fatalf("no offset as last argument: %v", got.Args)
	}
	oldID := c.ID
	_ = c.ws.Close() // transport close: recoverable
	rc := r.client(t)
	until(t, 5*time.Second, "the session in Redis", func() bool {
		n, _ := rc.Exists(context.Background(), "sio:session:"+c.PID).Result()
		return n == 1
	})
	_ = B.srv.Emit("missed-1", "while away")
	_ = A.srv.To("room1").Emit("missed-2")
	_ = A.srv.To("other-room").Emit("not-for-c")
	time.Sleep(200 * time.Millisecond)

	c2 := dial(t, B.addr, "/", "c2", map[string]any{"name": "c", "pid": c.PID, "offset": offset})
	if c2.ID != oldID {
		t.Fatalf("recovered id %q, want %q", c2.ID, oldID)
	}
	m1, ok1 := c2.waitFor("missed-1", 5*time.Second)
	m2, ok2 := c2.waitFor("missed-2", 5*time.Second)
	if !ok1 || !ok2 {
		t.Fatalf("missed packets: %v %v", ok1, ok2)
	}
	if norm(m1.Args[:1]) != norm([]any{"while away"}) || len(m2.Args) != 1 {
		t.Fatalf("missed packets' arguments: %v %v", m1.Args, m2.Args)
	}
	time.Sleep(200 * time.Millisecond)
	if len(c2.received("not-for-c")) != 0 {
		t.Fatal("a packet for another room was replayed")
	}
	socks, err := B.srv.Local().FetchSockets(context.Background())
	if err != nil || len(socks) != 1 || sortedJoin(socks[0].Rooms) != sortedJoin([]string{oldID, "room1"}) {
		t.Fatalf("recovered socket on B: %v %v", socks, err)
	}
	_ = A.srv.To("room1").Emit("after")
	if _, ok := c2.waitFor("after", 5*time.Second); !ok {
		t.Fatal("the recovered socket does not get its room's broadcasts")
	}
}
