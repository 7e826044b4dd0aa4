package redisadapter

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"
)

func TestMsgpackDecodeNotepackForms(t *testing.T) {
	for _, c := range []struct {
		hex  string
		want any
	}{
		{"00", int64(0)}, {"7f", int64(127)}, {"ff", int64(-1)}, {"e0", int64(-32)},
		{"cc80", int64(128)}, {"cd0100", int64(256)}, {"ce00011170", int64(70000)},
		{"cf0000010000000000", int64(1) << 40}, {"cfffffffffffffffff", uint64(math.MaxUint64)},
		{"d080", int64(-128)}, {"d1ff38", int64(-200)}, {"d2fffe7960", int64(-100000)},
		{"d3ffffff0000000000", -(int64(1) << 40)},
		{"ca3fc00000", 1.5}, {"cb3ff8000000000000", 1.5},
		{"c0", nil}, {"c2", false}, {"c3", true},
		{"a3616263", "abc"}, {"d903616263", "abc"}, {"da0003616263", "abc"}, {"db00000003616263", "abc"},
		{"c403010203", []byte{1, 2, 3}}, {"c50001ff", []byte{255}}, {"c600000000", []byte{}},
		{"92c0a178", []any{nil, "x"}}, {"dc0001c3", []any{true}}, {"dd00000000", []any{}},
		{"81a16101", map[string]any{"a": int64(1)}}, {"de0001a16101", map[string]any{"a": int64(1)}},
		{"81a16101", map[string]any{"a": int64(1)}},
		{"8101a178", map[string]any{"1": "x"}}, // a numeric key, as JavaScript names it
		// Dates, as in redis-adapter-protocol.md §1.2.
		{"d7ffa1a5d60065937d25", "2024-01-02T03:04:05.678Z"},
		{"d6ff65920080", "2024-01-01T00:00:00.000Z"},
		{"c70cff000000000000000065920080", "2024-01-01T00:00:00.000Z"},
		// notepack's legacy extension forms.
		{"d40000", nil},
		{"d7000000018cc251f400", "2024-01-01T00:00:00.000Z"},
		{"c70200abcd", []byte{0xab, 0xcd}},
		{"d40501", []any{int64(5), []byte{1}}},
		{"c70105ff", []any{int64(5), []byte{0xff}}},
	} {
		b, _ := hex.DecodeString(c.hex)
		got, err := unmarshalMsgpack(b)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %#v, %v; want %#v", c.hex, got, err, c.want)
		}
	}
}

func TestMsgpackDecodeRejects(t *testing.T) {
	for _, h := range []string{"", "c1", "9201", "a2", "c4", "c405", "dcffff", "ddffffffff", "dfffffffff00",
		"c9ffffffff00", "0000", "81", "cb00"} {
		b, _ := hex.DecodeString(h)
		if v, err := unmarshalMsgpack(b); err == nil {
			t.Errorf("%q decoded to %#v", h, v)
		}
	}
	deep := make([]byte, maxDepth+1)
	for i := range deep {
		deep[i] = 0x91
	}
	if _, err := unmarshalMsgpack(append(deep, 0xc0)); err == nil {
		t.Error("unbounded nesting accepted")
	}
}

func TestMsgpackEncodeLikeNotepack(t *testing.T) {
	type tagged struct {
		Name   string `json:"name"`
		Skip   string `json:"-"`
		Opt    string `json:"opt,omitempty"`
		Binary []byte `json:"bin"`
	}
	for _, c := range []struct {
		v    any
		want string
	}{
		{0, "00"}, {127, "7f"}, {128, "cc80"}, {-1, "ff"}, {-33, "d0df"}, {int64(1) << 40, "cf0000010000000000"},
		{uint8(200), "ccc8"}, {3.0, "03"}, {-0.0, "00"}, {1.5, "cb3ff8000000000000"}, {math.NaN(), "cb7ff8000000000001"},
		{float32(2), "02"}, {"é", "a2c3a9"}, {[]byte{1}, "c40101"}, {nil, "c0"}, {[]string{}, "90"},
		{tagged{Name: "n", Skip: "s", Binary: []byte{2}}, "82a46e616d65a16ea362696ec40102"},
		{json.Number("42"), "2a"}, {json.Number("0.5"), "cb3fe0000000000000"},
		{json.RawMessage(`{"a":[1,2.5]}`), "81a1619201cb4004000000000000"},
		{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "d6ff65920080"},
		{time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC), "d7ffa1a5d60065937d25"},
	} {
		n, err := normalizeArg(c.v)
		if err != nil {
			t.Fatal(err)
		}
		b, err := marshalMsgpack(n)
		if err != nil || hex.EncodeToString(b) != c.want {
			t.Errorf("%#v: %x, %v; want %s", c.v, b, err, c.want)
		}
	}
}

func TestNodeJSON(t *testing.T) {
	type point struct {
		Y int `json:"y"`
		X int `json:"x"`
	}
	for _, c := range []struct {
		v    any
		want string
	}{
		{[]any{"a<b>&", 1, 2.5, nil, true}, `["a<b>&",1,2.5,null,true]`},
		{point{1, 2}, `{"y":1,"x":2}`},
		{[]byte{1, 2}, `{"type":"Buffer","data":[1,2]}`},
		{map[string]any{"t": time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC)}, `{"t":"2024-01-02T03:04:05.678Z"}`},
		{math.Inf(1), `null`},
		{map[string]any{}, `{}`},
	} {
		got, err := nodeJSON(c.v)
		if err != nil || string(got) != c.want {
			t.Errorf("%#v: %s, %v; want %s", c.v, got, err, c.want)
		}
	}
}

func TestJSDates(t *testing.T) {
	for _, c := range []struct {
		sec, nsec int64
		want      any
	}{
		{0, 0, "1970-01-01T00:00:00.000Z"},
		{-1, 500000, "1969-12-31T23:59:59.001Z"}, // -999.5 ms truncates to -999
		{0, 999999, "1970-01-01T00:00:00.000Z"},
		{-62198755200, 0, "-000001-01-01T00:00:00.000Z"},
		{253402300800, 0, "+010000-01-01T00:00:00.000Z"},
		{8.64e12 + 10, 0, nil},
	} {
		if got := jsDate(c.sec, c.nsec); got != c.want {
			t.Errorf("jsDate(%d, %d) = %v, want %v", c.sec, c.nsec, got, c.want)
		}
	}
}
