package sio

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// Unquote returns the Go string of a raw JSON string, or the raw text of any other JSON value
// (numbers used as event names). Invalid input yields its raw text.
func Unquote(raw []byte) string {
	n := len(raw)
	if n < 2 || raw[0] != '"' {
		return string(raw)
	}
	if bytes.IndexByte(raw, '\\') < 0 && isPlainUTF8(raw[1:n-1]) {
		return string(raw[1 : n-1])
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return string(raw)
	}
	return s
}

// isPlainUTF8 reports whether b is ASCII, or valid UTF-8 (so that it needs no replacement).
func isPlainUTF8(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return utf8.Valid(b)
		}
	}
	return true
}

// isReservedRaw reports whether a raw JSON string is a reserved event name, without
// allocating for names that contain no escapes.
func isReservedRaw(raw []byte) bool {
	n := len(raw)
	if n < 2 || raw[0] != '"' {
		return false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return reserved[string(raw[1:n-1])]
	}
	return reserved[Unquote(raw)]
}

// EqualString reports whether the raw JSON string raw denotes s, without allocating when raw
// has no escapes.
func EqualString(raw []byte, s string) bool {
	n := len(raw)
	if n < 2 || raw[0] != '"' {
		return false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1:n-1]) == s
	}
	return Unquote(raw) == s
}
