package eio

import (
	"bytes"
	"testing"
)

// The fuzz targets check that no input panics and that what decodes re-encodes to something
// that decodes to the same packets. Seeds live in testdata/fuzz/<Target>.

func same(a, b []Packet) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || a[i].Binary != b[i].Binary || !bytes.Equal(a[i].Data, b[i].Data) {
			return false
		}
	}
	return true
}

func gather(dec func([]byte, func(Packet) error) error, in []byte) ([]Packet, error) {
	var got []Packet
	err := dec(in, func(p Packet) error {
		p.Data = bytes.Clone(p.Data)
		got = append(got, p)
		return nil
	})
	return got, err
}

func FuzzDecodePacket(f *testing.F) {
	f.Add([]byte("4hello"), false)
	f.Add([]byte{1, 2, 3}, true)
	f.Fuzz(func(t *testing.T, in []byte, binary bool) {
		p, err := DecodePacket(in, binary)
		if err != nil {
			return
		}
		if binary {
			return
		}
		q, err := DecodePacket(AppendPacket(nil, p), false)
		if err != nil || !same([]Packet{p}, []Packet{q}) {
			t.Fatalf("round trip of %q: %+v -> %+v (%v)", in, p, q, err)
		}
	})
}

func FuzzDecodePayload(f *testing.F) {
	f.Add([]byte("4hello\x1ebAQIDBA==\x1e2"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := gather(DecodePayload, in)
		if err != nil {
			return
		}
		again, err := gather(DecodePayload, AppendPayload(nil, got))
		if err != nil || !same(got, again) {
			t.Fatalf("round trip of %q: %+v -> %+v (%v)", in, got, again, err)
		}
	})
}

func FuzzDecodePacketV3(f *testing.F) {
	f.Add([]byte("4hello"), false)
	f.Add([]byte{4, 1, 2}, true)
	f.Fuzz(func(t *testing.T, in []byte, binary bool) {
		_, _ = DecodePacketV3(in, binary)
	})
}

func FuzzDecodePayloadV3(f *testing.F) {
	f.Add([]byte("6:4hello10:b4AQIDBA==1:2"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := gather(DecodePayloadV3, in)
		if err != nil {
			return
		}
		// Re-encoding is only exact for valid UTF-8 (invalid bytes count as one unit each).
		again, err := gather(DecodePayloadV3, AppendPayloadV3(nil, got))
		if err != nil || !same(got, again) {
			t.Fatalf("round trip of %q: %+v -> %+v (%v)", in, got, again, err)
		}
	})
}

func FuzzDecodeBinaryPayloadV3(f *testing.F) {
	f.Add(AppendBinaryPayloadV3(nil, []Packet{{Type: Message, Data: []byte("a")}, {Type: Message, Data: []byte{1}, Binary: true}}))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := gather(DecodeBinaryPayloadV3, in)
		if err != nil {
			return
		}
		again, err := gather(DecodeBinaryPayloadV3, AppendBinaryPayloadV3(nil, got))
		if err != nil || !same(got, again) {
			t.Fatalf("round trip of %v: %+v -> %+v (%v)", in, got, again, err)
		}
	})
}
