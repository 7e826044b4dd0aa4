package redisadapter_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/parley-go/parley/internal/conformance/cluster/clustersrv"
	"github.com/parley-go/parley/socketio"
	"github.com/parley-go/parley/socketio/redisadapter"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testLogger shows the adapters' logs with -v (REDIS_TEST_LOG=1), else discards them.
func testLogger() *slog.Logger {
	if os.Getenv("REDIS_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type node struct {
	name string
	srv  *clustersrv.Server
	addr string
}

const testKey = "go-cluster-test"

// startCluster runs n cluster test servers (A, B, C...) in this process on one Redis.
func startCluster(t *testing.T, r *redisProc, adapter string, n int, log *slog.Logger) []*node {
	t.Helper()
	nodes := make([]*node, n)
	for i := range nodes {
		name := string(rune('A' + i))
		s, err := clustersrv.New(clustersrv.Config{Name: name, Client: r.client(t), Key: testKey, Adapter: adapter,
			RequestsTimeout: 2 * time.Second, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		addr := serve(t, s)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = s.Close(ctx)
		})
		nodes[i] = &node{name: name, srv: s, addr: addr}
	}
	for _, nd := range nodes {
		for _, nsp := range []string{"/", "/second"} {
			until(t, 10*time.Second, "every server counted", func() bool {
				c, err := nd.srv.Of(nsp).Adapter().ServerCount(context.Background())
				return err == nil && c == n
			})
		}
	}
	return nodes
}

var testArgs = []any{"text", 0, -1, 42, -200, 70000, int64(1) << 40, 1.5, true, false, nil, "ünïcødé ✓ 🎉",
	[]any{}, map[string]any{}, map[string]any{"nested": map[string]any{"list": []any{1, "two", map[string]any{"three": 3}}}},
	[]byte{0, 1, 2, 253, 254, 255}, map[string]any{"inner": []byte("héllo"), "n": 1}, []any{[]byte{9}}}

// deliveredTo checks that exactly the clients in want (of all) received ev once, with args.
func deliveredTo(t *testing.T, ev string, args []any, want []*tclient, all []*tclient) {
	t.Helper()
	for _, c := range want {
		got, ok := c.waitFor(ev, 5*time.Second)
		if !ok {
			t.Fatalf("%s did not receive %s", c.name, ev)
		}
		if args != nil && len(got.Args) == len(args)+1 { // a recovery offset as last argument
			if off, ok := got.Args[len(args)].(string); ok && offsetLike(off) {
				got.Args = got.Args[:len(args)]
			}
		}
		if args != nil && norm(got.Args) != norm(args) {
			t.Fatalf("%s got %s with %s, want %s", c.name, ev, norm(got.Args), norm(args))
		}
	}
	time.Sleep(150 * time.Millisecond)
	for _, c := range all {
		n := len(c.received(ev))
		wanted := 0
		for _, w := range want {
			if w == c {
				wanted = 1
			}
		}
		if n != wanted {
			t.Fatalf("%s received %s %d times, want %d", c.name, ev, n, wanted)
		}
	}
}

func TestClassicCluster(t *testing.T) { clusterSuite(t, "classic") }

func TestShardedCluster(t *testing.T) { clusterSuite(t, "sharded") }

func TestStreamsCluster(t *testing.T) { clusterSuite(t, "streams") }

// offsetLike reports whether s looks like a stream entry id.
func offsetLike(s string) bool {
	ms, seq, ok := strings.Cut(s, "-")
	_, e1 := strconv.ParseUint(ms, 10, 64)
	_, e2 := strconv.ParseUint(seq, 10, 64)
	return ok && e1 == nil && e2 == nil
}

// clusterSuite runs the cross-server behaviour on three Parley servers.
func clusterSuite(t *testing.T, adapter string) {
	r := startRedisServer(t)
	nodes := startCluster(t, r, adapter, 3, testLogger())
	A, B, C := nodes[0], nodes[1], nodes[2]
	auth := func(name string, rooms ...string) map[string]any {
		rs := make([]any, len(rooms))
		for i, r := range rooms {
			rs[i] = r
		}
		return map[string]any{"name": name, "rooms": rs}
	}
	a1 := dial(t, A.addr, "/", "a1", auth("a1", "r1"))
	b1 := dial(t, B.addr, "/", "b1", auth("b1", "r1"))
	b2 := dial(t, B.addr, "/", "b2", auth("b2", "r2", "rb"))
	c1 := dial(t, C.addr, "/", "c1", auth("c1", "r2"))
	sa := dial(t, A.addr, "/second", "sa", auth("sa", "r1"))
	sc := dial(t, C.addr, "/second", "sc", auth("sc"))
	root := []*tclient{a1, b1, b2, c1}
	all := append(append([]*tclient{}, root...), sa, sc)
	bg := context.Background()

	t.Run("emit to all with exact arguments", func(t *testing.T) {
		if err := A.srv.Emit("all", testArgs...); err != nil {
			t.Fatal(err)
		}
		deliveredTo(t, "all", testArgs, root, all)
	})
	t.Run("rooms, except, socket id, volatile, local, compress", func(t *testing.T) {
		_ = C.srv.To("r1").Emit("room", "r1")
		deliveredTo(t, "room", []any{"r1"}, []*tclient{a1, b1}, all)
		_ = A.srv.To("r1", "r2").Except("rb").Emit("rooms-except")
		deliveredTo(t, "rooms-except", []any{}, []*tclient{a1, b1, c1}, all)
		_ = B.srv.Except("r1").Emit("except", 1)
		deliveredTo(t, "except", []any{1}, []*tclient{b2, c1}, all)
		_ = A.srv.To(b2.ID).Emit("to-id")
		deliveredTo(t, "to-id", nil, []*tclient{b2}, all)
		_ = A.srv.Volatile().Emit("volatile")
		deliveredTo(t, "volatile", nil, root, all)
		for _, c := range root { // no recovery offset on a volatile packet, on any server (as Node)
			if got := c.received("volatile"); len(got[0].Args) != 0 {
				t.Fatalf("%s got volatile with %v", c.name, got[0].Args)
			}
		}
		_ = B.srv.Compress(false).Emit("nocompress")
		deliveredTo(t, "nocompress", nil, root, all)
		_ = A.srv.Local().Emit("local")
		deliveredTo(t, "local", nil, []*tclient{a1}, all)
		_ = C.srv.Of("/second").Emit("second", map[string]any{"x": 1})
		deliveredTo(t, "second", []any{map[string]any{"x": 1}}, []*tclient{sa, sc}, all)
	})
	t.Run("relay from a client with binary", func(t *testing.T) {
		bin := []byte{1, 2, 3}
		ack := a1.emitAck("relay", map[string]any{"event": "relayed", "args": []any{bin, map[string]any{"b": bin}, 7}, "rooms": []any{"r2"}})
		if norm(ack) != norm([]any{map[string]any{"ok": true}}) {
			t.Fatalf("relay ack %v", norm(ack))
		}
		deliveredTo(t, "relayed", []any{bin, map[string]any{"b": bin}, 7}, []*tclient{b2, c1}, all)
		b1.emitAck("relay", map[string]any{"event": "relay-all", "args": []any{}})
		deliveredTo(t, "relay-all", nil, []*tclient{a1, b2, c1}, all)
	})
	t.Run("fetchSockets across servers", func(t *testing.T) {
		socks, err := A.srv.FetchSockets(bg)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range socks {
			d := clustersrv.Describe(s)
			data, _ := d["data"].(map[string]any)
			name, _ := data["name"].(string)
			names = append(names, name)
			h := d["handshake"].(map[string]any)
			if norm(h["auth"].(map[string]any)["name"]) != norm(name) {
				t.Fatalf("handshake auth of %s: %v", name, h["auth"])
			}
			if q := h["query"].(map[string]any); q["EIO"] != "4" || q["client"] != name {
				t.Fatalf("handshake query of %s: %v", name, q)
			}
			if s.ID == b2.ID && sortedJoin(s.Rooms) != sortedJoin([]string{b2.ID, "r2", "rb"}) {
				t.Fatalf("rooms of b2: %v", s.Rooms)
			}
		}
		if sortedJoin(names) != "a1,b1,b2,c1" {
			t.Fatalf("fetchSockets: %v", names)
		}
		socks, err = C.srv.To("r1").FetchSockets(bg)
		if err != nil || len(socks) != 2 {
			t.Fatalf("fetchSockets(r1): %d %v", len(socks), err)
		}
		socks, err = C.srv.Except("r2").FetchSockets(bg)
		if err != nil || len(socks) != 2 {
			t.Fatalf("fetchSockets(except r2): %d %v", len(socks), err)
		}
		socks, _ = B.srv.Local().FetchSockets(bg)
		if len(socks) != 2 {
			t.Fatalf("local fetchSockets: %d", len(socks))
		}
	})
	t.Run("allRooms and serverCount", func(t *testing.T) {
		if n, err := C.srv.Adapter().ServerCount(bg); n != 3 || err != nil {
			t.Fatalf("serverCount %d %v", n, err)
		}
		rooms, err := B.srv.Adapter().AllRooms(bg)
		if adapter != "classic" {
			if !errors.Is(err, errors.ErrUnsupported) {
				t.Fatalf("allRooms of the ClusterAdapter protocol: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"r1", "r2", "rb", a1.ID, c1.ID} {
			found := false
			for _, r := range rooms {
				found = found || r == want
			}
			if !found {
				t.Fatalf("allRooms %v lacks %s", rooms, want)
			}
		}
		if n, err := C.srv.Adapter().ServerCount(bg); n != 3 || err != nil {
			t.Fatalf("serverCount %d %v", n, err)
		}
	})
	t.Run("socketsJoin, socketsLeave, disconnectSockets", func(t *testing.T) {
		A.srv.To("r2").SocketsJoin("j1")
		count := func(room string) int {
			socks, _ := C.srv.To(room).FetchSockets(bg)
			return len(socks)
		}
		until(t, 5*time.Second, "j1 joined", func() bool { return count("j1") == 2 })
		_ = B.srv.To("j1").Emit("joined")
		deliveredTo(t, "joined", nil, []*tclient{b2, c1}, all)
		B.srv.To("j1").Except("rb").SocketsLeave("j1")
		until(t, 5*time.Second, "j1 left", func() bool { return count("j1") == 1 })
		k1 := dial(t, A.addr, "/", "k1", auth("k1", "kick"))
		k2 := dial(t, C.addr, "/", "k2", auth("k2", "kick"))
		B.srv.To("kick").DisconnectSockets(false)
		until(t, 5*time.Second, "kick disconnected", func() bool { return count("kick") == 0 })
		_, _ = k1, k2
	})
	t.Run("serverSideEmit with and without ack", func(t *testing.T) {
		if err := A.srv.ServerSideEmit("sse:note", "note", map[string]any{"n": 1}, []any{1, 2}); err != nil {
			t.Fatal(err)
		}
		until(t, 5*time.Second, "sse on B and C", func() bool { return len(B.srv.SSELog()) == 1 && len(C.srv.SSELog()) == 1 })
		want := norm([]any{map[string]any{"nsp": "/", "event": "sse:note", "args": []any{"note", map[string]any{"n": 1}, []any{1, 2}}}})
		if got := norm(C.srv.SSELog()); got != want {
			t.Fatalf("sse log %s, want %s", got, want)
		}
		if len(A.srv.SSELog()) != 0 {
			t.Fatal("a server received its own serverSideEmit")
		}
		answers, err := B.srv.ServerSideEmitWithAck(bg, "sse:ping", map[string]any{"q": 1})
		if err != nil || len(answers) != 2 {
			t.Fatalf("serverSideEmitWithAck: %d %v", len(answers), err)
		}
		var servers []string
		for _, a := range answers {
			var v struct{ Server string }
			_ = a.Decode(0, &v)
			servers = append(servers, v.Server)
		}
		if sortedJoin(servers) != "A,C" {
			t.Fatalf("answers from %v", servers)
		}
	})
	t.Run("emitWithAck across servers, and its timeout", func(t *testing.T) {
		answers, err := C.srv.To("r1").Timeout(3*time.Second).EmitWithAck(bg, "ask", 1)
		if err != nil || len(answers) != 2 {
			t.Fatalf("emitWithAck: %d %v", len(answers), err)
		}
		var clients []string
		for _, a := range answers {
			var v struct{ Client string }
			_ = a.Decode(0, &v)
			clients = append(clients, v.Client)
		}
		if sortedJoin(clients) != "a1,b1" {
			t.Fatalf("acks from %v", clients)
		}
		answers, err = A.srv.To("nobody").Timeout(3*time.Second).EmitWithAck(bg, "ask")
		if err != nil || len(answers) != 0 {
			t.Fatalf("emitWithAck to nobody: %d %v", len(answers), err)
		}
		quiet, err := tryDial(t, B.addr, "/", "quiet", auth("quiet", "q"))
		if err != nil {
			t.Fatal(err)
		}
		quiet.silent = true
		start := time.Now()
		answers, err = A.srv.To("q", "r2").Timeout(time.Second).EmitWithAck(bg, "ask-timeout")
		if !errors.Is(err, socketio.ErrAckTimeout) || len(answers) != 2 || time.Since(start) > 3*time.Second {
			t.Fatalf("emitWithAck timeout: %d %v", len(answers), err)
		}
	})
	if adapter == "classic" {
		t.Run("the Go emitter reaches every server", func(t *testing.T) {
			e := redisadapter.NewEmitter(r.client(t), &redisadapter.EmitterOptions{Key: testKey})
			if err := e.To("r2").Emit(bg, "from-emitter", testArgs...); err != nil {
				t.Fatal(err)
			}
			deliveredTo(t, "from-emitter", testArgs, []*tclient{b2, c1}, all)
			if err := e.Of("/second").Emit(bg, "emitter-second", "s"); err != nil {
				t.Fatal(err)
			}
			deliveredTo(t, "emitter-second", []any{"s"}, []*tclient{sa, sc}, all)
		})
	}
}
