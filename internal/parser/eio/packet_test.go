package eio

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func collect(t *testing.T, dec func([]byte, func(Packet) error) error, in []byte) ([]Packet, error) {
	t.Helper()
	var got []Packet
	err := dec(in, func(p Packet) error {
		p.Data = bytes.Clone(p.Data)
		got = append(got, p)
		return nil
	})
	return got, err
}

func TestDecodePacketV4(t *testing.T) {
	cases := []struct {
		in     string
		binary bool
		want   Packet
		err    bool
	}{
		{"4hello", false, Packet{Type: Message, Data: []byte("hello")}, false},
		{"2", false, Packet{Type: Ping, Data: []byte{}}, false},
		{"2probe", false, Packet{Type: Ping, Data: []byte("probe")}, false},
		{"\x01\x02", true, Packet{Type: Message, Data: []byte{1, 2}, Binary: true}, false},
		{"", false, Packet{}, true},
		{"7", false, Packet{}, true},
		{"abc", false, Packet{}, true},
	}
	for _, c := range cases {
		got, err := DecodePacket([]byte(c.in), c.binary)
		if (err != nil) != c.err {
			t.Fatalf("DecodePacket(%q): err %v", c.in, err)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			continue
		}
		if got.Type != c.want.Type || got.Binary != c.want.Binary || !bytes.Equal(got.Data, c.want.Data) {
			t.Fatalf("DecodePacket(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

func TestPayloadV4(t *testing.T) {
	pkts := []Packet{
		{Type: Message, Data: []byte("hello")},
		{Type: Message, Data: []byte{1, 2, 3, 4}, Binary: true},
		{Type: Ping, Data: []byte{}},
	}
	enc := AppendPayload(nil, pkts)
	if string(enc) != "4hello\x1ebAQIDBA==\x1e2" {
		t.Fatalf("AppendPayload = %q", enc)
	}
	got, err := collect(t, DecodePayload, enc)
	if err != nil || !reflect.DeepEqual(got, pkts) {
		t.Fatalf("DecodePayload = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "4a\x1e", "bA", "b!!!!", "4a\x1e9"} {
		if _, err := collect(t, DecodePayload, []byte(bad)); err == nil {
			t.Errorf("DecodePayload(%q) accepted", bad)
		}
	}
	for _, p := range pkts {
		if PacketLen(p) != len(AppendPacket(nil, p)) {
			t.Errorf("PacketLen(%+v) wrong", p)
		}
	}
}

func TestPayloadV3(t *testing.T) {
	text := `42["chat:message",{"text":"héllo ✓"}]`
	pkts := []Packet{
		{Type: Message, Data: []byte(text[1:])},
		{Type: Message, Data: []byte{1, 2, 3, 4}, Binary: true},
		{Type: Pong, Data: []byte{}},
		{Type: Message, Data: []byte("😀")},
	}
	enc := AppendPayloadV3(nil, pkts)
	want := "37:" + text + "10:b4AQIDBA==1:33:4😀"
	if string(enc) != want {
		t.Fatalf("AppendPayloadV3 = %q, want %q", enc, want)
	}
	got, err := collect(t, DecodePayloadV3, enc)
	if err != nil || !reflect.DeepEqual(got, pkts) {
		t.Fatalf("DecodePayloadV3 = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "3:4a", "x:4", ":4", "1", "2:4😀", "99999999999:4", "6:b4!!!!", "2:b5", "1:9"} {
		if _, err := collect(t, DecodePayloadV3, []byte(bad)); err == nil {
			t.Errorf("DecodePayloadV3(%q) accepted", bad)
		}
	}
}

func TestBinaryPayloadV3(t *testing.T) {
	pkts := []Packet{
		{Type: Message, Data: []byte("héllo")},
		{Type: Message, Data: []byte{1, 2, 3}, Binary: true},
	}
	enc := AppendBinaryPayloadV3(nil, pkts)
	want := append([]byte{0, 7, 0xff}, "4héllo"...)
	want = append(want, 1, 4, 0xff, 4, 1, 2, 3)
	if !bytes.Equal(enc, want) {
		t.Fatalf("AppendBinaryPayloadV3 = %v, want %v", enc, want)
	}
	got, err := collect(t, DecodeBinaryPayloadV3, enc)
	if err != nil || !reflect.DeepEqual(got, pkts) {
		t.Fatalf("DecodeBinaryPayloadV3 = %+v, %v", got, err)
	}
	for _, bad := range [][]byte{{}, {2}, {0, 5}, {0, 0xff}, {0, 9, 0xff, '4'}, {1, 1, 0xff, 5}, {0, 10, 0xff}} {
		if _, err := collect(t, DecodeBinaryPayloadV3, bad); err == nil {
			t.Errorf("DecodeBinaryPayloadV3(%v) accepted", bad)
		}
	}
}

func TestDecodePacketV3(t *testing.T) {
	p, err := DecodePacketV3([]byte{4, 9}, true)
	if err != nil || !p.Binary || !bytes.Equal(p.Data, []byte{9}) {
		t.Fatalf("binary frame: %+v %v", p, err)
	}
	p, err = DecodePacketV3([]byte("b4AQ=="), false)
	if err != nil || !p.Binary || !bytes.Equal(p.Data, []byte{1}) {
		t.Fatalf("base64 frame: %+v %v", p, err)
	}
	if _, err := DecodePacketV3(nil, true); err == nil {
		t.Fatal("empty binary frame accepted")
	}
	if _, err := DecodePacketV3([]byte{2}, true); err == nil {
		t.Fatal("non-message binary frame accepted")
	}
}
