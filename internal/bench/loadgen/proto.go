package main

import (
	"bytes"
	"errors"
	"strconv"
)

// Engine.IO v4 packet types, the first byte of every frame.
const (
	eioOpen    = '0'
	eioClose   = '1'
	eioPing    = '2'
	eioPong    = '3'
	eioMessage = '4'
	eioNoop    = '6'
)

// Socket.IO v5 packet types that the tool reads, the byte after an Engine.IO message's '4'
// (the CONNECT reply is checked as the literal "40").
const (
	sioEvent = '2'
	sioAck   = '3'
)

// pollingSeparator separates packets in one HTTP long-polling payload (Engine.IO v4).
const pollingSeparator = 0x1e

var (
	errNotAck     = errors.New("not a Socket.IO ACK packet")
	errNotMsg     = errors.New(`not a "msg" event`)
	errBadPayload = errors.New("payload is not an object with integer t, s and i")
)

// appendJoin appends the packet 42<id>["join","<room>"].
func appendJoin(b []byte, id int64, room string) []byte {
	b = append(b, "42"...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `["join",`...)
	b = strconv.AppendQuote(b, room)
	return append(b, ']')
}

// appendBcast appends the packet 42<id>["bcast","<room>",<payload>].
func appendBcast(b []byte, id int64, room string, payload []byte) []byte {
	b = append(b, "42"...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `["bcast",`...)
	b = strconv.AppendQuote(b, room)
	b = append(b, ',')
	b = append(b, payload...)
	return append(b, ']')
}

// appendEcho appends the packet 42<id>["echo",<payload>].
func appendEcho(b []byte, id int64, payload []byte) []byte {
	b = append(b, "42"...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `["echo",`...)
	b = append(b, payload...)
	return append(b, ']')
}

// appendPayload appends the benchmark payload {"t":<t>,"s":<s>,"i":<i>,"p":"<pad>"}: t is the
// send time in nanoseconds since the tool started, s the sender's sequence number and i the
// sender's id. pad is plain ASCII letters, so it needs no escaping.
func appendPayload(b []byte, t, s, i int64, pad string) []byte {
	b = append(b, `{"t":`...)
	b = strconv.AppendInt(b, t, 10)
	b = append(b, `,"s":`...)
	b = strconv.AppendInt(b, s, 10)
	b = append(b, `,"i":`...)
	b = strconv.AppendInt(b, i, 10)
	b = append(b, `,"p":"`...)
	b = append(b, pad...)
	return append(b, `"}`...)
}

// padFor returns the letters that bring a payload to about size bytes.
func padFor(size int) string {
	const fixed = len(`{"t":1234567890123,"s":123456,"i":12,"p":""}`)
	n := size - fixed
	if n < 1 {
		n = 1
	}
	p := make([]byte, n)
	for k := range p {
		p[k] = 'a' + byte(k%26)
	}
	return string(p)
}

// parseAck parses a Socket.IO ACK frame 43<id>[...] and returns its id and its argument array
// (the bytes from '[' to the end).
func parseAck(f []byte) (id int64, args []byte, err error) {
	if len(f) < 4 || f[0] != eioMessage || f[1] != sioAck {
		return 0, nil, errNotAck
	}
	k := 2
	for k < len(f) && f[k] >= '0' && f[k] <= '9' {
		id = id*10 + int64(f[k]-'0')
		k++
	}
	if k == 2 || k >= len(f) || f[k] != '[' {
		return 0, nil, errNotAck
	}
	return id, f[k:], nil
}

// parseMsg parses a Socket.IO EVENT frame 42["msg",<payload>] and returns the payload's bytes.
func parseMsg(f []byte) ([]byte, error) {
	if len(f) < 2 || f[0] != eioMessage || f[1] != sioEvent {
		return nil, errNotMsg
	}
	k := skipSpace(f, 2)
	if k >= len(f) || f[k] != '[' {
		return nil, errNotMsg
	}
	k = skipSpace(f, k+1)
	if !bytes.HasPrefix(f[k:], []byte(`"msg"`)) {
		return nil, errNotMsg
	}
	k = skipSpace(f, k+5)
	if k >= len(f) || f[k] != ',' {
		return nil, errNotMsg
	}
	end := len(f) - 1
	for end > k && isSpace(f[end]) {
		end--
	}
	if f[end] != ']' {
		return nil, errNotMsg
	}
	return bytes.TrimSpace(f[k+1 : end]), nil
}

// payloadFields reads the integers t, s and i from a payload object; other members are skipped,
// and the members may come in any order.
func payloadFields(p []byte) (t, s, i int64, err error) {
	k := skipSpace(p, 0)
	if k >= len(p) || p[k] != '{' {
		return 0, 0, 0, errBadPayload
	}
	k++
	var seen uint8
	for {
		k = skipSpace(p, k)
		if k < len(p) && p[k] == '}' {
			break
		}
		keyStart := k
		k = skipString(p, k)
		if k < 0 {
			return 0, 0, 0, errBadPayload
		}
		key := p[keyStart:k]
		k = skipSpace(p, k)
		if k >= len(p) || p[k] != ':' {
			return 0, 0, 0, errBadPayload
		}
		k = skipSpace(p, k+1)
		valStart := k
		k = skipValue(p, k)
		if k < 0 {
			return 0, 0, 0, errBadPayload
		}
		if len(key) == 3 {
			var dst *int64
			var bit uint8
			switch key[1] {
			case 't':
				dst, bit = &t, 1
			case 's':
				dst, bit = &s, 2
			case 'i':
				dst, bit = &i, 4
			}
			if dst != nil {
				v, ok := parseInt(p[valStart:k])
				if !ok {
					return 0, 0, 0, errBadPayload
				}
				*dst, seen = v, seen|bit
			}
		}
		k = skipSpace(p, k)
		if k < len(p) && p[k] == ',' {
			k++
			continue
		}
		if k < len(p) && p[k] == '}' {
			break
		}
		return 0, 0, 0, errBadPayload
	}
	if seen != 7 {
		return 0, 0, 0, errBadPayload
	}
	return t, s, i, nil
}

// parseInt parses a JSON number that holds an integer (re-encoders may write 42.0 or 4.2e1).
func parseInt(b []byte) (int64, bool) {
	if v, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		return v, true
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, k int) int {
	for k < len(b) && isSpace(b[k]) {
		k++
	}
	return k
}

// skipString returns the index just past the JSON string that starts at k, or -1.
func skipString(b []byte, k int) int {
	if k >= len(b) || b[k] != '"' {
		return -1
	}
	for k++; k < len(b); k++ {
		switch b[k] {
		case '\\':
			k++
		case '"':
			return k + 1
		}
	}
	return -1
}

// skipValue returns the index just past the JSON value that starts at k, or -1. It checks
// only as much syntax as it needs to find the value's end.
func skipValue(b []byte, k int) int {
	if k >= len(b) {
		return -1
	}
	switch b[k] {
	case '"':
		return skipString(b, k)
	case '{', '[':
		depth := 0
		for k < len(b) {
			switch b[k] {
			case '"':
				k = skipString(b, k)
				if k < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return k + 1
				}
			}
			k++
		}
		return -1
	default:
		start := k
		for k < len(b) && b[k] != ',' && b[k] != '}' && b[k] != ']' && !isSpace(b[k]) {
			k++
		}
		if k == start {
			return -1
		}
		return k
	}
}
