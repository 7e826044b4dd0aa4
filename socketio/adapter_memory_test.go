package socketio

import (
	"context"
	"slices"
	"testing"
	"time"
)

func newTestAdapter(t *testing.T, opts *Options) *MemoryAdapter {
	t.Helper()
	srv := NewServer(opts)
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	return srv.Namespace.adapter.(*MemoryAdapter)
}

func sorted(s []string) []string { slices.Sort(s); return s }

func TestMemoryAdapterRooms(t *testing.T) {
	a := newTestAdapter(t, nil)
	a.AddAll("s1", []string{"s1", "r1", "r2"})
	a.AddAll("s2", []string{"s2", "r2"})
	a.AddAll("s3", []string{"s3", "r3"})

	cases := []struct {
		opts BroadcastOptions
		want []string
	}{
		{BroadcastOptions{}, []string{"s1", "s2", "s3"}},
		{BroadcastOptions{Rooms: []string{"r2"}}, []string{"s1", "s2"}},
		{BroadcastOptions{Rooms: []string{"r1", "r2", "r3"}}, []string{"s1", "s2", "s3"}},
		{BroadcastOptions{Rooms: []string{"r2"}, Except: []string{"r1"}}, []string{"s2"}},
		{BroadcastOptions{Except: []string{"s2", "r3"}}, []string{"s1"}},
		{BroadcastOptions{Rooms: []string{"nope"}}, nil},
	}
	for _, c := range cases {
		if got := sorted(a.selectIDs(c.opts, nil)); !slices.Equal(got, c.want) {
			t.Errorf("%+v: got %v, want %v", c.opts, got, c.want)
		}
	}
	if got := a.SocketRooms("s1"); !slices.Equal(got, []string{"r1", "r2", "s1"}) {
		t.Errorf("SocketRooms = %v", got)
	}
	a.Del("s1", "r2")
	if got := sorted(a.Sockets([]string{"r2"})); !slices.Equal(got, []string{"s2"}) {
		t.Errorf("after Del: %v", got)
	}
	a.DelAll("s2")
	rooms, _ := a.AllRooms(context.Background())
	if !slices.Equal(rooms, []string{"r1", "r3", "s1", "s3"}) {
		t.Errorf("AllRooms = %v (empty rooms must go)", rooms)
	}
	if a.SocketRooms("s2") != nil {
		t.Error("rooms of a removed socket")
	}
}

func TestRecoveryStore(t *testing.T) {
	a := newTestAdapter(t, &Options{ConnectionStateRecovery: &RecoveryOptions{MaxPackets: 3}})
	var r = &a.rec
	p1 := r.store(NewPacket("a"), BroadcastOptions{})
	p2 := r.store(NewPacket("b"), BroadcastOptions{Rooms: []string{"r1"}})
	p3 := r.store(NewPacket("c"), BroadcastOptions{Rooms: []string{"r2"}})
	p4 := r.store(NewPacket("d"), BroadcastOptions{Except: []string{"r1"}})
	if p1.Offset == "" || p1.Offset == p2.Offset {
		t.Fatalf("offsets %q %q", p1.Offset, p2.Offset)
	}
	r.persist(&PersistedSession{SID: "s", PID: "p", Rooms: []string{"s", "r1"}, DisconnectedAt: time.Now()})
	// p1 fell out of the bounded buffer: recovery from its offset is impossible
	if got := r.restore("p", p1.Offset); got != nil {
		t.Fatalf("restored from an offset that was dropped: %+v", got)
	}
	r.persist(&PersistedSession{SID: "s", PID: "p", Rooms: []string{"s", "r1"}, DisconnectedAt: time.Now()})
	got := r.restore("p", p2.Offset)
	if got == nil {
		t.Fatal("not restored")
	}
	// p3 is for r2 (not a member), p4 excludes r1: nothing was missed
	if len(got.MissedPackets) != 0 {
		t.Fatalf("missed %d packets, want 0", len(got.MissedPackets))
	}
	_ = p3
	_ = p4
	r.persist(&PersistedSession{SID: "s", PID: "q", Rooms: []string{"s", "r2"}, DisconnectedAt: time.Now()})
	got = r.restore("q", p2.Offset)
	if got == nil || len(got.MissedPackets) != 2 || got.MissedPackets[0].Event != "c" || got.MissedPackets[1].Event != "d" {
		t.Fatalf("restore q: %+v", got)
	}
	if r.restore("q", p2.Offset) != nil {
		t.Fatal("a session restored twice")
	}
	r.persist(&PersistedSession{SID: "s", PID: "old", DisconnectedAt: time.Now().Add(-time.Hour)})
	if r.restore("old", p2.Offset) != nil {
		t.Fatal("expired session restored")
	}
}

func TestOperatorsImmutable(t *testing.T) {
	srv := NewServer(nil)
	defer srv.Close(context.Background())
	base := srv.To("a")
	b1 := base.To("b").Volatile()
	b2 := base.Except("c").Timeout(time.Second)
	if o := base.Options(); !slices.Equal(o.Rooms, []string{"a"}) || o.Except != nil || o.Flags.Volatile {
		t.Fatalf("base changed: %+v", o)
	}
	if o := b1.Options(); !slices.Equal(o.Rooms, []string{"a", "b"}) || !o.Flags.Volatile || len(o.Except) != 0 {
		t.Fatalf("b1: %+v", o)
	}
	if o := b2.Options(); !slices.Equal(o.Rooms, []string{"a"}) || !slices.Equal(o.Except, []string{"c"}) || o.Flags.Timeout != time.Second {
		t.Fatalf("b2: %+v", o)
	}
	if err := srv.Emit("disconnect"); err != ErrReservedEvent {
		t.Fatalf("reserved emit: %v", err)
	}
	if err := srv.To("x").EmitWithAckFunc("e", func([]Args, error) {}); err != ErrNoTimeout {
		t.Fatalf("EmitWithAckFunc without timeout: %v", err)
	}
}

func TestNamespaces(t *testing.T) {
	srv := NewServer(nil)
	defer srv.Close(context.Background())
	if srv.Of("") != srv.Namespace || srv.Of("/") != srv.Namespace {
		t.Fatal("main namespace")
	}
	if srv.Of("admin") != srv.Of("/admin") {
		t.Fatal("leading slash")
	}
	parent := srv.OfFunc(func(name string, _ *Handshake) bool { return len(name) > 5 && name[:5] == "/dyn-" })
	if srv.namespaceFor("/nope", &Handshake{}) != nil {
		t.Fatal("unknown namespace created")
	}
	c := srv.namespaceFor("/dyn-1", &Handshake{})
	if c == nil || c.parent != parent || srv.namespaceFor("/dyn-1", &Handshake{}) != c {
		t.Fatal("dynamic child")
	}
	if len(parent.Children()) != 1 {
		t.Fatal("children")
	}
}
