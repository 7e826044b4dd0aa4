package sio

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
)

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

func sortStringsLarge(a []string) { slices.Sort(a) }

// hasCustomMarshal reports whether values of t (or pointers to them) marshal themselves.
func hasCustomMarshal(t reflect.Type) bool {
	if t.Kind() == reflect.Interface {
		return false
	}
	pt := reflect.PointerTo(t)
	return t.Implements(marshalerType) || t.Implements(textMarshalerType) ||
		pt.Implements(marshalerType) || pt.Implements(textMarshalerType)
}

func isByteSlice(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 && !hasCustomMarshal(t.Elem())
}

var binaryCache sync.Map // reflect.Type -> bool

// mayContainBinary reports whether a value of type t can hold a []byte that the encoder must
// turn into an attachment: a []byte itself, an interface, or a container of such.
func mayContainBinary(t reflect.Type) bool {
	if v, ok := binaryCache.Load(t); ok {
		return v.(bool)
	}
	r := computeMayContainBinary(t, map[reflect.Type]bool{})
	binaryCache.Store(t, r)
	return r
}

func computeMayContainBinary(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false // a cycle adds nothing the other members do not already report
	}
	seen[t] = true
	if hasCustomMarshal(t) {
		return false
	}
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Array, reflect.Map:
		return computeMayContainBinary(t.Elem(), seen)
	case reflect.Slice:
		return isByteSlice(t) || computeMayContainBinary(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if (f.IsExported() || f.Anonymous) && f.Tag.Get("json") != "-" {
				if computeMayContainBinary(f.Type, seen) {
					return true
				}
			}
		}
	}
	return false
}

// field is one JSON member of a struct type, found as encoding/json finds it.
type field struct {
	name      string
	key       []byte // `"name":`
	index     []int
	typ       reflect.Type
	omitEmpty bool
	omitZero  bool
	quoted    bool
	tagged    bool
}

var fieldCache sync.Map // reflect.Type -> []field

func structFields(t reflect.Type) []field {
	if v, ok := fieldCache.Load(t); ok {
		return v.([]field)
	}
	fs := computeFields(t)
	fieldCache.Store(t, fs)
	return fs
}

// computeFields follows encoding/json's typeFields: breadth-first through embedded structs,
// the shallowest field of a name wins, ties broken by a tag, else the name is dropped.
func computeFields(t reflect.Type) []field {
	type item struct {
		typ   reflect.Type
		index []int
	}
	var all []field
	current := []item{}
	next := []item{{typ: t}}
	visited := map[reflect.Type]bool{}
	for len(next) > 0 {
		current, next = next, current[:0]
		count := map[string]int{}
		var level []field
		for _, it := range current {
			if visited[it.typ] {
				continue
			}
			visited[it.typ] = true
			for i := range it.typ.NumField() {
				sf := it.typ.Field(i)
				if sf.Anonymous {
					ft := sf.Type
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validTagName(name) {
					name = ""
				}
				index := append(slices.Clip(it.index), i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if name != "" || !sf.Anonymous || ft.Kind() != reflect.Struct {
					tagged := name != ""
					if name == "" {
						name = sf.Name
					}
					f := field{
						name: name, index: index, typ: sf.Type, tagged: tagged,
						omitEmpty: hasOpt(opts, "omitempty"), omitZero: hasOpt(opts, "omitzero"),
					}
					if hasOpt(opts, "string") {
						switch sf.Type.Kind() {
						case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
							reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
							reflect.Float32, reflect.Float64, reflect.String:
							f.quoted = true
						}
					}
					f.key = append(AppendString(nil, name), ':')
					level = append(level, f)
					count[name]++
					continue
				}
				next = append(next, item{typ: ft, index: index})
			}
		}
		// Resolve names at this depth; names already set at a shallower depth win.
		taken := map[string]bool{}
		for _, f := range all {
			taken[f.name] = true
		}
		for _, f := range level {
			if taken[f.name] {
				continue
			}
			if count[f.name] == 1 {
				all = append(all, f)
				continue
			}
			// Several at this depth: exactly one tagged wins, else none.
			var winner *field
			n := 0
			for j := range level {
				if level[j].name == f.name && level[j].tagged {
					winner = &level[j]
					n++
				}
			}
			if n == 1 {
				all = append(all, *winner)
			}
			taken[f.name] = true
		}
	}
	slices.SortFunc(all, func(a, b field) int { return slices.Compare(a.index, b.index) })
	return all
}

func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case c == '\\' || c == '"' || c == '\'' || c == '`' || c == ',':
			return false
		case c < ' ':
			return false
		}
	}
	return true
}

func hasOpt(opts, name string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == name {
			return true
		}
	}
	return false
}

func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

func isZeroValue(v reflect.Value) bool {
	if z, ok := v.Interface().(interface{ IsZero() bool }); ok {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return true
		}
		return z.IsZero()
	}
	return v.IsZero()
}

// appendReflect encodes rv, which may hold []byte values to extract.
func (e *Encoder) appendReflect(dst []byte, rv reflect.Value, quoted bool) ([]byte, error) {
	if !rv.IsValid() {
		return append(dst, "null"...), nil
	}
	t := rv.Type()
	if rv.CanInterface() && hasCustomMarshal(t) {
		if rv.Kind() == reflect.Pointer && rv.IsNil() {
			return append(dst, "null"...), nil
		}
		if rv.CanAddr() && !t.Implements(marshalerType) && !t.Implements(textMarshalerType) {
			return e.appendStd(dst, rv.Addr().Interface())
		}
		return e.appendStd(dst, rv.Interface())
	}
	switch rv.Kind() {
	case reflect.Bool:
		if quoted {
			dst = append(dst, '"')
			return append(strconv.AppendBool(dst, rv.Bool()), '"'), nil
		}
		return strconv.AppendBool(dst, rv.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if quoted {
			dst = append(dst, '"')
			return append(strconv.AppendInt(dst, rv.Int(), 10), '"'), nil
		}
		return strconv.AppendInt(dst, rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if quoted {
			dst = append(dst, '"')
			return append(strconv.AppendUint(dst, rv.Uint(), 10), '"'), nil
		}
		return strconv.AppendUint(dst, rv.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		bits := 64
		if rv.Kind() == reflect.Float32 {
			bits = 32
		}
		if quoted {
			start := len(dst)
			dst, err := appendFloat(dst, rv.Float(), bits)
			if err != nil {
				return dst, err
			}
			return AppendString(dst[:start], string(dst[start:])), nil
		}
		return appendFloat(dst, rv.Float(), bits)
	case reflect.String:
		if quoted {
			return AppendString(dst, string(AppendString(nil, rv.String()))), nil
		}
		return AppendString(dst, rv.String()), nil
	case reflect.Interface:
		if rv.IsNil() {
			return append(dst, "null"...), nil
		}
		if rv.Elem().CanInterface() {
			return e.appendValue(dst, rv.Elem().Interface())
		}
		return e.appendReflect(dst, rv.Elem(), false)
	case reflect.Pointer:
		if rv.IsNil() {
			return append(dst, "null"...), nil
		}
		return e.appendReflect(dst, rv.Elem(), quoted)
	}
	if rv.CanInterface() && !mayContainBinary(t) {
		return e.appendStd(dst, rv.Interface())
	}
	switch rv.Kind() {
	case reflect.Slice:
		if rv.IsNil() {
			return append(dst, "null"...), nil
		}
		if isByteSlice(t) {
			return e.attach(dst, rv.Bytes()), nil
		}
		return e.appendList(dst, rv)
	case reflect.Array:
		return e.appendList(dst, rv)
	case reflect.Map:
		return e.appendMap(dst, rv)
	case reflect.Struct:
		return e.appendStruct(dst, rv)
	}
	return dst, fmt.Errorf("%w: %s", ErrUnsupportedValue, t)
}

func (e *Encoder) appendQuoted(dst []byte, rv reflect.Value) ([]byte, error) {
	start := len(dst)
	dst, err := e.appendStd(dst, rv.Interface())
	if err != nil {
		return dst, err
	}
	s := string(dst[start:])
	return AppendString(dst[:start], s), nil
}

func (e *Encoder) appendList(dst []byte, rv reflect.Value) ([]byte, error) {
	dst = append(dst, '[')
	for i := range rv.Len() {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = e.appendReflect(dst, rv.Index(i), false); err != nil {
			return dst, err
		}
	}
	return append(dst, ']'), nil
}

func (e *Encoder) appendMap(dst []byte, rv reflect.Value) ([]byte, error) {
	if rv.IsNil() {
		return append(dst, "null"...), nil
	}
	type kv struct {
		k string
		v reflect.Value
	}
	kvs := make([]kv, 0, rv.Len())
	it := rv.MapRange()
	for it.Next() {
		k, err := mapKey(it.Key())
		if err != nil {
			return dst, err
		}
		kvs = append(kvs, kv{k, it.Value()})
	}
	slices.SortFunc(kvs, func(a, b kv) int { return strings.Compare(a.k, b.k) })
	dst = append(dst, '{')
	for i, p := range kvs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, p.k)
		dst = append(dst, ':')
		var err error
		if dst, err = e.appendReflect(dst, p.v, false); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

func mapKey(k reflect.Value) (string, error) {
	if k.Kind() == reflect.String {
		return k.String(), nil
	}
	if tm, ok := k.Interface().(encoding.TextMarshaler); ok {
		if k.Kind() == reflect.Pointer && k.IsNil() {
			return "", nil
		}
		b, err := tm.MarshalText()
		return string(b), err
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10), nil
	}
	return "", fmt.Errorf("%w: map key type %s", ErrUnsupportedValue, k.Type())
}

func (e *Encoder) appendStruct(dst []byte, rv reflect.Value) ([]byte, error) {
	dst = append(dst, '{')
	first := true
	fields := structFields(rv.Type())
outer:
	for i := range fields {
		f := &fields[i]
		fv := rv
		for _, x := range f.index {
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue outer
				}
				fv = fv.Elem()
			}
			fv = fv.Field(x)
		}
		if f.omitEmpty && isEmptyValue(fv) || f.omitZero && isZeroValue(fv) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, f.key...)
		var err error
		if dst, err = e.appendReflect(dst, fv, f.quoted); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}
