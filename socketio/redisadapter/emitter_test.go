package redisadapter

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestEmitterMatchesNodeEmitter(t *testing.T) {
	ctx := context.Background()
	type nList struct {
		N    int   `json:"n"`
		List []any `json:"list"`
	}
	cases := []struct {
		label string
		run   func(e *Emitter) error
	}{
		{"emitter-emit", func(e *Emitter) error {
			return e.Emit(ctx, "em", "from-emitter", nList{2, []any{true, nil}}, 3.25)
		}},
		{"emitter-room-flags", func(e *Emitter) error {
			return e.To("r1").Except("x").Volatile().Compress(true).Emit(ctx, "em2", []byte{1})
		}},
		{"emitter-second", func(e *Emitter) error { return e.Of("second").Emit(ctx, "em3") }},
		{"emitter-join", func(e *Emitter) error { return e.In("r1").SocketsJoin(ctx, "ej") }},
		{"emitter-leave", func(e *Emitter) error { return e.Except("r1").SocketsLeave(ctx, "ej", "ek") }},
		{"emitter-disconnect", func(e *Emitter) error { return e.In("nobody").DisconnectSockets(ctx, true) }},
		{"emitter-sse", func(e *Emitter) error {
			return e.ServerSideEmit(ctx, "emitter:note", map[string]string{"from": "emitter"}, []byte{1, 2})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.label, func(t *testing.T) {
			rec := &recorder{}
			if err := tc.run(NewEmitter(rec, nil)); err != nil {
				t.Fatal(err)
			}
			want := classicFixtures(t, tc.label)
			if len(rec.msgs) != len(want) {
				t.Fatalf("published %d messages, Node %d", len(rec.msgs), len(want))
			}
			for i, m := range rec.msgs {
				if m.channel != want[i].Channel {
					t.Errorf("channel %q, Node %q", m.channel, want[i].Channel)
				}
				if node := want[i].bytes(t); !bytes.Equal(m.payload, node) {
					t.Errorf("payload differs:\n go   %x\n node %x", m.payload, node)
				}
			}
		})
	}
}

func TestEmitterIsImmutable(t *testing.T) {
	rec := &recorder{}
	base := NewEmitter(rec, &EmitterOptions{Key: "k"})
	a := base.To("a")
	b := a.To("b").Except("x").Volatile()
	_ = a.To("c")
	if !reflect.DeepEqual(a.rooms, []string{"a"}) || len(a.except) != 0 || a.flags.Volatile {
		t.Errorf("a changed: %+v", a)
	}
	if !reflect.DeepEqual(b.rooms, []string{"a", "b"}) || !reflect.DeepEqual(b.except, []string{"x"}) {
		t.Errorf("b: %+v", b)
	}
	if len(base.rooms) != 0 || base.nsp != "/" {
		t.Errorf("base changed: %+v", base)
	}
	if d := b.To("a", "b", "a"); !reflect.DeepEqual(d.rooms, []string{"a", "b"}) {
		t.Errorf("rooms are a set: %v", d.rooms)
	}
	if err := b.Of("/admin").Emit(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
	if rec.msgs[0].channel != "k#/admin#" {
		t.Errorf("Of resets the selection and keeps the key: %q", rec.msgs[0].channel)
	}
}

func TestEmitterErrors(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	e := NewEmitter(rec, nil)
	for _, name := range []string{"connect", "disconnect", "newListener"} {
		if err := e.Emit(ctx, name); !errors.Is(err, ErrReservedEvent) {
			t.Errorf("Emit(%q) = %v", name, err)
		}
	}
	if err := e.Emit(ctx, "x", make(chan int)); err == nil {
		t.Error("an unencodable argument was accepted")
	}
	rec.err = errors.New("down")
	if err := e.Emit(ctx, "x"); err == nil || !errors.Is(err, rec.err) {
		t.Errorf("publish error: %v", err)
	}
	if len(rec.msgs) != 0 {
		t.Errorf("published %d", len(rec.msgs))
	}
}

// TestEmitterOnRedis checks the emitter against a real redis-server: what a subscriber of
// the adapter's channels receives is what the classic decoders read.
func TestEmitterOnRedis(t *testing.T) {
	client, _ := startRedis(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sub := client.PSubscribe(ctx, "sio#/#*")
	defer sub.Close()
	if err := sub.Subscribe(ctx, "sio-request#/#"); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.Receive(ctx); err != nil { // subscription confirmations
		t.Fatal(err)
	}
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	e := NewEmitter(client, &EmitterOptions{Key: "sio"})
	when := time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC)
	if err := e.To("r1").Emit(ctx, "ev", []byte{1, 2}, map[string]any{"at": when, "n": 7}); err != nil {
		t.Fatal(err)
	}
	if err := e.Except("r2").SocketsJoin(ctx, "j"); err != nil {
		t.Fatal(err)
	}
	ch := sub.Channel()
	m := <-ch
	if m.Channel != "sio#/#r1#" {
		t.Fatalf("channel %q", m.Channel)
	}
	b, err := decodeClassicBroadcast([]byte(m.Payload))
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"ev", []byte{1, 2}, map[string]any{"at": "2024-01-02T03:04:05.678Z", "n": int64(7)}}
	if b.UID != emitterUID || !reflect.DeepEqual(b.Packet.Data, want) || !reflect.DeepEqual(b.Opts.Rooms, []string{"r1"}) {
		t.Errorf("broadcast %+v", b)
	}
	m = <-ch
	r, err := decodeClassicRequest([]byte(m.Payload))
	if err != nil {
		t.Fatal(err)
	}
	if m.Channel != "sio-request#/#" || r.Type != reqRemoteJoin || r.UID != "" ||
		!reflect.DeepEqual(r.Opts.Except, []string{"r2"}) || !reflect.DeepEqual(r.Rooms, []string{"j"}) {
		t.Errorf("request on %q: %+v", m.Channel, r)
	}

	// A stopped Redis is an error, not a hang or a panic.
	_ = client.Close()
	if err := e.Emit(ctx, "late"); err == nil {
		t.Error("emit on a closed client succeeded")
	}
}
