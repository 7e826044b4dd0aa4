package sio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"unicode/utf8"
)

// Encoder appends the JSON text of Go values to a buffer, replacing every []byte it meets
// (at any depth: in maps, slices, structs, interfaces) with a placeholder
// {"_placeholder":true,"num":N} and collecting the bytes in Attachments. Values that cannot
// hold a []byte are handed to encoding/json; everything else is written by a walker that
// follows encoding/json's rules (field tags, omitempty, omitzero, embedded structs, sorted map
// keys, Marshaler and TextMarshaler types). HTML characters are not escaped, like JSON.stringify.
//
// The zero value is ready to use; an Encoder is not safe for concurrent use. Reset it before
// encoding an unrelated packet.
type Encoder struct {
	// Attachments are the []byte values met so far, in placeholder order. They alias the
	// caller's slices.
	Attachments [][]byte

	std    *json.Encoder
	stdBuf bytes.Buffer
}

// Reset forgets the attachments (keeping storage).
func (e *Encoder) Reset() {
	clear(e.Attachments)
	e.Attachments = e.Attachments[:0]
}

// ErrUnsupportedValue is wrapped when a value has no JSON form (NaN, channels, functions...).
var ErrUnsupportedValue = errors.New("sio: unsupported value")

// Append appends the JSON encoding of v to dst. On error, dst may hold a partial encoding
// past its original length.
func (e *Encoder) Append(dst []byte, v any) (out []byte, err error) {
	defer func() {
		// The reflection walker must never take the server down: a value it cannot handle
		// (or a Marshaler that panics) becomes an error of this call.
		if r := recover(); r != nil {
			out, err = dst, fmt.Errorf("%w: %v", ErrUnsupportedValue, r)
		}
	}()
	return e.appendValue(dst, v)
}

func (e *Encoder) appendValue(dst []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return AppendString(dst, v), nil
	case bool:
		return strconv.AppendBool(dst, v), nil
	case int:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(dst, v, 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case uint64:
		return strconv.AppendUint(dst, v, 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case float64:
		return appendFloat(dst, v, 64)
	case float32:
		return appendFloat(dst, float64(v), 32)
	case []byte:
		if v == nil {
			return append(dst, "null"...), nil
		}
		return e.attach(dst, v), nil
	case json.RawMessage:
		if v == nil {
			return append(dst, "null"...), nil
		}
		if !Valid(v) {
			return dst, &json.MarshalerError{Type: reflect.TypeFor[json.RawMessage](), Err: errSyntax}
		}
		return append(dst, v...), nil
	case json.Number:
		if v == "" {
			return append(dst, '0'), nil
		}
		s := scanner{data: []byte(v)}
		if end, err := s.number(0); err != nil || end != len(v) {
			return dst, &json.MarshalerError{Type: reflect.TypeFor[json.Number](), Err: errSyntax}
		}
		return append(dst, v...), nil
	case []any:
		if v == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, x := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = e.appendValue(dst, x); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case map[string]any:
		if v == nil {
			return append(dst, "null"...), nil
		}
		return e.appendStringMap(dst, v)
	case []string:
		if v == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, s := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendString(dst, s)
		}
		return append(dst, ']'), nil
	}
	rv := reflect.ValueOf(v)
	if !mayContainBinary(rv.Type()) {
		return e.appendStd(dst, v)
	}
	return e.appendReflect(dst, rv, false)
}

func (e *Encoder) attach(dst []byte, b []byte) []byte {
	dst = append(dst, `{"_placeholder":true,"num":`...)
	dst = strconv.AppendInt(dst, int64(len(e.Attachments)), 10)
	e.Attachments = append(e.Attachments, b)
	return append(dst, '}')
}

func (e *Encoder) appendStringMap(dst []byte, m map[string]any) ([]byte, error) {
	dst = append(dst, '{')
	if len(m) > 0 {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sortStrings(keys)
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendString(dst, k)
			dst = append(dst, ':')
			var err error
			if dst, err = e.appendValue(dst, m[k]); err != nil {
				return dst, err
			}
		}
	}
	return append(dst, '}'), nil
}

// appendStd encodes v with encoding/json (no HTML escaping) and appends the result.
func (e *Encoder) appendStd(dst []byte, v any) ([]byte, error) {
	if e.std == nil {
		e.std = json.NewEncoder(&e.stdBuf)
		e.std.SetEscapeHTML(false)
	}
	e.stdBuf.Reset()
	if err := e.std.Encode(v); err != nil {
		return dst, err
	}
	b := e.stdBuf.Bytes()
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	dst = append(dst, b...)
	if e.stdBuf.Cap() > 64<<10 {
		e.stdBuf = bytes.Buffer{} // do not keep a huge buffer alive in a pool
		e.std = nil
	}
	return dst, nil
}

// appendFloat formats like encoding/json (and like JavaScript for the common range).
func appendFloat(dst []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return dst, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, bits)}
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string. Like encoding/json without HTML escaping: control
// characters are escaped, invalid UTF-8 becomes U+FFFD, U+2028 and U+2029 are escaped.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// sortStrings sorts in place (insertion sort for the small maps of typical payloads).
func sortStrings(a []string) {
	if len(a) > 12 {
		sortStringsLarge(a)
		return
	}
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}
