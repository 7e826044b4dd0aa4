package socketio

import (
	"bytes"
	"errors"
	"testing"

	"github.com/parley-go/parley/internal/parser/sio"
)

// decodeEvent builds the Event of a raw text packet and its attachments, as the client does.
func decodeEvent(t *testing.T, text string, atts ...[]byte) *Event {
	t.Helper()
	var d sio.Decoder
	p, bin, err := d.Add([]byte(text), false)
	for _, a := range atts {
		if err != nil {
			break
		}
		p, bin, err = d.Add(a, true)
	}
	if err != nil || p == nil {
		t.Fatalf("decode %q: %v (packet %v)", text, err, p)
	}
	return newEvent(nil, p, bin)
}

func TestEventBind(t *testing.T) {
	e := decodeEvent(t, `2["chat:message",{"text":"héllo","n":3},"room1",42]`)
	if e.Name() != "chat:message" || e.Len() != 3 {
		t.Fatalf("name %q len %d", e.Name(), e.Len())
	}
	var msg struct {
		Text string `json:"text"`
		N    int    `json:"n"`
	}
	var room string
	var n, extra int
	extra = 7
	if err := e.Bind(&msg, &room, &n, &extra); err != nil {
		t.Fatal(err)
	}
	if msg.Text != "héllo" || msg.N != 3 || room != "room1" || n != 42 || extra != 7 {
		t.Fatalf("got %+v %q %d %d", msg, room, n, extra)
	}
	if err := e.Decode(5, &n); err == nil {
		t.Fatal("Decode out of range: no error")
	}
	var wrong int
	if err := e.Decode(0, &wrong); err == nil {
		t.Fatal("object into int: no error")
	}
}

func TestEventBinaryArgs(t *testing.T) {
	e := decodeEvent(t, `52-["up",{"name":"a","file":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":1}]`,
		[]byte{1, 2, 3}, []byte{4, 5})
	var meta struct {
		Name string `json:"name"`
		File []byte `json:"file"`
	}
	var raw []byte
	if err := e.Bind(&meta, &raw); err != nil {
		t.Fatal(err)
	}
	if meta.Name != "a" || !bytes.Equal(meta.File, []byte{1, 2, 3}) || !bytes.Equal(raw, []byte{4, 5}) {
		t.Fatalf("got %+v %v", meta, raw)
	}
	vals, err := e.Values()
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := vals[1].([]byte); !ok || !bytes.Equal(b, []byte{4, 5}) {
		t.Fatalf("Values()[1] = %#v", vals[1])
	}
	if m, ok := vals[0].(map[string]any); !ok || !bytes.Equal(m["file"].([]byte), []byte{1, 2, 3}) {
		t.Fatalf("Values()[0] = %#v", vals[0])
	}
}

func TestNewArgsBind(t *testing.T) {
	a := NewArgs(map[string]any{"text": "hi", "bin": []byte{9}}, 3.0)
	var v struct {
		Text string `json:"text"`
		Bin  []byte `json:"bin"`
	}
	var n int
	if err := a.Bind(&v, &n); err != nil {
		t.Fatal(err)
	}
	if v.Text != "hi" || !bytes.Equal(v.Bin, []byte{9}) || n != 3 {
		t.Fatalf("got %+v %d", v, n)
	}
	if string(a.Raw(1)) != "3" {
		t.Fatalf("Raw(1) = %s", a.Raw(1))
	}
}

func TestHandleTyped(t *testing.T) {
	type in struct {
		To   string `json:"to"`
		Text string `json:"text"`
	}
	var got in
	h := Handle(func(e *Event, v in) { got = v })
	h(decodeEvent(t, `2["chat:private",{"to":"bob","text":"yo"}]`))
	if got.To != "bob" || got.Text != "yo" {
		t.Fatalf("got %+v", got)
	}
	called := false
	Handle(func(e *Event, v in) { called = true })(decodeEvent(t, `2["x",12]`))
	if called {
		t.Fatal("handler ran with an argument of the wrong type")
	}
	Handle(func(e *Event, v string) { called = v == "" })(decodeEvent(t, `2["x"]`))
	if !called {
		t.Fatal("missing argument: handler did not run with the zero value")
	}
}

func TestAckWithoutID(t *testing.T) {
	e := decodeEvent(t, `2["x",1]`)
	if e.HasAck() {
		t.Fatal("HasAck without id")
	}
	if err := e.Ack(); !errors.Is(err, ErrNoAck) {
		t.Fatalf("Ack() = %v", err)
	}
}

func TestEncodeEvent(t *testing.T) {
	msgs, err := encodeEvent("/admin", 12, "ev", []any{"a", map[string]any{"b": []byte{1}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || string(msgs[0].Data) != `51-/admin,12["ev","a",{"b":{"_placeholder":true,"num":0}}]` ||
		!msgs[1].Binary || !bytes.Equal(msgs[1].Data, []byte{1}) {
		t.Fatalf("got %q (+%d)", msgs[0].Data, len(msgs)-1)
	}
	msgs, _ = encodeEvent("/", sio.NoID, "ev", nil, "off1")
	if string(msgs[0].Data) != `2["ev","off1"]` {
		t.Fatalf("got %q", msgs[0].Data)
	}
	if _, err := encodeEvent("/", sio.NoID, "ev", []any{func() {}}, ""); err == nil {
		t.Fatal("func argument: no error")
	}
}

func TestConnectErrorPayload(t *testing.T) {
	if got := string(connectErrorPayload(4, "Invalid namespace", nil)); got != `{"message":"Invalid namespace"}` {
		t.Fatal(got)
	}
	if got := string(connectErrorPayload(4, "no", map[string]string{"code": "E"})); got != `{"message":"no","data":{"code":"E"}}` {
		t.Fatal(got)
	}
	if got := string(connectErrorPayload(3, "no", nil)); got != `"no"` {
		t.Fatal(got)
	}
}
