package main

import (
	"encoding/json"
	"testing"
)

func TestAppendPackets(t *testing.T) {
	p := appendPayload(nil, 123, 7, 2, "abc")
	if got, want := string(p), `{"t":123,"s":7,"i":2,"p":"abc"}`; got != want {
		t.Fatalf("payload %s, want %s", got, want)
	}
	if !json.Valid(p) {
		t.Fatal("payload is not JSON")
	}
	cases := map[string]string{
		string(appendJoin(nil, 0, "bench")):       `420["join","bench"]`,
		string(appendBcast(nil, 12, "r", p)):      `4212["bcast","r",{"t":123,"s":7,"i":2,"p":"abc"}]`,
		string(appendEcho(nil, 345, []byte(`1`))): `42345["echo",1]`,
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("packet %s, want %s", got, want)
		}
	}
}

func TestPadFor(t *testing.T) {
	p := appendPayload(nil, 1234567890123, 123456, 12, padFor(100))
	if len(p) != 100 {
		t.Errorf("payload of %d bytes, want 100", len(p))
	}
	if len(padFor(5)) != 1 {
		t.Error("padFor of a tiny size should still pad one letter")
	}
}

func TestParseAck(t *testing.T) {
	for _, tc := range []struct {
		in   string
		id   int64
		args string
		ok   bool
	}{
		{`430[]`, 0, `[]`, true},
		{`4312345[{"a":1}]`, 12345, `[{"a":1}]`, true},
		{`43[]`, 0, "", false},    // no id
		{`4312`, 0, "", false},    // no array
		{`42["x"]`, 0, "", false}, // event, not ack
		{`3`, 0, "", false},
		{``, 0, "", false},
	} {
		id, args, err := parseAck([]byte(tc.in))
		if (err == nil) != tc.ok || id != tc.id || string(args) != tc.args {
			t.Errorf("parseAck(%q) = %d, %q, %v", tc.in, id, args, err)
		}
	}
}

func TestParseMsg(t *testing.T) {
	for _, tc := range []struct {
		in, payload string
		ok          bool
	}{
		{`42["msg",{"t":1}]`, `{"t":1}`, true},
		{`42[ "msg" , {"t":1} ]`, `{"t":1}`, true},
		{`42["msg",5]`, `5`, true},
		{`42["other",{"t":1}]`, "", false},
		{`43["msg",{}]`, "", false},
		{`42["msg",{}`, "", false},
		{`42["msg"]`, "", false},
	} {
		p, err := parseMsg([]byte(tc.in))
		if (err == nil) != tc.ok || string(p) != tc.payload {
			t.Errorf("parseMsg(%q) = %q, %v", tc.in, p, err)
		}
	}
}

func TestPayloadFields(t *testing.T) {
	for _, tc := range []struct {
		in      string
		t, s, i int64
		ok      bool
	}{
		{`{"t":1,"s":2,"i":3,"p":"x"}`, 1, 2, 3, true},
		// Re-encoded: other key order, spaces, nested values, escapes in strings, floats.
		{` { "p" : "a\"}\\" , "x":{"t":[9,{"s":8}]}, "i":3 ,"s":2.0,"t":1e3 } `, 1000, 2, 3, true},
		{`{"t":1,"s":2}`, 0, 0, 0, false},         // i missing
		{`{"t":"1","s":2,"i":3}`, 0, 0, 0, false}, // t not a number
		{`{"t":1.5,"s":2,"i":3}`, 0, 0, 0, false}, // t not an integer
		{`[1,2,3]`, 0, 0, 0, false},
		{`{"t":1,"s":2,"i":3`, 0, 0, 0, false},
		{`{"t":1 "s":2,"i":3}`, 0, 0, 0, false},
	} {
		gt, gs, gi, err := payloadFields([]byte(tc.in))
		if (err == nil) != tc.ok || gt != tc.t || gs != tc.s || gi != tc.i {
			t.Errorf("payloadFields(%q) = %d %d %d, %v", tc.in, gt, gs, gi, err)
		}
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	p := appendPayload(nil, 98765432101234, 4242, 9, padFor(100))
	f := append([]byte(`42["msg",`), append(p, ']')...)
	body, err := parseMsg(f)
	if err != nil {
		t.Fatal(err)
	}
	ts, s, i, err := payloadFields(body)
	if err != nil || ts != 98765432101234 || s != 4242 || i != 9 {
		t.Fatalf("got %d %d %d %v", ts, s, i, err)
	}
}

func FuzzPayloadFields(f *testing.F) {
	f.Add([]byte(`{"t":1,"s":2,"i":3,"p":"x"}`))
	f.Add([]byte(`{"p":"\\\"","t":[{}],"s":1,"i":1,"t":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _, _ = payloadFields(b) // must not panic
		_, _ = parseMsg(b)
		_, _, _ = parseAck(b)
	})
}
