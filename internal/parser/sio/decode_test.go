package sio

import (
	"encoding/json"
	"reflect"
	"testing"
)

// unmarshalSeeds are arguments for the fast paths of Unmarshal and for what they must leave
// to encoding/json.
var unmarshalSeeds = []string{
	`"room"`, `""`, `"caf\u00e9"`, `"tab\there"`, `"quote\"d"`, `"é ü"`, "\"\xff\xfe\"",
	`123`, `null`, `{"t":1,"p":"abc"}`, `[1,2,3]`, ` "spaced" `, ` {"a":1}`, `true`, `"a`,
	`{"a":`, "\"\x01\"", `"\/"`,
}

// unmarshalLike checks that Unmarshal decodes raw into a string and a json.RawMessage as
// encoding/json does.
func unmarshalLike(t *testing.T, raw []byte) {
	t.Helper()
	var gotS, wantS string
	errG := Unmarshal(raw, nil, nil, &gotS)
	errW := json.Unmarshal(raw, &wantS)
	if (errG == nil) != (errW == nil) || gotS != wantS {
		t.Errorf("string %q: got %q, %v; encoding/json %q, %v", raw, gotS, errG, wantS, errW)
	}
	var gotR, wantR json.RawMessage
	errG = Unmarshal(raw, nil, nil, &gotR)
	errW = json.Unmarshal(raw, &wantR)
	if (errG == nil) != (errW == nil) || !reflect.DeepEqual(gotR, wantR) {
		t.Errorf("raw %q: got %q, %v; encoding/json %q, %v", raw, gotR, errG, wantR, errW)
	}
}

func TestUnmarshalFastPathsMatchEncodingJSON(t *testing.T) {
	for _, s := range unmarshalSeeds {
		unmarshalLike(t, []byte(s))
	}
	// The copy is the caller's: the packet's buffer is reused.
	buf := []byte(`{"a":1}`)
	var r json.RawMessage
	if err := Unmarshal(buf, nil, nil, &r); err != nil {
		t.Fatal(err)
	}
	buf[1] = 'X'
	if string(r) != `{"a":1}` {
		t.Fatalf("RawMessage shares the input: %q", r)
	}
}

func FuzzUnmarshalFastPaths(f *testing.F) {
	for _, s := range unmarshalSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { unmarshalLike(t, raw) })
}
