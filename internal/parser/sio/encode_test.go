package sio

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"
)

func stdJSON(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

type Inner struct {
	A int    `json:"a"`
	B string `json:"b,omitempty"`
}

type Embedded struct {
	E1 string
	E2 int `json:"e2"`
}

type withAny struct {
	Embedded
	Name    string            `json:"name"`
	Skip    string            `json:"-"`
	Empty   string            `json:",omitempty"`
	Zero    time.Time         `json:"zero,omitzero"`
	When    time.Time         `json:"when"`
	Any     any               `json:"any"`
	Ptr     *Inner            `json:"ptr"`
	NilPtr  *Inner            `json:"nilPtr"`
	List    []any             `json:"list"`
	M       map[string]any    `json:"m"`
	IntKeys map[int]any       `json:"intKeys"`
	Quoted  int               `json:"quoted,string"`
	Raw     json.RawMessage   `json:"raw"`
	Inners  []Inner           `json:"inners"`
	Strs    map[string]string `json:"strs"`
	Float   float64           `json:"float"`
	private int
}

func TestEncoderMatchesEncodingJSON(t *testing.T) {
	when := time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC)
	values := []any{
		nil, true, false, 0, -1, 42, int64(-1 << 60), uint64(1 << 63), 1.5, -0.25, 1e21, 1e-7, 123456789.0, float32(0.1),
		"", "plain", "quote\" back\\ nl\n tab\t ctl\x01 <html>&", "ünïcødé ✓ 🎉", "bad\xffutf8", "line\u2028sep\u2029",
		[]any{}, []any{1, "two", nil, map[string]any{"three": 3.0}}, map[string]any{}, map[string]any{"b": 1, "a": []any{true}},
		[]string{"x", "y"}, []string(nil), map[string]any(nil), json.RawMessage(`{"pre":"encoded"}`), json.Number("12.5"),
		Inner{A: 1}, &Inner{A: 2, B: "x"}, []Inner{{A: 3}}, map[string]Inner{"k": {A: 4}},
		withAny{
			Embedded: Embedded{E1: "e1", E2: 2}, Name: "n", Skip: "s", When: when, Any: map[string]any{"x": []any{1.0}},
			Ptr: &Inner{A: 5}, List: []any{"l", Inner{A: 6}}, M: map[string]any{"z": 1, "y": nil},
			IntKeys: map[int]any{10: "ten", 2: "two"}, Quoted: 7, Raw: json.RawMessage(`[1,2]`), Inners: []Inner{{A: 8}},
			Strs: map[string]string{"k": "v"}, Float: 2.5, private: 9,
		},
		map[string]any{"nested": withAny{Any: "x"}},
		[3]int{1, 2, 3},
		when,
	}
	for _, v := range values {
		var e Encoder
		got, err := e.Append(nil, v)
		if err != nil {
			t.Errorf("%#v: %v", v, err)
			continue
		}
		if want := stdJSON(t, v); string(got) != want {
			t.Errorf("%T:\n got %s\nwant %s", v, got, want)
		}
		if len(e.Attachments) != 0 {
			t.Errorf("%T: unexpected attachments", v)
		}
	}
}

type binStruct struct {
	Name  string         `json:"name"`
	Data  []byte         `json:"data"`
	Nil   []byte         `json:"nil"`
	Opt   []byte         `json:"opt,omitempty"`
	Deep  map[string]any `json:"deep"`
	Inner *binInner      `json:"inner"`
}

type binInner struct {
	Blobs [][]byte `json:"blobs"`
	Any   any      `json:"any"`
}

func TestEncoderExtractsBinary(t *testing.T) {
	b0, b1, b2, b3, b4 := []byte{1, 2, 3}, []byte{4}, []byte{}, []byte{5, 6}, []byte{7}
	v := []any{
		"ev",
		b0,
		map[string]any{"inner": b1, "n": 1},
		binStruct{Name: "s", Data: b2, Deep: map[string]any{"list": []any{b3}}, Inner: &binInner{Blobs: [][]byte{b4}, Any: nil}},
	}
	var e Encoder
	got, err := e.Append(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	want := `["ev",{"_placeholder":true,"num":0},{"inner":{"_placeholder":true,"num":1},"n":1},` +
		`{"name":"s","data":{"_placeholder":true,"num":2},"nil":null,"deep":{"list":[{"_placeholder":true,"num":3}]},` +
		`"inner":{"blobs":[{"_placeholder":true,"num":4}],"any":null}}]`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	wantAtts := [][]byte{b0, b1, b2, b3, b4}
	if !reflect.DeepEqual(e.Attachments, wantAtts) {
		t.Fatalf("attachments %v", e.Attachments)
	}
	e.Reset()
	if len(e.Attachments) != 0 {
		t.Fatal("Reset kept attachments")
	}
}

func TestEncoderErrors(t *testing.T) {
	for _, v := range []any{math.NaN(), math.Inf(1), make(chan int), func() {}, json.RawMessage(`{bad`),
		map[string]any{"f": func() {}}, []any{math.NaN()}, json.Number("1x")} {
		var e Encoder
		if out, err := e.Append(nil, v); err == nil {
			t.Errorf("%T: no error, got %s", v, out)
		}
	}
	var e Encoder
	type ch struct{ C chan int }
	_, err := e.Append(nil, []any{ch{}})
	if err == nil {
		t.Fatal("channel field encoded")
	}
	_ = errors.Is(err, ErrUnsupportedValue)
}

type panicky struct{}

func (panicky) MarshalJSON() ([]byte, error) { panic("boom") }

func TestEncoderRecoversPanics(t *testing.T) {
	var e Encoder
	if _, err := e.Append(nil, map[string]any{"p": panicky{}}); !errors.Is(err, ErrUnsupportedValue) {
		t.Fatalf("err = %v", err)
	}
}

func TestAppendStringMatchesStd(t *testing.T) {
	for _, s := range []string{"", "a", "\x00\x1f\x7f", "é", "\xed\xa0\x80", "\u2028", "emoji 😀", "</script>"} {
		if got, want := string(AppendString(nil, s)), stdJSON(t, s); got != want {
			t.Errorf("%q: %s want %s", s, got, want)
		}
	}
}
