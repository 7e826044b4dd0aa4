package sio

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzDecode checks that no input panics the decoder, that what it accepts is well formed
// (valid JSON payload of the right shape), and that re-encoding the header gives back a
// packet that decodes to the same fields.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"0", `0{"token":"123"}`, "0/admin,", `0/admin,{"sid":"x"}`, `4{"message":"Invalid namespace"}`,
		`2["foo"]`, `2/admin,13["foo",1,{"a":[true,null]}]`, `312[]`, `51-["baz",{"_placeholder":true,"num":0}]`,
		`62-/admin,15[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, "1/custom,", "4abc", "2{}",
		`2abc["x"]`, `2[1e5,-0.5,"\u00e9\n"]`, `0/nsp?token=abc,`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Packet
		if err := Decode(&p, data); err != nil {
			return
		}
		if p.Payload != nil && !Valid(p.Payload) {
			t.Fatalf("accepted invalid JSON payload %q", p.Payload)
		}
		for _, a := range p.Args {
			if !Valid(a) {
				t.Fatalf("invalid arg %q", a)
			}
		}
		if (p.Type == Event || p.Type == BinaryEvent) && len(p.Args) == 0 {
			t.Fatal("event without a name")
		}
		enc := AppendHeader(nil, p.Type, p.Namespace(), p.ID, p.Attachments)
		enc = append(enc, p.Payload...)
		var q Packet
		if err := Decode(&q, enc); err != nil {
			// A namespace that is only "/" followed by a payload starting with a digit is
			// ambiguous on the wire; everything else must round-trip.
			t.Fatalf("re-encoded %q as %q: %v", data, enc, err)
		}
		if q.Type != p.Type || q.Namespace() != p.Namespace() || q.ID != p.ID || q.Attachments != p.Attachments ||
			!bytes.Equal(q.Payload, p.Payload) || len(q.Args) != len(p.Args) {
			t.Fatalf("round trip of %q: %+v then %+v", data, p, q)
		}
	})
}

// FuzzReconstruct feeds a text packet and up to three attachments through a Decoder and, when
// a packet completes, decodes every argument into an interface and into a struct with []byte
// fields: nothing may panic, and every placeholder must resolve to an attachment.
func FuzzReconstruct(f *testing.F) {
	f.Add(`51-["x",{"_placeholder":true,"num":0}]`, []byte{1, 2}, []byte(nil), []byte(nil), uint8(1))
	f.Add(`52-/admin,7["x",{"a":{"_placeholder":true,"num":1}},[{"_placeholder":true,"num":0}]]`, []byte{1}, []byte{2}, []byte(nil), uint8(2))
	f.Add(`61-3[{"_placeholder":true,"num":0}]`, []byte("abc"), []byte(nil), []byte(nil), uint8(1))
	f.Add(`53-["x",{"_placeholder":true,"num":2},{"_placeholder":true,"num":2}]`, []byte{}, []byte{9}, []byte{8}, uint8(3))
	f.Add(`51-["x",{"_placeholder":true,"num":1}]`, []byte{1}, []byte(nil), []byte(nil), uint8(1))
	f.Add(`51-["x",{"data":{"_placeholder":true,"num":0},"name":"n"}]`, []byte{1}, []byte(nil), []byte(nil), uint8(1))
	f.Fuzz(func(t *testing.T, text string, a0, a1, a2 []byte, n uint8) {
		d := Decoder{MaxAttachments: 8}
		msgs := [][]byte{a0, a1, a2}[:int(n)%4]
		p, bin, err := d.Add([]byte(text), false)
		for _, m := range msgs {
			if err != nil || p != nil {
				break
			}
			p, bin, err = d.Add(m, true)
		}
		if err != nil || p == nil || bin == nil {
			return
		}
		if len(bin.Attachments) != p.Attachments {
			t.Fatalf("completed with %d attachments, announced %d", len(bin.Attachments), p.Attachments)
		}
		for i, a := range p.Args {
			var refs []Placeholder
			if bin.Refs != nil {
				refs = bin.Refs[i]
			}
			for _, r := range refs {
				if r.Num < 0 || r.Num >= len(bin.Attachments) || r.Start < 0 || r.End > len(a) || r.Start >= r.End {
					t.Fatalf("bad placeholder %+v in %q", r, a)
				}
			}
			var v any
			if err := Unmarshal(a, refs, bin.Attachments, &v); err != nil {
				t.Fatalf("arg %q: %v", a, err)
			}
			var s struct {
				Data []byte `json:"data"`
				Name any    `json:"name"`
			}
			_ = Unmarshal(a, refs, bin.Attachments, &s)
			var raw json.RawMessage
			_ = Unmarshal(a, refs, bin.Attachments, &raw)
		}
	})
}

// FuzzEncodeRoundTrip encodes decoded JSON values back and checks they stay valid JSON.
func FuzzEncodeRoundTrip(f *testing.F) {
	f.Add([]byte(`{"a":[1,"x",null,true,{"b":1.5e300}]}`))
	f.Add([]byte(`"\u2028\ud800"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		var e Encoder
		out, err := e.Append(nil, v)
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if !Valid(out) || !json.Valid(out) {
			t.Fatalf("%q encoded as invalid %q", data, out)
		}
	})
}
