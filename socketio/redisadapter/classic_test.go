package redisadapter

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Go values that encode exactly as the JavaScript values of capture-fixtures.mjs: objects
// with several keys are structs, so that the key order is Node's insertion order.
type nestedList struct {
	List  []any  `json:"list"`
	Empty string `json:"empty"`
}

type binaryInner struct {
	Inner []byte `json:"inner"`
	N     int    `json:"n"`
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestClassicBroadcastMatchesNode(t *testing.T) {
	f := false
	timeout := int64(1000)
	_ = timeout
	cases := []struct {
		label string
		nsp   string
		data  []any
		opts  wireOpts
	}{
		{"broadcast-all", "/", []any{"bcast", "text", 0, -1, 42, -200, 70000, int64(1) << 40, -(int64(1) << 40), 1.5, -0.25,
			true, false, nil, "ünïcødé ✓ 🎉", []any{}, map[string]any{},
			map[string]any{"nested": nestedList{List: []any{1, "two", map[string]any{"three": 3}}, Empty: ""}}}, wireOpts{}},
		{"broadcast-room", "/", []any{"room", "r1"}, wireOpts{Rooms: []string{"r1"}}},
		{"broadcast-rooms-except", "/", []any{"rooms"}, wireOpts{Rooms: []string{"r1", "r2"}, Except: []string{"x"}}},
		{"broadcast-binary", "/", []any{"bin", []byte{0, 1, 2, 253, 254, 255}, binaryInner{[]byte("héllo"), 1}, "after"}, wireOpts{}},
		{"broadcast-volatile", "/", []any{"vol"}, wireOpts{Flags: wireFlags{Volatile: true}}},
		{"broadcast-compress", "/", []any{"nocomp"}, wireOpts{Flags: wireFlags{Compress: &f}}},
		{"broadcast-date", "/", []any{"date", mustTime("2024-01-02T03:04:05.678Z"), mustTime("2024-01-01T00:00:00Z")}, wireOpts{}},
		{"broadcast-second", "/second", []any{"sec", 1}, wireOpts{}},
		{"broadcast-big", "/", []any{"big", strings.Repeat("x", 70000), bytes.Repeat([]byte{7}, 70000)}, wireOpts{}},
	}
	for _, tc := range cases {
		t.Run(tc.label, func(t *testing.T) {
			fx := classicFixtures(t, tc.label)[0]
			raw := fx.bytes(t)
			got, err := decodeClassicBroadcast(raw)
			if err != nil {
				t.Fatal(err)
			}
			ch := newClassicChannels(DefaultKey, tc.nsp)
			if want := ch.broadcastChannel(tc.opts.Rooms); fx.Channel != want {
				t.Errorf("Node published on %q, Go would on %q", fx.Channel, want)
			}
			if room, ok := ch.roomOf(fx.Channel); !ok || (len(tc.opts.Rooms) == 1) != (room != "") {
				t.Errorf("roomOf(%q) = %q, %v", fx.Channel, room, ok)
			}
			if got.Packet.NSP != tc.nsp || got.Packet.Type != packetEvent {
				t.Errorf("packet %+v", got.Packet)
			}
			data, err := normalizeArgs(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			enc, err := encodeClassicBroadcast(got.UID, wirePacket{Type: 2, Data: data, NSP: tc.nsp}, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, raw) {
				t.Errorf("Go encoding differs from Node's:\n go   %x\n node %x", enc, raw)
			}
			// Decoding what Go wrote gives what decoding Node's gave.
			again, err := decodeClassicBroadcast(enc)
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("round trip: %+v, %v\nwant %+v", again, err, got)
			}
		})
	}
}

func TestClassicBroadcastDecodedValues(t *testing.T) {
	b, err := decodeClassicBroadcast(classicFixtures(t, "broadcast-all")[0].bytes(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"bcast", "text", int64(0), int64(-1), int64(42), int64(-200), int64(70000), int64(1) << 40, -(int64(1) << 40),
		1.5, -0.25, true, false, nil, "ünïcødé ✓ 🎉", []any{}, map[string]any{},
		map[string]any{"nested": map[string]any{"list": []any{int64(1), "two", map[string]any{"three": int64(3)}}, "empty": ""}}}
	if !reflect.DeepEqual(b.Packet.Data, want) {
		t.Errorf("data %#v", b.Packet.Data)
	}
	d, err := decodeClassicBroadcast(classicFixtures(t, "broadcast-date")[0].bytes(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := []any{"date", "2024-01-02T03:04:05.678Z", "2024-01-01T00:00:00.000Z"}; !reflect.DeepEqual(d.Packet.Data, want) {
		t.Errorf("dates %#v", d.Packet.Data)
	}
	bin, err := decodeClassicBroadcast(classicFixtures(t, "broadcast-binary")[0].bytes(t))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(bin.Packet.Data[2], map[string]any{"inner": []byte("héllo"), "n": int64(1)}) {
		t.Errorf("nested binary %#v", bin.Packet.Data[2])
	}
	room, _ := decodeClassicBroadcast(classicFixtures(t, "broadcast-rooms-except")[0].bytes(t))
	if !reflect.DeepEqual(room.Opts, wireOpts{Rooms: []string{"r1", "r2"}, Except: []string{"x"}}) {
		t.Errorf("opts %#v", room.Opts)
	}
}

func TestClassicRequestsMatchNode(t *testing.T) {
	idOf := func(label string, i int) (*classicRequest, []byte) {
		raw := classicFixtures(t, label)[i].bytes(t)
		r, err := decodeClassicRequest(raw)
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		return r, raw
	}
	sel := func(rooms, except []string) *wireOpts { return &wireOpts{Rooms: rooms, Except: except} }
	cases := []struct {
		label string
		build func(uid, rid string) *classicRequest
	}{
		{"fetch-sockets", func(uid, rid string) *classicRequest {
			return &classicRequest{Type: reqRemoteFetch, UID: uid, RequestID: rid, Opts: sel(nil, nil)}
		}},
		{"all-rooms", func(uid, rid string) *classicRequest {
			return &classicRequest{Type: reqAllRooms, UID: uid, RequestID: rid}
		}},
		{"sockets-join", func(uid, _ string) *classicRequest {
			return &classicRequest{Type: reqRemoteJoin, UID: uid, Opts: sel([]string{"r1"}, nil), Rooms: []string{"j1", "j2"}}
		}},
		{"sockets-leave", func(uid, _ string) *classicRequest {
			return &classicRequest{Type: reqRemoteLeave, UID: uid, Opts: sel(nil, []string{"r1"}), Rooms: []string{"j1"}}
		}},
		{"disconnect-false", func(uid, _ string) *classicRequest {
			return &classicRequest{Type: reqRemoteDisconnect, UID: uid, Opts: sel([]string{"nobody"}, nil)}
		}},
		{"disconnect-true", func(uid, _ string) *classicRequest {
			return &classicRequest{Type: reqRemoteDisconnect, UID: uid, Opts: sel([]string{"nobody"}, nil), Close: true}
		}},
		{"sse-note", func(uid, _ string) *classicRequest {
			data, _ := toTree([]any{"sse:note", "note", map[string]any{"from": "A", "n": 1}, []int{1, 2}})
			return &classicRequest{Type: reqServerSideEmit, UID: uid, Data: data.([]any)}
		}},
		{"sse-ping", func(uid, rid string) *classicRequest {
			data, _ := toTree([]any{"sse:ping", map[string]any{"q": "ping"}})
			return &classicRequest{Type: reqServerSideEmit, UID: uid, RequestID: rid, HasRequestID: true, Data: data.([]any)}
		}},
		{"broadcast-ack", func(uid, rid string) *classicRequest {
			to := int64(1000)
			return &classicRequest{Type: reqBroadcast, UID: uid, RequestID: rid,
				Packet: &wirePacket{Type: 2, Data: []any{"ask", map[string]any{"q": "ask"}}, NSP: "/"},
				Opts:   &wireOpts{Flags: wireFlags{Timeout: &to}}}
		}},
		{"broadcast-ack-binary", func(uid, rid string) *classicRequest {
			to := int64(1000)
			return &classicRequest{Type: reqBroadcast, UID: uid, RequestID: rid,
				Packet: &wirePacket{Type: 2, Data: []any{"askbin", []byte{9, 8}}, NSP: "/"},
				Opts:   &wireOpts{Rooms: []string{"r1"}, Flags: wireFlags{Timeout: &to}}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.label, func(t *testing.T) {
			got, raw := idOf(tc.label, 0)
			want := tc.build(got.UID, got.RequestID)
			enc, err := encodeClassicRequest(want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, raw) {
				t.Errorf("Go encoding differs from Node's:\n go   %q\n node %q", enc, raw)
			}
			if got.Type != want.Type || got.UID == "" || len(got.UID) != 6 {
				t.Errorf("decoded %+v", got)
			}
			again, err := decodeClassicRequest(enc)
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("round trip %+v, %v; want %+v", again, err, got)
			}
		})
	}
}

func TestClassicResponsesMatchNode(t *testing.T) {
	resp := func(label string, i int) (*classicResponse, []byte) {
		raw := classicFixtures(t, label)[i].bytes(t)
		r, err := decodeClassicResponse(raw)
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		return r, raw
	}
	check := func(name string, enc []byte, err error, raw []byte) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(enc, raw) {
			t.Errorf("%s: Go encoding differs from Node's:\n go   %q\n node %q", name, enc, raw)
		}
	}

	r, raw := resp("all-rooms", 1)
	enc, err := encodeAllRoomsResponse(r.RequestID, r.Rooms)
	check("all rooms", enc, err, raw)

	r, raw = resp("sse-ping", 1)
	enc, err = encodeServerSideEmitResponse(r.RequestID, struct {
		Server string `json:"server"`
		Args   []any  `json:"args"`
	}{"B", []any{map[string]any{"q": "ping"}}})
	check("server-side emit ack", enc, err, raw)

	r, raw = resp("broadcast-ack", 1)
	if r.Type != reqBroadcastClientCount || r.ClientCount != 1 {
		t.Errorf("client count %+v", r)
	}
	enc, err = encodeClientCountResponse(r.RequestID, 1)
	check("client count", enc, err, raw)

	r, raw = resp("broadcast-ack", 2)
	type ackArg struct {
		Client  string `json:"client"`
		Payload any    `json:"payload"`
	}
	enc, err = encodeBroadcastAckResponse(r.RequestID, ackArg{"b1", map[string]any{"q": "ask"}})
	check("broadcast ack", enc, err, raw)
	r, raw = resp("broadcast-ack-binary", 2)
	enc, err = encodeBroadcastAckResponse(r.RequestID, ackArg{"b1", []byte{9, 8}})
	check("binary broadcast ack", enc, err, raw)
	if p := r.Packet.(map[string]any); !bytes.Equal(p["payload"].([]byte), []byte{9, 8}) {
		t.Errorf("ack packet %#v", r.Packet)
	}

	// fetchSockets: the description decodes and re-encodes to the same JSON value (header
	// order is Node's insertion order, which a Go map does not keep).
	r, raw = resp("fetch-sockets", 1)
	if len(r.Sockets) != 1 {
		t.Fatalf("sockets %#v", r.Sockets)
	}
	s, err := socketFromMap(r.Sockets[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(s.ID) != 20 || s.Handshake.Issued == 0 || s.Handshake.Query["EIO"] != "4" ||
		!reflect.DeepEqual(s.Data, map[string]any{"name": "b1"}) || !strings.HasPrefix(s.Handshake.URL, "/socket.io/?") {
		t.Errorf("socket %+v", s)
	}
	enc, err = encodeFetchResponse(r.RequestID, []wireSocket{*s})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := decodeJSONValue(enc)
	b, _ := decodeJSONValue(raw)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("fetch response:\n go   %s\n node %s", enc, raw)
	}
}

func TestClassicDecodeEdgeCases(t *testing.T) {
	// A packet without nsp belongs to "/" (older emitters).
	msg, _ := marshalMsgpack([]any{"x", map[string]any{"type": 2, "data": []any{"ev"}}, map[string]any{}})
	b, err := decodeClassicBroadcast(msg)
	if err != nil || b.Packet.NSP != "/" || len(b.Opts.Rooms) != 0 {
		t.Errorf("%+v %v", b, err)
	}
	// Numeric room names are formatted as JavaScript does.
	msg, _ = marshalMsgpack([]any{"x", map[string]any{"type": 5, "data": []any{"ev"}, "nsp": "/"},
		map[string]any{"rooms": []any{42, "r"}, "except": []any{1.5}}})
	b, err = decodeClassicBroadcast(msg)
	if err != nil || !reflect.DeepEqual(b.Opts.Rooms, []string{"42", "r"}) || !reflect.DeepEqual(b.Opts.Except, []string{"1.5"}) {
		t.Errorf("%+v %v", b, err)
	}
	for _, bad := range [][]byte{nil, {0x90}, {0x93, 0xa1, 'x', 0xc0, 0x80}, []byte(`{"type":2}`)} {
		if _, err := decodeClassicBroadcast(bad); err == nil {
			t.Errorf("decodeClassicBroadcast(%x) accepted", bad)
		}
	}
	// A request in MessagePack (any type may come in either encoding).
	msg, _ = marshalMsgpack(map[string]any{"type": 1, "uid": "u", "requestId": "r"})
	r, err := decodeClassicRequest(msg)
	if err != nil || r.Type != reqAllRooms || r.RequestID != "r" {
		t.Errorf("%+v %v", r, err)
	}
	// Legacy single-socket form of REMOTE_JOIN.
	r, err = decodeClassicRequest([]byte(`{"type":2,"sid":"abc","room":"r","requestId":"q"}`))
	if err != nil || r.Opts != nil || r.SID != "abc" || r.Room != "r" {
		t.Errorf("%+v %v", r, err)
	}
	for _, bad := range []string{`{"type":99}`, `{"type":"2"}`, `{"type":6,"data":[]}`, `[1]`, `{"type":7}`} {
		if _, err := decodeClassicRequest([]byte(bad)); err == nil {
			t.Errorf("decodeClassicRequest(%s) accepted", bad)
		}
	}
	ch := newClassicChannels("", "/")
	for channel, want := range map[string]string{"socket.io#/#": "", "socket.io#/#r#1#": "r#1", "socket.io#/#a#": "a"} {
		if got, ok := ch.roomOf(channel); !ok || got != want {
			t.Errorf("roomOf(%q) = %q, %v", channel, got, ok)
		}
	}
	if _, ok := ch.roomOf("socket.io#/second#"); ok {
		t.Error("another namespace's channel matched")
	}
	if id := newUID(6); len(id) != 6 || strings.Trim(id, uidChars) != "" {
		t.Errorf("uid %q", id)
	}
	_ = context.Background
}
