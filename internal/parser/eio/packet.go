// Package eio is the Engine.IO packet and payload codec, protocol v4 and v3: bytes in, values
// out. It does no I/O and keeps no state; decoders return slices of their input where they can
// (valid as long as the input is), and encoders append to a caller's buffer.
package eio

import (
	"encoding/base64"
	"errors"
)

// Type is an Engine.IO packet type.
type Type byte

// Packet types, as their wire digits '0'..'6' stand for.
const (
	Open Type = iota
	Close
	Ping
	Pong
	Message
	Upgrade
	Noop
)

// String returns the packet type's name as Node's engine.io-parser spells it.
func (t Type) String() string {
	switch t {
	case Open:
		return "open"
	case Close:
		return "close"
	case Ping:
		return "ping"
	case Pong:
		return "pong"
	case Message:
		return "message"
	case Upgrade:
		return "upgrade"
	case Noop:
		return "noop"
	}
	return "unknown"
}

// Packet is one decoded Engine.IO packet. Binary is only ever set on Message packets.
type Packet struct {
	Type   Type
	Data   []byte
	Binary bool
}

// Separator joins the packets of a v4 polling payload (the ASCII record separator).
const Separator = 0x1e

// Errors of the decoders. Every error they return wraps ErrInvalid.
var (
	// ErrInvalid is the error every decoding failure wraps.
	ErrInvalid = errors.New("eio: invalid packet")
	// ErrEmpty reports an empty packet or payload.
	ErrEmpty = &decodeError{"empty packet"}
	// ErrType reports an unknown packet type.
	ErrType = &decodeError{"unknown packet type"}
	// ErrBase64 reports base64 data that does not decode.
	ErrBase64 = &decodeError{"bad base64 data"}
	// ErrLength reports a v3 payload whose length prefixes are malformed or inconsistent.
	ErrLength = &decodeError{"bad payload length"}
)

type decodeError struct{ msg string }

func (e *decodeError) Error() string { return "eio: " + e.msg }
func (e *decodeError) Unwrap() error { return ErrInvalid }

func typeOf(c byte) (Type, bool) {
	if c < '0' || c > '6' {
		return 0, false
	}
	return Type(c - '0'), true
}

// DecodePacket decodes one v4 packet as it arrives in a WebSocket frame: a binary frame is a
// binary message as is; a text frame is a type digit and its data. Data aliases frame.
func DecodePacket(frame []byte, binary bool) (Packet, error) {
	if binary {
		return Packet{Type: Message, Data: frame, Binary: true}, nil
	}
	return decodeText(frame)
}

// decodeText decodes a text packet: a type digit and data, or 'b' and base64 binary data
// (the latter is decoded into a new slice).
func decodeText(p []byte) (Packet, error) {
	if len(p) == 0 {
		return Packet{}, ErrEmpty
	}
	if p[0] == 'b' {
		data, err := decodeBase64(p[1:])
		if err != nil {
			return Packet{}, err
		}
		return Packet{Type: Message, Data: data, Binary: true}, nil
	}
	t, ok := typeOf(p[0])
	if !ok {
		return Packet{}, ErrType
	}
	return Packet{Type: t, Data: p[1:]}, nil
}

func decodeBase64(src []byte) ([]byte, error) {
	dst := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
	n, err := base64.StdEncoding.Decode(dst, src)
	if err != nil {
		return nil, ErrBase64
	}
	return dst[:n], nil
}

// DecodePayload decodes a v4 polling payload (packets joined by Separator) and calls fn for
// each packet in order, stopping at the first error of the payload or of fn. Text data
// aliases payload; binary data is decoded into new slices. An empty payload is an error.
// Every packet before a malformed one has been passed to fn.
func DecodePayload(payload []byte, fn func(Packet) error) error {
	if len(payload) == 0 {
		return ErrEmpty
	}
	for {
		end := indexByte(payload, Separator)
		chunk := payload
		if end >= 0 {
			chunk = payload[:end]
		}
		p, err := decodeText(chunk)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		if end < 0 {
			return nil
		}
		payload = payload[end+1:]
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// AppendPacket appends p in its v4 text form (as in a polling payload): a type digit and
// data, or for binary messages 'b' and the data in base64.
func AppendPacket(dst []byte, p Packet) []byte {
	if p.Binary {
		dst = append(dst, 'b')
		return base64.StdEncoding.AppendEncode(dst, p.Data)
	}
	dst = append(dst, '0'+byte(p.Type))
	return append(dst, p.Data...)
}

// AppendPayload appends the v4 polling payload of pkts: their text forms joined by Separator.
func AppendPayload(dst []byte, pkts []Packet) []byte {
	for i, p := range pkts {
		if i > 0 {
			dst = append(dst, Separator)
		}
		dst = AppendPacket(dst, p)
	}
	return dst
}

// PacketLen returns the length of p's v4 text form, for sizing buffers.
func PacketLen(p Packet) int {
	if p.Binary {
		return 1 + base64.StdEncoding.EncodedLen(len(p.Data))
	}
	return 1 + len(p.Data)
}
