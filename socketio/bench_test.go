package socketio

import (
	"context"
	"strconv"
	"testing"

	"github.com/parley-go/parley/internal/parser/sio"
)

type benchPayload struct {
	T int64  `json:"t"`
	S int    `json:"s"`
	P string `json:"p"`
}

// BenchmarkEncodeEvent is the once-per-broadcast cost: one event encoded for every recipient.
func BenchmarkEncodeEvent(b *testing.B) {
	v := benchPayload{T: 123456789, S: 42, P: "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123456789"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeEvent("/", sio.NoID, "msg", []any{v}, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSelectRoom is the per-broadcast cost of choosing 1,000 recipients in a room of a
// namespace of 5,000 sockets, with an exception.
func BenchmarkSelectRoom(b *testing.B) {
	srv := NewServer(nil)
	defer srv.Close(context.Background())
	a := srv.Namespace.adapter.(*MemoryAdapter)
	for i := range 5000 {
		id := "s" + strconv.Itoa(i)
		a.AddAll(id, []string{id})
		if i%5 == 0 {
			a.AddAll(id, []string{"bench"})
		}
	}
	opts := BroadcastOptions{Rooms: []string{"bench"}, Except: []string{"s0"}}
	ids := make([]string, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		ids = a.selectIDs(opts, ids[:0])
	}
	if len(ids) != 999 {
		b.Fatalf("%d recipients", len(ids))
	}
}
