package eio

import (
	"encoding/base64"
	"strconv"
	"unicode/utf8"
)

// Engine.IO protocol v3 framing (socket.io-client 2.x).
//
// Polling payloads come in two forms. The string form is a run of "<length>:<packet>" where
// the length counts the packet's UTF-16 code units (JavaScript string length), and a binary
// message is "b<type digit><base64>". The binary form (Content-Type application/octet-stream)
// is a run of <0 for text | 1 for binary> <length as one byte per decimal digit> 0xFF <bytes>,
// where the length counts bytes and a binary packet's bytes start with its type (4).
// Over WebSocket a binary frame is the type byte followed by the data.

// maxLenDigits bounds a v3 length prefix (Node's parser gives up after 310 digits; no real
// payload needs more than 10).
const maxLenDigits = 10

// DecodePacketV3 decodes one v3 packet from a WebSocket frame: a binary frame is its type
// byte then data; a text frame is as in a string payload. Data aliases frame except for
// base64 data.
func DecodePacketV3(frame []byte, binary bool) (Packet, error) {
	if binary {
		if len(frame) == 0 {
			return Packet{}, ErrEmpty
		}
		if frame[0] != byte(Message) {
			return Packet{}, ErrType
		}
		return Packet{Type: Message, Data: frame[1:], Binary: true}, nil
	}
	return decodeTextV3(frame)
}

func decodeTextV3(p []byte) (Packet, error) {
	if len(p) == 0 {
		return Packet{}, ErrEmpty
	}
	if p[0] == 'b' {
		if len(p) < 2 || p[1] != '0'+byte(Message) {
			return Packet{}, ErrType
		}
		data, err := decodeBase64(p[2:])
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

// utf16Prefix returns how many bytes of the UTF-8 text p hold its first n UTF-16 code units,
// or -1 if p holds fewer or the n-th unit splits a surrogate pair. Invalid UTF-8 bytes count
// as one unit each (as U+FFFD would).
func utf16Prefix(p []byte, n int) int {
	i := 0
	for n > 0 {
		if i >= len(p) {
			return -1
		}
		r, size := utf8.DecodeRune(p[i:])
		units := 1
		if r >= 0x10000 {
			units = 2
		}
		if units > n {
			return -1
		}
		n -= units
		i += size
	}
	return i
}

// UTF16Len returns the number of UTF-16 code units of the UTF-8 text p (JavaScript's length).
func UTF16Len(p []byte) int {
	n := 0
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRune(p[i:])
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
		i += size
	}
	return n
}

// DecodePayloadV3 decodes a v3 string payload and calls fn for each packet in order,
// stopping at the first error. An empty payload is an error.
func DecodePayloadV3(payload []byte, fn func(Packet) error) error {
	if len(payload) == 0 {
		return ErrEmpty
	}
	for len(payload) > 0 {
		n, digits := 0, 0
		for digits < len(payload) && payload[digits] != ':' {
			c := payload[digits]
			if c < '0' || c > '9' || digits >= maxLenDigits {
				return ErrLength
			}
			n = n*10 + int(c-'0')
			digits++
		}
		if digits == 0 || digits == len(payload) {
			return ErrLength
		}
		payload = payload[digits+1:]
		size := utf16Prefix(payload, n)
		if size < 0 {
			return ErrLength
		}
		p, err := decodeTextV3(payload[:size])
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		payload = payload[size:]
	}
	return nil
}

// DecodeBinaryPayloadV3 decodes a v3 binary payload and calls fn for each packet in order,
// stopping at the first error. Data aliases payload.
func DecodeBinaryPayloadV3(payload []byte, fn func(Packet) error) error {
	if len(payload) == 0 {
		return ErrEmpty
	}
	for len(payload) > 0 {
		kind := payload[0]
		if kind > 1 {
			return ErrLength
		}
		n, i := 0, 1
		for ; i < len(payload) && payload[i] != 0xff; i++ {
			if payload[i] > 9 || i > maxLenDigits {
				return ErrLength
			}
			n = n*10 + int(payload[i])
		}
		if i == 1 || i == len(payload) || n > len(payload)-i-1 {
			return ErrLength
		}
		body := payload[i+1 : i+1+n]
		payload = payload[i+1+n:]
		var p Packet
		var err error
		if kind == 0 {
			p, err = decodeTextV3(body)
		} else {
			p, err = DecodePacketV3(body, true)
		}
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// AppendPacketV3 appends p's v3 text form: a type digit and data, or "b4" and base64 data.
func AppendPacketV3(dst []byte, p Packet) []byte {
	if p.Binary {
		dst = append(dst, 'b', '0'+byte(Message))
		return base64.StdEncoding.AppendEncode(dst, p.Data)
	}
	dst = append(dst, '0'+byte(p.Type))
	return append(dst, p.Data...)
}

// AppendPayloadV3 appends the v3 string payload of pkts: each packet's text form after its
// length in UTF-16 code units and a colon.
func AppendPayloadV3(dst []byte, pkts []Packet) []byte {
	for _, p := range pkts {
		var n int
		if p.Binary {
			n = 2 + base64.StdEncoding.EncodedLen(len(p.Data))
		} else {
			n = 1 + UTF16Len(p.Data)
		}
		dst = strconv.AppendInt(dst, int64(n), 10)
		dst = append(dst, ':')
		dst = AppendPacketV3(dst, p)
	}
	return dst
}

// AppendBinaryPayloadV3 appends the v3 binary payload of pkts (for clients that did not ask
// for base64).
func AppendBinaryPayloadV3(dst []byte, pkts []Packet) []byte {
	var digits [20]byte
	for _, p := range pkts {
		n := 1 + len(p.Data)
		if p.Binary {
			dst = append(dst, 1)
		} else {
			dst = append(dst, 0)
		}
		ds := strconv.AppendInt(digits[:0], int64(n), 10)
		for _, d := range ds {
			dst = append(dst, d-'0')
		}
		dst = append(dst, 0xff)
		if p.Binary {
			dst = append(dst, byte(Message))
		} else {
			dst = append(dst, '0'+byte(p.Type))
		}
		dst = append(dst, p.Data...)
	}
	return dst
}

// HasBinary reports whether any of pkts is a binary message.
func HasBinary(pkts []Packet) bool {
	for _, p := range pkts {
		if p.Binary {
			return true
		}
	}
	return false
}
