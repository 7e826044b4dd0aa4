package sio

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// feed runs messages through a Decoder and returns the completed packets' args and binaries.
func feed(t *testing.T, d *Decoder, msgs ...any) (*Packet, *Binary, error) {
	t.Helper()
	var p *Packet
	var bin *Binary
	var err error
	for i, m := range msgs {
		switch m := m.(type) {
		case string:
			p, bin, err = d.Add([]byte(m), false)
		case []byte:
			p, bin, err = d.Add(m, true)
		}
		if err != nil {
			return nil, nil, err
		}
		if p != nil && i != len(msgs)-1 {
			t.Fatalf("packet complete after message %d of %d", i+1, len(msgs))
		}
	}
	return p, bin, nil
}

func TestDecoderReconstructs(t *testing.T) {
	var d Decoder
	p, bin, err := feed(t, &d,
		`452-["message",{"_placeholder":true,"num":0},{"x":[{"_placeholder":true,"num":1}]}]`[1:],
		[]byte{1, 2, 3}, []byte{4, 5, 6})
	if err != nil {
		t.Fatal(err)
	}
	if p == nil || p.Type != BinaryEvent || p.EventName() != "message" || len(p.Args) != 3 {
		t.Fatalf("packet %+v", p)
	}
	if len(bin.Attachments) != 2 || bin.Refs[0] != nil || len(bin.Refs[1]) != 1 || len(bin.Refs[2]) != 1 {
		t.Fatalf("binary %+v", bin)
	}
	var a []byte
	if err := Unmarshal(p.Args[1], bin.Refs[1], bin.Attachments, &a); err != nil || !bytes.Equal(a, []byte{1, 2, 3}) {
		t.Fatalf("arg1 %v %v", a, err)
	}
	var s struct {
		X [][]byte `json:"x"`
	}
	if err := Unmarshal(p.Args[2], bin.Refs[2], bin.Attachments, &s); err != nil || len(s.X) != 1 || !bytes.Equal(s.X[0], []byte{4, 5, 6}) {
		t.Fatalf("arg2 %+v %v", s, err)
	}
	var anyv any
	if err := Unmarshal(p.Args[2], bin.Refs[2], bin.Attachments, &anyv); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"x": []any{[]byte{4, 5, 6}}}
	if !reflect.DeepEqual(anyv, want) {
		t.Fatalf("any: %#v", anyv)
	}
	// The next text packet decodes normally.
	p, _, err = feed(t, &d, `2["next"]`)
	if err != nil || p.EventName() != "next" {
		t.Fatal(p, err)
	}
}

type nested struct {
	Name string         `json:"name"`
	Blob []byte         `json:"blob"`
	Any  any            `json:"any"`
	Map  map[string]any `json:"map"`
	Ptr  *nestedPtr     `json:"ptr"`
	Embed
}

type nestedPtr struct {
	Items []any `json:"items"`
}

type Embed struct {
	Promoted any `json:"promoted"`
}

func TestUnmarshalNested(t *testing.T) {
	var e Encoder
	src := map[string]any{
		"name": "n", "blob": []byte("blob"), "any": []byte("any"),
		"map": map[string]any{"k": []byte("map")}, "ptr": map[string]any{"items": []any{"s", []byte("item")}},
		"promoted": []byte("promoted"),
	}
	raw, err := e.Append(nil, src)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := FindPlaceholders(raw, len(e.Attachments))
	if err != nil || len(refs) != 5 {
		t.Fatalf("refs %v %v", refs, err)
	}
	var n nested
	if err := Unmarshal(raw, refs, e.Attachments, &n); err != nil {
		t.Fatal(err)
	}
	if string(n.Blob) != "blob" || !reflect.DeepEqual(n.Any, []byte("any")) || !reflect.DeepEqual(n.Map["k"], []byte("map")) ||
		!reflect.DeepEqual(n.Ptr.Items[1], []byte("item")) || n.Ptr.Items[0] != "s" || !reflect.DeepEqual(n.Promoted, []byte("promoted")) {
		t.Fatalf("%+v", n)
	}
	var back any
	if err := Unmarshal(raw, refs, e.Attachments, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, src) {
		t.Fatalf("round trip: %#v", back)
	}
	// A destination that cannot take bytes gets the base64 text rather than a panic.
	var str struct {
		Any string `json:"any"`
	}
	if err := Unmarshal(raw, refs, e.Attachments, &str); err != nil || str.Any != "YW55" {
		t.Fatalf("%+v %v", str, err)
	}
}

func TestDecoderErrors(t *testing.T) {
	cases := [][]any{
		{[]byte{1}}, // binary while idle
		{`51-["x",{"_placeholder":true,"num":0}]`, `2["y"]`},                      // text while reconstructing
		{`51-["x",{"_placeholder":true,"num":1}]`, []byte{1}},                     // num out of range
		{`51-["x",{"_placeholder":true,"num":-1}]`, []byte{1}},                    // negative
		{`51-["x",{"_placeholder":true,"num":"0"}]`, []byte{1}},                   // not a number
		{`51-["x",{"_placeholder":true}]`, []byte{1}},                             // no num
		{`51-["x",{"_placeholder":true,"num":0.5}]`, []byte{1}},                   // fraction
		{`50-["x",{"_placeholder":true,"num":0}]`},                                // count says none
		{`5999-["x",{"_placeholder":true,"num":0}]`},                              // over the cap
		{`52-["x",{"_placeholder":true,"num":0}]`, []byte("aa"), []byte("bbbbb")}, // over the byte cap
	}
	for i, msgs := range cases {
		d := Decoder{MaxAttachmentBytes: 6}
		_, _, err := feed(t, &d, msgs...)
		if err == nil {
			t.Errorf("case %d: no error", i)
		} else if !errors.Is(err, ErrInvalidPacket) {
			t.Errorf("case %d: %v does not wrap ErrInvalidPacket", i, err)
		}
	}
}

func TestDecoderZeroAttachments(t *testing.T) {
	var d Decoder
	p, bin, err := feed(t, &d, `50-["x",{"a":1}]`)
	if err != nil || p == nil || bin == nil || len(bin.Attachments) != 0 {
		t.Fatal(p, bin, err)
	}
}

func TestPlaceholderInsidePlaceholderIsReplacedWhole(t *testing.T) {
	raw := []byte(`{"_placeholder":true,"num":0,"x":{"_placeholder":true,"num":0}}`)
	refs, err := FindPlaceholders(raw, 1)
	if err != nil || len(refs) != 1 || refs[0].Start != 0 || refs[0].End != len(raw) {
		t.Fatal(refs, err)
	}
}
