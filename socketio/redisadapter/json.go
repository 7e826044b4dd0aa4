package redisadapter

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
)

// nodeJSON returns the JSON text that JSON.stringify would produce in Node for the value
// that v becomes there when sent through notepack: struct fields by json tag, time.Time as
// an ISO string, []byte as a serialised Buffer ({"type":"Buffer","data":[...]}), NaN and
// infinities as null. The classic adapter sends server-side emits and their acks, and the
// socket descriptions of fetchSockets, as JSON; this is how their values look on the wire.
func nodeJSON(v any) ([]byte, error) {
	tree, err := toTree(v)
	if err != nil {
		return nil, err
	}
	return marshalTree(tree)
}

// toTree returns the value that v becomes in Node once sent through notepack, as a tree of
// the decoded value types, objects as *orderedMap (struct fields keep their order).
func toTree(v any) (any, error) {
	n, err := normalizeArg(v)
	if err != nil {
		return nil, err
	}
	mp, err := marshalMsgpack(n)
	if err != nil {
		return nil, err
	}
	return unmarshalOrdered(mp)
}

// marshalTree encodes a decoded value tree (the types unmarshalMsgpack yields, or
// decodeJSONValue's) as Node's JSON.stringify does.
func marshalTree(tree any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jsonSafe(tree)); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// nodeBuffer is a []byte as JSON.stringify writes a Node Buffer.
type nodeBuffer []byte

// MarshalJSON implements json.Marshaler.
func (b nodeBuffer) MarshalJSON() ([]byte, error) {
	out := append(make([]byte, 0, 24+4*len(b)), `{"type":"Buffer","data":[`...)
	for i, c := range b {
		if i > 0 {
			out = append(out, ',')
		}
		out = strconv.AppendUint(out, uint64(c), 10)
	}
	return append(out, "]}"...), nil
}

// jsonSafe rewrites a value tree for encoding/json: []byte as nodeBuffer, non-finite
// numbers as null.
func jsonSafe(v any) any {
	switch x := v.(type) {
	case []byte:
		return nodeBuffer(x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonSafe(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonSafe(e)
		}
		return out
	}
	return v // *orderedMap applies jsonSafe to its values itself
}

// jsonObject writes a JSON object with its keys in a chosen order (Node's, so that what Go
// publishes is byte for byte what Node publishes).
type jsonObject struct {
	b   []byte
	err error
}

func newJSONObject() *jsonObject { return &jsonObject{b: []byte{'{'}} }

func (o *jsonObject) key(k string) {
	if len(o.b) > 1 {
		o.b = append(o.b, ',')
	}
	o.b = strconv.AppendQuote(o.b, k) // keys are fixed ASCII names
	o.b = append(o.b, ':')
}

func (o *jsonObject) str(k, v string) *jsonObject {
	o.key(k)
	s, err := marshalTree(v)
	o.setErr(err)
	o.b = append(o.b, s...)
	return o
}

func (o *jsonObject) int(k string, v int64) *jsonObject {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
	return o
}

func (o *jsonObject) bool(k string, v bool) *jsonObject {
	o.key(k)
	o.b = strconv.AppendBool(o.b, v)
	return o
}

func (o *jsonObject) strs(k string, v []string) *jsonObject {
	if v == nil {
		v = []string{}
	}
	o.key(k)
	s, err := marshalTree(v)
	o.setErr(err)
	o.b = append(o.b, s...)
	return o
}

func (o *jsonObject) raw(k string, raw []byte) *jsonObject {
	o.key(k)
	o.b = append(o.b, raw...)
	return o
}

// value writes a user value as Node would (nodeJSON).
func (o *jsonObject) value(k string, v any) *jsonObject {
	raw, err := nodeJSON(v)
	o.setErr(err)
	return o.raw(k, raw)
}

func (o *jsonObject) setErr(err error) {
	if err != nil && o.err == nil {
		o.err = err
	}
}

func (o *jsonObject) bytes() ([]byte, error) {
	if o.err != nil {
		return nil, o.err
	}
	return append(o.b, '}'), nil
}
