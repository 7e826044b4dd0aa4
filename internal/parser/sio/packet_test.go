package sio

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeSpecExamples(t *testing.T) {
	cases := []struct {
		in      string
		typ     Type
		nsp     string
		id      int64
		atts    int
		payload string
		args    []string
	}{
		{in: "0", typ: Connect, nsp: "/", id: NoID},
		{in: `0{"sid":"wZX3oN0bSVIhsaknAAAI"}`, typ: Connect, nsp: "/", id: NoID, payload: `{"sid":"wZX3oN0bSVIhsaknAAAI"}`},
		{in: "0/admin,", typ: Connect, nsp: "/admin", id: NoID},
		{in: "0/admin", typ: Connect, nsp: "/admin", id: NoID},
		{in: `0/admin,{"token":"123"}`, typ: Connect, nsp: "/admin", id: NoID, payload: `{"token":"123"}`},
		{in: `4{"message":"Not authorized"}`, typ: ConnectError, nsp: "/", id: NoID, payload: `{"message":"Not authorized"}`},
		{in: `4"Not authorized"`, typ: ConnectError, nsp: "/", id: NoID, payload: `"Not authorized"`},
		{in: `2["foo"]`, typ: Event, nsp: "/", id: NoID, payload: `["foo"]`, args: []string{`"foo"`}},
		{in: `2/admin,["bar"]`, typ: Event, nsp: "/admin", id: NoID, payload: `["bar"]`, args: []string{`"bar"`}},
		{in: `51-["baz",{"_placeholder":true,"num":0}]`, typ: BinaryEvent, nsp: "/", id: NoID, atts: 1,
			payload: `["baz",{"_placeholder":true,"num":0}]`, args: []string{`"baz"`, `{"_placeholder":true,"num":0}`}},
		{in: `52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, typ: BinaryEvent, nsp: "/admin", id: NoID, atts: 2,
			payload: `["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`,
			args:    []string{`"baz"`, `{"_placeholder":true,"num":0}`, `{"_placeholder":true,"num":1}`}},
		{in: `212["foo"]`, typ: Event, nsp: "/", id: 12, payload: `["foo"]`, args: []string{`"foo"`}},
		{in: `312[]`, typ: Ack, nsp: "/", id: 12, payload: `[]`},
		{in: `2/admin,13["foo"]`, typ: Event, nsp: "/admin", id: 13, payload: `["foo"]`, args: []string{`"foo"`}},
		{in: `3/admin,13["bar"]`, typ: Ack, nsp: "/admin", id: 13, payload: `["bar"]`, args: []string{`"bar"`}},
		{in: `51-14["foo",{"_placeholder":true,"num":0}]`, typ: BinaryEvent, nsp: "/", id: 14, atts: 1,
			payload: `["foo",{"_placeholder":true,"num":0}]`, args: []string{`"foo"`, `{"_placeholder":true,"num":0}`}},
		{in: `61-15["bar",{"_placeholder":true,"num":0}]`, typ: BinaryAck, nsp: "/", id: 15, atts: 1,
			payload: `["bar",{"_placeholder":true,"num":0}]`, args: []string{`"bar"`, `{"_placeholder":true,"num":0}`}},
		{in: "1", typ: Disconnect, nsp: "/", id: NoID},
		{in: "1/admin,", typ: Disconnect, nsp: "/admin", id: NoID},
		{in: `2[ "spaced" , 1 ]`, typ: Event, nsp: "/", id: NoID, payload: `[ "spaced" , 1 ]`, args: []string{`"spaced"`, `1`}},
		{in: `2[42,"numeric name"]`, typ: Event, nsp: "/", id: NoID, payload: `[42,"numeric name"]`, args: []string{`42`, `"numeric name"`}},
		{in: `0/nsp?token=abc,`, typ: Connect, nsp: "/nsp?token=abc", id: NoID},
	}
	for _, c := range cases {
		var p Packet
		if err := Decode(&p, []byte(c.in)); err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if p.Type != c.typ || p.Namespace() != c.nsp || p.ID != c.id || p.Attachments != c.atts || string(p.Payload) != c.payload {
			t.Errorf("%q: got type %v nsp %q id %d atts %d payload %q", c.in, p.Type, p.Namespace(), p.ID, p.Attachments, p.Payload)
		}
		if c.args != nil {
			if len(p.Args) != len(c.args) {
				t.Errorf("%q: args %q", c.in, p.Args)
				continue
			}
			for i := range c.args {
				if string(p.Args[i]) != c.args[i] {
					t.Errorf("%q: arg %d = %q, want %q", c.in, i, p.Args[i], c.args[i])
				}
			}
		}
	}
}

func TestDecodeInvalid(t *testing.T) {
	for _, in := range []string{
		"", "abc", "7", "9[]", "2", "2{}", `2[]`, `2"x"`, `2[1,]`, `2["a"`, "3", `3{}`, `42abc["message-with-ack",1]`,
		`1{}`, `0[]`, `0"x"`, `4[]`, `4 12`, `5["x"]`, `5x-["x"]`, `5-["x"]`, `51["x"]`,
		`2["connect"]`, `2["disconnect",1]`, `2["newListener"]`, `2["conn\u0065ct"]`, `2[null]`, `2[{}]`, `2[true]`,
		`299999999999999999999["x"]`, `2["x"]garbage`, `2["\x01"]`, `2["\u12"]`, `2[01]`, `2[1.]`, `2[-]`, `2[1e]`,
		`2["a",tru]`, `2["a",{"k"}]`, `2["a",{"k":}]`, `2["a",{1:2}]`, `2/nsp,`,
		"5999999999-[\"x\"]",
	} {
		var p Packet
		err := Decode(&p, []byte(in))
		if err == nil {
			t.Errorf("%q: decoded as %+v, want an error", in, p)
		} else if !errors.Is(err, ErrInvalidPacket) {
			t.Errorf("%q: error %v does not wrap ErrInvalidPacket", in, err)
		}
	}
}

func TestDecodeDeepNesting(t *testing.T) {
	deep := `2["x",` + strings.Repeat("[", maxDepth+5) + strings.Repeat("]", maxDepth+5) + `]`
	var p Packet
	if err := Decode(&p, []byte(deep)); err == nil {
		t.Fatal("accepted a payload nested deeper than the limit")
	}
	ok := `2["x",` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `]`
	if err := Decode(&p, []byte(ok)); err != nil {
		t.Fatal(err)
	}
}

func TestEventName(t *testing.T) {
	for in, want := range map[string]string{
		`2["foo"]`:        "foo",
		`2["h\u00e9"]`:    "hé",
		`2[12,1]`:         "12",
		`2["a\"b"]`:       `a"b`,
		`2["ü✓",{"x":1}]`: "ü✓",
	} {
		var p Packet
		if err := Decode(&p, []byte(in)); err != nil {
			t.Fatal(in, err)
		}
		if got := p.EventName(); got != want {
			t.Errorf("%s: name %q, want %q", in, got, want)
		}
	}
}

func TestAppendHeader(t *testing.T) {
	cases := []struct {
		typ  Type
		nsp  string
		id   int64
		atts int
		want string
	}{
		{Connect, "/", NoID, 0, "0"},
		{Connect, "/admin", NoID, 0, "0/admin,"},
		{Event, "", 12, 0, "212"},
		{Event, "/admin", 13, 0, "2/admin,13"},
		{BinaryEvent, "/", NoID, 1, "51-"},
		{BinaryAck, "/admin", 15, 2, "62-/admin,15"},
		{Disconnect, "/x", NoID, 0, "1/x,"},
	}
	for _, c := range cases {
		if got := string(AppendHeader(nil, c.typ, c.nsp, c.id, c.atts)); got != c.want {
			t.Errorf("%v %q %d %d: %q, want %q", c.typ, c.nsp, c.id, c.atts, got, c.want)
		}
	}
}

func TestTypeString(t *testing.T) {
	if BinaryAck.String() != "BINARY_ACK" || Type(9).String() != "Type(9)" {
		t.Fatal(BinaryAck.String(), Type(9).String())
	}
}
