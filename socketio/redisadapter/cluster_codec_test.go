package redisadapter

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestStreamEntriesMatchNode(t *testing.T) {
	var fx streamsFixtures
	readJSON(t, "testdata/node-streams.json", &fx)
	if len(fx.Entries) != 5 {
		t.Fatalf("%d entries", len(fx.Entries))
	}
	uid := fx.Entries[0].Message["uid"]
	sel := func(rooms ...string) wireOpts { return wireOpts{Rooms: rooms} }
	builds := []struct {
		t    clusterType
		data any
	}{
		{clBroadcast, clusterBroadcastData{Packet: clusterPacket{Type: 2, Data: []any{"hello", "world", 1}}}},
		{clBroadcast, clusterBroadcastData{Packet: clusterPacket{Type: 2, Data: []any{"bin", []byte{1, 2, 3}}}}},
		{clSocketsJoin, clusterRoomsData{Opts: sel("r1"), Rooms: []string{"r2"}}},
		{clSocketsLeave, clusterRoomsData{Opts: sel("r2"), Rooms: []string{"r2"}}},
		{clDisconnectSockets, clusterDisconnectData{Opts: sel("nobody")}},
	}
	for i, b := range builds {
		node := fx.Entries[i].Message
		fields, err := streamEntry(b.t, uid, "/", b.data)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		var order []string
		for j := 0; j < len(fields); j += 2 {
			got[fields[j].(string)] = fields[j+1].(string)
			order = append(order, fields[j].(string))
		}
		if !reflect.DeepEqual(got, node) || !reflect.DeepEqual(order, []string{"uid", "nsp", "type", "data"}) {
			t.Errorf("entry %d:\n go   %v\n node %v", i, got, node)
		}
		anyFields := map[string]any{}
		for k, v := range node {
			anyFields[k] = v
		}
		msg, ok, err := decodeStreamEntry(anyFields)
		if err != nil || !ok || msg.Type != b.t || msg.UID != uid || msg.NSP != "/" {
			t.Errorf("decode entry %d: %+v %v %v", i, msg, ok, err)
		}
	}
	// The binary broadcast decodes to binary.
	m, _, _ := decodeStreamEntry(map[string]any{"uid": "u", "nsp": "/", "type": "3", "data": fx.Entries[1].Message["data"]})
	pkt := m.Data["packet"].(map[string]any)
	if !reflect.DeepEqual(pkt["data"], []any{"bin", []byte{1, 2, 3}}) {
		t.Errorf("binary packet %#v", pkt)
	}
	if _, ok, _ := decodeStreamEntry(map[string]any{"uid": "u", "type": "3"}); ok {
		t.Error("an entry without nsp is a message")
	}
}

func TestStreamsPubSubMatchesNode(t *testing.T) {
	var fx streamsFixtures
	readJSON(t, "testdata/node-streams.json", &fx)
	for _, m := range fx.PubSub {
		raw := m.bytes(t)
		msg, err := decodeClusterMessage(raw)
		if err != nil {
			t.Fatalf("%s: %v", m.Label, err)
		}
		rid, _ := msg.Data["requestId"].(string)
		var data any
		switch msg.Type {
		case clFetchSockets:
			data = clusterFetchData{RequestID: rid}
		case clServerSideEmit:
			data = clusterServerSideEmitData{RequestID: rid, Packet: msg.Data["packet"].([]any)}
		case clServerSideEmitResponse:
			data = clusterAckData{RequestID: rid, Packet: struct {
				Server string `json:"server"`
				Args   []any  `json:"args"`
			}{"D", []any{"with-ack"}}}
		case clBroadcast:
			to := int64(1000)
			data = clusterBroadcastData{Packet: clusterPacket{Type: 2, Data: []any{"question", 42}}, RequestID: rid,
				Opts: wireOpts{Flags: wireFlags{Timeout: &to}}}
		case clBroadcastClientCount:
			data = clusterClientCountData{RequestID: rid, ClientCount: 1}
		case clBroadcastAck:
			data = clusterAckData{RequestID: rid, Packet: struct {
				Client  string `json:"client"`
				Payload any    `json:"payload"`
			}{"d1", 42}}
		default:
			continue // FETCH_SOCKETS_RESPONSE: a handshake is compared in the classic tests
		}
		enc, err := encodeClusterPubSub(msg.Type, msg.UID, msg.NSP, data)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(enc, raw) {
			t.Errorf("%s type %d:\n go   %x\n node %x", m.Label, msg.Type, enc, raw)
		}
		if len(msg.UID) != 16 {
			t.Errorf("uid %q", msg.UID)
		}
	}
}

func TestShardedEncoding(t *testing.T) {
	// As captured in redis-adapter-protocol.md §4.4.
	enc, err := encodeShardedMessage(clBroadcast, "064179af9f088faa", "/",
		clusterBroadcastData{Packet: clusterPacket{Type: 2, Data: []any{"hello", "world", 1}}})
	want := `{"type":3,"data":{"packet":{"type":2,"data":["hello","world",1]},"opts":{"rooms":[],"except":[],"flags":{}}},"uid":"064179af9f088faa","nsp":"/"}`
	if err != nil || string(enc) != want {
		t.Errorf("%s %v", enc, err)
	}
	enc, _ = encodeShardedMessage(clBroadcast, "064179af9f088faa", "/", clusterBroadcastData{Packet: clusterPacket{Type: 2, Data: []any{"bin", []byte{1, 2, 3}}}})
	wantBin := "84a474797065" + "03a46461746182a67061636b657482a474797065" + "02a46461746192a362696ec403010203a46f70747383a5726f6f6d7390a665786365707490a5666c61677380a3756964b0303634313739616639663038386661" + "61a36e7370a12f"
	if fmt.Sprintf("%x", enc) != wantBin {
		t.Errorf("binary sharded message %x", enc)
	}
	for _, c := range []struct {
		mode  string
		rooms []string
		ack   bool
		want  string
	}{
		{"dynamic", []string{"room1"}, false, "socket.io#/#room1#"},
		{"dynamic", []string{"F9BLI8fbxXy9Jg8TAAAB"}, false, "socket.io#/#"},
		{"dynamic-private", []string{"F9BLI8fbxXy9Jg8TAAAB"}, false, "socket.io#/#F9BLI8fbxXy9Jg8TAAAB#"},
		{"static", []string{"room1"}, false, "socket.io#/#"},
		{"dynamic", []string{"room1"}, true, "socket.io#/#"},
		{"dynamic", []string{"a", "b"}, false, "socket.io#/#"},
	} {
		if got := shardedBroadcastChannel("socket.io", "/", c.mode, c.rooms, c.ack); got != c.want {
			t.Errorf("%+v: %q", c, got)
		}
	}
}

func TestStreamNames(t *testing.T) {
	for s, want := range map[string]int32{"/": 47, "/chat": 46457863, "/second": -2143279773} {
		if got := jsHashCode(s); got != want {
			t.Errorf("hash(%q) = %d, want %d", s, got, want)
		}
	}
	for _, c := range []struct {
		count int
		nsp   string
		want  string
	}{{1, "/x", "socket.io"}, {3, "/second", "socket.io-0"}, {4, "/second", "socket.io--1"}, {2, "/", "socket.io-1"}} {
		if got := streamNameOf("", c.count, c.nsp); got != c.want {
			t.Errorf("%+v: %q", c, got)
		}
	}
	if id := newClusterUID(); len(id) != 16 {
		t.Errorf("uid %q", id)
	}
}

// TestStreamEntriesOnRedis writes entries with XADD as Node does and reads them back.
func TestStreamEntriesOnRedis(t *testing.T) {
	client, _ := startRedis(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fields, err := streamEntry(clBroadcast, "u1", "/", clusterBroadcastData{Packet: clusterPacket{Type: 2, Data: []any{"b", []byte{0, 255}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.XAdd(ctx, &redis.XAddArgs{Stream: "s", MaxLen: 1000, Approx: true, Values: fields}).Err(); err != nil {
		t.Fatal(err)
	}
	entries, err := client.XRange(ctx, "s", "-", "+").Result()
	if err != nil || len(entries) != 1 {
		t.Fatal(entries, err)
	}
	msg, ok, err := decodeStreamEntry(entries[0].Values)
	if err != nil || !ok {
		t.Fatal(err)
	}
	if p := msg.Data["packet"].(map[string]any); !reflect.DeepEqual(p["data"], []any{"b", []byte{0, 255}}) {
		t.Errorf("%#v", p)
	}
}
