package sio

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"unicode/utf8"
)

var bytesType = reflect.TypeFor[[]byte]()

// Unmarshal decodes one argument's raw JSON into dst (a non-nil pointer) like json.Unmarshal,
// with its placeholders standing for atts: a []byte destination receives the attachment, and
// so does an interface destination (as []byte) reached through maps, slices, struct fields
// and pointers. Any other destination of a placeholder receives the base64 text.
func Unmarshal(raw []byte, refs []Placeholder, atts [][]byte, dst any) error {
	if len(refs) == 0 {
		if unmarshalFast(raw, dst) {
			return nil
		}
		return json.Unmarshal(raw, dst)
	}
	// The whole argument is one attachment: hand it over without a copy.
	if len(refs) == 1 && len(refs[0].Path) == 0 {
		switch d := dst.(type) {
		case *[]byte:
			*d = atts[refs[0].Num]
			return nil
		case *any:
			*d = atts[refs[0].Num]
			return nil
		}
	}
	// Rewrite placeholders as base64 strings, which encoding/json decodes into []byte, then
	// put the attachments themselves where an interface received the string.
	size := len(raw)
	for _, r := range refs {
		size += base64.StdEncoding.EncodedLen(len(atts[r.Num])) + 2
	}
	buf := make([]byte, 0, size)
	last := 0
	for _, r := range refs {
		buf = append(buf, raw[last:r.Start]...)
		buf = append(buf, '"')
		buf = base64.StdEncoding.AppendEncode(buf, atts[r.Num])
		buf = append(buf, '"')
		last = r.End
	}
	buf = append(buf, raw[last:]...)
	if err := json.Unmarshal(buf, dst); err != nil {
		return err
	}
	root := reflect.ValueOf(dst)
	if root.Kind() != reflect.Pointer || root.IsNil() {
		return nil
	}
	for _, r := range refs {
		fixup(root.Elem(), r.Path, atts[r.Num])
	}
	return nil
}

// fixup walks from v along path and stores b where an interface holds the base64 string that
// stood for it, or where a []byte holds the decoded copy.
func fixup(v reflect.Value, path []PathElem, b []byte) {
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() || !v.CanSet() {
			return
		}
		inner := v.Elem()
		if len(path) == 0 {
			if inner.Kind() == reflect.String && bytesType.AssignableTo(v.Type()) {
				v.Set(reflect.ValueOf(b))
			}
			return
		}
		cp := reflect.New(inner.Type()).Elem()
		cp.Set(inner)
		fixup(cp, path, b)
		v.Set(cp)
		return
	case reflect.Pointer:
		if !v.IsNil() {
			fixup(v.Elem(), path, b)
		}
		return
	}
	if len(path) == 0 {
		if v.Type() == bytesType && v.CanSet() {
			v.SetBytes(b)
		}
		return
	}
	pe := path[0]
	switch v.Kind() {
	case reflect.Struct:
		if pe.Key == nil {
			return
		}
		fv, ok := fieldByJSONName(v, Unquote(pe.Key))
		if ok {
			fixup(fv, path[1:], b)
		}
	case reflect.Map:
		if pe.Key == nil || v.IsNil() || v.Type().Key().Kind() != reflect.String {
			return
		}
		mk := reflect.ValueOf(Unquote(pe.Key)).Convert(v.Type().Key())
		ev := v.MapIndex(mk)
		if !ev.IsValid() {
			return
		}
		cp := reflect.New(ev.Type()).Elem()
		cp.Set(ev)
		fixup(cp, path[1:], b)
		v.SetMapIndex(mk, cp)
	case reflect.Slice, reflect.Array:
		if pe.Key != nil || pe.Index >= v.Len() {
			return
		}
		fixup(v.Index(pe.Index), path[1:], b)
	}
}

// fieldByJSONName finds the struct field encoding/json would decode the member name into:
// an exact match first, then a case-insensitive one.
func fieldByJSONName(v reflect.Value, name string) (reflect.Value, bool) {
	fields := structFields(v.Type())
	var f *field
	for i := range fields {
		if fields[i].name == name {
			f = &fields[i]
			break
		}
	}
	if f == nil {
		for i := range fields {
			if strings.EqualFold(fields[i].name, name) {
				f = &fields[i]
				break
			}
		}
	}
	if f == nil {
		return reflect.Value{}, false
	}
	for _, x := range f.index {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// unmarshalFast decodes the commonest destinations of an argument that the packet's scan has
// validated, without encoding/json: a json.RawMessage (a copy of the text) and a string with
// no escapes. It reports false for anything else, which json.Unmarshal then decodes.
func unmarshalFast(raw []byte, dst any) bool {
	switch d := dst.(type) {
	case *json.RawMessage:
		if len(raw) == 0 || isSpace(raw[0]) || isSpace(raw[len(raw)-1]) || !Valid(raw) {
			return false
		}
		*d = append((*d)[:0], raw...)
		return true
	case *string:
		if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
			return false
		}
		body := raw[1 : len(raw)-1]
		for _, c := range body {
			if c == '\\' || c == '"' || c < 0x20 {
				return false
			}
		}
		if !utf8.Valid(body) {
			return false
		}
		*d = string(body)
		return true
	}
	return false
}
