package eio

import (
	"strings"
	"testing"
)

var benchText = []byte(`42["msg",{"t":123456789,"s":42,"p":"` + strings.Repeat("a", 60) + `"}]`)

func BenchmarkDecodePayload(b *testing.B) {
	var payload []byte
	for i := 0; i < 16; i++ {
		payload = AppendPacket(payload, Packet{Type: Message, Data: benchText})
		payload = append(payload, 0x1e)
	}
	payload = payload[:len(payload)-1]
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		_ = DecodePayload(payload, func(Packet) error { n++; return nil })
	}
}

func BenchmarkAppendPayload(b *testing.B) {
	pkts := make([]Packet, 16)
	for i := range pkts {
		pkts[i] = Packet{Type: Message, Data: benchText}
	}
	pkts[3] = Packet{Type: Message, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8}, Binary: true}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendPayload(buf[:0], pkts)
	}
}
