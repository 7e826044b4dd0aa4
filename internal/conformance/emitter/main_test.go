package main

import (
	"bytes"
	"reflect"
	"testing"
)

func TestDecodeArgBinaryAndIntegers(t *testing.T) {
	got, err := decodeArg([]byte(`{"a":[{"$binary":"AAH/"}],"n":1099511627776,"f":0.5,"$binary":1}`))
	if err != nil {
		t.Fatal(err)
	}
	m := got.(map[string]any)
	if b := m["a"].([]any)[0].([]byte); !bytes.Equal(b, []byte{0, 1, 255}) {
		t.Errorf("nested binary %v", b)
	}
	if m["n"] != int64(1)<<40 || m["f"] != 0.5 || m["$binary"] != int64(1) {
		t.Errorf("%#v", m)
	}
	top, err := decodeArg([]byte(`{"$binary":""}`))
	if err != nil || !reflect.DeepEqual(top, []byte{}) {
		t.Errorf("top-level binary %#v %v", top, err)
	}
	if _, err := decodeArg([]byte(`{"$binary":5}`)); err == nil {
		t.Error("non-string $binary accepted")
	}
}
