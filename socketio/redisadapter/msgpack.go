package redisadapter

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// The MessagePack profile of Node's notepack.io (see redis-adapter-protocol.md §1.2).
//
// Encoding goes through github.com/vmihailenco/msgpack, configured so that its output is what
// notepack writes for the equivalent JavaScript value: json tag names for struct fields,
// smallest integer widths, integral floats as integers, []byte as bin, time.Time as the
// timestamp extension. Decoding uses the small decoder below, which accepts everything
// notepack accepts (its legacy extension forms included), rejects trailing bytes like
// notepack, never allocates more than the input can fill, and yields only the types the
// rest of the package handles: nil, bool, int64, uint64 (above MaxInt64 only), float64,
// string, []byte, []any, map[string]any. Timestamps become the string a Node server would
// send its clients for the Date (Date.prototype.toISOString).

// maxDepth bounds the nesting of decoded values.
const maxDepth = 1000

var (
	errTruncated = errors.New("msgpack: unexpected end of data")
	errTooDeep   = errors.New("msgpack: nesting too deep")
)

// marshalMsgpack encodes v as notepack.io would encode the equivalent JavaScript value.
func marshalMsgpack(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.SetCustomStructTag("json")
	enc.UseCompactInts(true)
	enc.UseCompactFloats(true)
	enc.SetSortMapKeys(true)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("redisadapter: encoding MessagePack: %w", err)
	}
	return buf.Bytes(), nil
}

// normalizeArg prepares a user value for marshalMsgpack: the generic JSON containers are
// walked and json.Number, json.RawMessage and other json.Marshaler values are turned into
// the plain values they stand for (msgpack would otherwise see a string or bytes).
func normalizeArg(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, []byte, time.Time, int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64, float64:
		return v, nil
	case float32:
		return float64(x), nil
	case json.Number:
		return numberValue(x), nil
	case json.RawMessage:
		return decodeJSONValue(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			n, err := normalizeArg(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, err := normalizeArg(e)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case msgpack.CustomEncoder, msgpack.Marshaler:
		return v, nil
	case json.Marshaler:
		raw, err := x.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("redisadapter: %T.MarshalJSON: %w", v, err)
		}
		return decodeJSONValue(raw)
	}
	return v, nil
}

// normalizeArgs applies normalizeArg to each value.
func normalizeArgs(args []any) ([]any, error) {
	out := make([]any, len(args))
	for i, a := range args {
		n, err := normalizeArg(a)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// numberValue turns a JSON number into int64 when it is an integer that fits, else float64.
func numberValue(n json.Number) any {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return string(n)
	}
	return f
}

// decodeJSONValue decodes JSON text into the package's generic value types (numbers become
// int64 or float64).
func decodeJSONValue(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("redisadapter: trailing data after JSON value")
	}
	return fixNumbers(v), nil
}

// fixNumbers replaces json.Number values in a decoded JSON tree.
func fixNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		return numberValue(x)
	case []any:
		for i, e := range x {
			x[i] = fixNumbers(e)
		}
	case map[string]any:
		for k, e := range x {
			x[k] = fixNumbers(e)
		}
	}
	return v
}

// unmarshalMsgpack decodes one MessagePack value that must span all of b.
func unmarshalMsgpack(b []byte) (any, error) {
	d := mpDecoder{b: b}
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	if d.off != len(b) {
		return nil, fmt.Errorf("msgpack: %d trailing bytes", len(b)-d.off)
	}
	return v, nil
}

type mpDecoder struct {
	b     []byte
	off   int
	depth int
	// ordered makes maps decode as *orderedMap, keeping the sender's key order.
	ordered bool
}

// unmarshalOrdered is unmarshalMsgpack with maps decoded as *orderedMap.
func unmarshalOrdered(b []byte) (any, error) {
	d := mpDecoder{b: b, ordered: true}
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	if d.off != len(b) {
		return nil, fmt.Errorf("msgpack: %d trailing bytes", len(b)-d.off)
	}
	return v, nil
}

// orderedMap is a JavaScript object with its keys in insertion order.
type orderedMap struct {
	keys []string
	vals map[string]any
}

func (m *orderedMap) set(k string, v any) {
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

// MarshalJSON implements json.Marshaler, keys in order, values as jsonSafe makes them.
func (m *orderedMap) MarshalJSON() ([]byte, error) {
	o := newJSONObject()
	for _, k := range m.keys {
		o.key(k)
		raw, err := marshalTree(m.vals[k])
		o.setErr(err)
		o.b = append(o.b, raw...)
	}
	return o.bytes()
}

// EncodeMsgpack implements msgpack.CustomEncoder, keys in order.
func (m *orderedMap) EncodeMsgpack(enc *msgpack.Encoder) error {
	if err := enc.EncodeMapLen(len(m.keys)); err != nil {
		return err
	}
	for _, k := range m.keys {
		if err := enc.EncodeString(k); err != nil {
			return err
		}
		if err := enc.Encode(m.vals[k]); err != nil {
			return err
		}
	}
	return nil
}

func (d *mpDecoder) take(n int) ([]byte, error) {
	if n < 0 || len(d.b)-d.off < n {
		return nil, errTruncated
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p, nil
}

func (d *mpDecoder) uint(n int) (uint64, error) {
	p, err := d.take(n)
	if err != nil {
		return 0, err
	}
	var u uint64
	for _, c := range p {
		u = u<<8 | uint64(c)
	}
	return u, nil
}

func (d *mpDecoder) value() (any, error) {
	p, err := d.take(1)
	if err != nil {
		return nil, err
	}
	c := p[0]
	switch {
	case c <= 0x7f:
		return int64(c), nil
	case c <= 0x8f:
		return d.mapOf(int(c & 0x0f))
	case c <= 0x9f:
		return d.array(int(c & 0x0f))
	case c <= 0xbf:
		return d.str(int(c & 0x1f))
	case c >= 0xe0:
		return int64(int8(c)), nil
	}
	switch c {
	case 0xc0:
		return nil, nil
	case 0xc2:
		return false, nil
	case 0xc3:
		return true, nil
	case 0xc4, 0xc5, 0xc6:
		n, err := d.uint(1 << (c - 0xc4))
		if err != nil {
			return nil, err
		}
		return d.bin(n)
	case 0xc7, 0xc8, 0xc9:
		n, err := d.uint(1 << (c - 0xc7))
		if err != nil {
			return nil, err
		}
		return d.ext(n, false)
	case 0xca:
		u, err := d.uint(4)
		return float64(math.Float32frombits(uint32(u))), err
	case 0xcb:
		u, err := d.uint(8)
		return math.Float64frombits(u), err
	case 0xcc, 0xcd, 0xce, 0xcf:
		u, err := d.uint(1 << (c - 0xcc))
		if err != nil {
			return nil, err
		}
		if u > math.MaxInt64 {
			return u, nil
		}
		return int64(u), nil
	case 0xd0, 0xd1, 0xd2, 0xd3:
		size := 1 << (c - 0xd0)
		u, err := d.uint(size)
		if err != nil {
			return nil, err
		}
		shift := 64 - 8*size
		return int64(u<<shift) >> shift, nil
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		return d.ext(uint64(1)<<(c-0xd4), true)
	case 0xd9, 0xda, 0xdb:
		n, err := d.uint(1 << (c - 0xd9))
		if err != nil {
			return nil, err
		}
		if n > uint64(len(d.b)) {
			return nil, errTruncated
		}
		return d.str(int(n))
	case 0xdc, 0xdd:
		n, err := d.uint(2 << (c - 0xdc))
		if err != nil {
			return nil, err
		}
		if n > uint64(len(d.b)) {
			return nil, errTruncated
		}
		return d.array(int(n))
	case 0xde, 0xdf:
		n, err := d.uint(2 << (c - 0xde))
		if err != nil {
			return nil, err
		}
		if n > uint64(len(d.b)) {
			return nil, errTruncated
		}
		return d.mapOf(int(n))
	}
	return nil, fmt.Errorf("msgpack: invalid code %#x", c)
}

func (d *mpDecoder) str(n int) (any, error) {
	p, err := d.take(n)
	if err != nil {
		return nil, err
	}
	return strings.ToValidUTF8(string(p), "\uFFFD"), nil
}

func (d *mpDecoder) bin(n uint64) (any, error) {
	if n > uint64(len(d.b)) {
		return nil, errTruncated
	}
	p, err := d.take(int(n))
	if err != nil {
		return nil, err
	}
	return bytes.Clone(p), nil
}

func (d *mpDecoder) array(n int) (any, error) {
	if n > len(d.b)-d.off {
		return nil, errTruncated
	}
	if d.depth++; d.depth > maxDepth {
		return nil, errTooDeep
	}
	defer func() { d.depth-- }()
	out := make([]any, n)
	for i := range out {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (d *mpDecoder) mapOf(n int) (any, error) {
	if n > (len(d.b)-d.off)/2 {
		return nil, errTruncated
	}
	if d.depth++; d.depth > maxDepth {
		return nil, errTooDeep
	}
	defer func() { d.depth-- }()
	out := make(map[string]any, n)
	var om *orderedMap
	if d.ordered {
		om = &orderedMap{keys: make([]string, 0, n), vals: out}
	}
	for range n {
		k, err := d.value()
		if err != nil {
			return nil, err
		}
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		if om != nil {
			om.set(jsKey(k), v)
		} else {
			out[jsKey(k)] = v
		}
	}
	if om != nil {
		return om, nil
	}
	return out, nil
}

// ext decodes an extension value of n data bytes as notepack does; fixext tells the fixext
// forms (d4..d8) from ext8/16/32 (c7..c9).
func (d *mpDecoder) ext(n uint64, fixext bool) (any, error) {
	if n > uint64(len(d.b)) {
		return nil, errTruncated
	}
	tp, err := d.take(1)
	if err != nil {
		return nil, err
	}
	typ := int8(tp[0])
	p, err := d.take(int(n))
	if err != nil {
		return nil, err
	}
	switch {
	case typ == 0 && !fixext: // notepack's legacy ArrayBuffer
		return bytes.Clone(p), nil
	case typ == 0 && n == 1: // notepack's legacy undefined
		return nil, nil
	case typ == 0 && n == 8: // notepack's legacy Date: int64 milliseconds
		return jsISOString(int64(binary.BigEndian.Uint64(p)), true), nil
	case typ == -1 && fixext && n == 4:
		return jsDate(int64(binary.BigEndian.Uint32(p)), 0), nil
	case typ == -1 && fixext && n == 8:
		u := binary.BigEndian.Uint64(p)
		return jsDate(int64(u&(1<<34-1)), int64(u>>34)), nil
	case typ == -1 && !fixext && n == 12:
		return jsDate(int64(binary.BigEndian.Uint64(p[4:])), int64(binary.BigEndian.Uint32(p))), nil
	}
	return []any{int64(typ), bytes.Clone(p)}, nil
}

// maxDateMs is the range of a JavaScript Date, in milliseconds either side of the epoch.
const maxDateMs = 8.64e15

// jsDate returns what a Node server sends its clients for a MessagePack timestamp: the ISO
// string of new Date(sec*1e3 + nsec/1e6), or nil for an invalid Date.
func jsDate(sec, nsec int64) any {
	if sec > maxDateMs/1000+1 || sec < -maxDateMs/1000-1 {
		return nil
	}
	ms := sec*1000 + nsec/1e6
	if ms < 0 && nsec%1e6 != 0 { // JavaScript truncates the fractional millisecond towards zero
		ms++
	}
	return jsISOString(ms, true)
}

// jsISOString formats milliseconds since the epoch like Date.prototype.toISOString, or
// returns nil (JSON.stringify's null) when out of a Date's range and nilOutOfRange is set.
func jsISOString(ms int64, nilOutOfRange bool) any {
	if ms > maxDateMs || ms < -maxDateMs {
		if nilOutOfRange {
			return nil
		}
	}
	t := time.UnixMilli(ms).UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return fmt.Sprintf("%+07d", y) + t.Format("-01-02T15:04:05.000Z")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

// jsKey converts a decoded map key to the property name JavaScript would use.
func jsKey(k any) string {
	switch x := k.(type) {
	case string:
		return x
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return jsNumber(x)
	case []byte:
		return strings.ToValidUTF8(string(x), "\uFFFD")
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			if e != nil {
				parts[i] = jsKey(e)
			}
		}
		return strings.Join(parts, ",")
	}
	return "[object Object]"
}

// jsNumber formats a float64 as JavaScript's Number.prototype.toString does for the usual
// ranges (ES6 formatting, as encoding/json uses).
func jsNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	b, _ := json.Marshal(f)
	return string(b)
}
