package sio

import (
	"testing"
)

var echoPacket = []byte(`21["echo",{"id":123,"text":"hello there, this is a payload of about one hundred bytes","ts":1700000000000}]`)

func BenchmarkDecodeEvent(b *testing.B) {
	var d Decoder
	b.SetBytes(int64(len(echoPacket)))
	b.ReportAllocs()
	for b.Loop() {
		p, _, err := d.Add(echoPacket, false)
		if err != nil || p == nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeBinaryEvent(b *testing.B) {
	var d Decoder
	text := []byte(`51-["upload",{"name":"f","data":{"_placeholder":true,"num":0}}]`)
	att := make([]byte, 1024)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := d.Add(text, false); err != nil {
			b.Fatal(err)
		}
		p, _, err := d.Add(att, true)
		if err != nil || p == nil {
			b.Fatal(err)
		}
	}
}

type benchMsg struct {
	ID   int    `json:"id"`
	Text string `json:"text"`
	TS   int64  `json:"ts"`
}

func BenchmarkEncodeEventStruct(b *testing.B) {
	var e Encoder
	buf := make([]byte, 0, 256)
	msg := benchMsg{ID: 123, Text: "hello there, this is a payload of about one hundred bytes", TS: 1700000000000}
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendHeader(buf[:0], Event, "/", 1, 0)
		buf = append(buf, '[')
		buf = AppendString(buf, "echo")
		buf = append(buf, ',')
		var err error
		if buf, err = e.Append(buf, msg); err != nil {
			b.Fatal(err)
		}
		buf = append(buf, ']')
	}
}

func BenchmarkEncodeEventMap(b *testing.B) {
	var e Encoder
	buf := make([]byte, 0, 256)
	msg := map[string]any{"id": 123, "text": "hello there, this is a payload of about one hundred bytes", "ts": 1700000000000}
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendHeader(buf[:0], Event, "/", NoID, 0)
		buf = append(buf, '[')
		buf = AppendString(buf, "news")
		buf = append(buf, ',')
		var err error
		if buf, err = e.Append(buf, msg); err != nil {
			b.Fatal(err)
		}
		buf = append(buf, ']')
	}
}

func BenchmarkEncodeBinaryStruct(b *testing.B) {
	type upload struct {
		Name string `json:"name"`
		Data []byte `json:"data"`
	}
	var e Encoder
	buf := make([]byte, 0, 256)
	msg := upload{Name: "f", Data: make([]byte, 1024)}
	b.ReportAllocs()
	for b.Loop() {
		e.Reset()
		var err error
		if buf, err = e.Append(buf[:0], msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalArg(b *testing.B) {
	var p Packet
	if err := Decode(&p, echoPacket); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var m benchMsg
		if err := Unmarshal(p.Args[1], nil, nil, &m); err != nil {
			b.Fatal(err)
		}
	}
}
