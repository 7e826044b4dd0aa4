package sio

import "errors"

// maxDepth bounds the nesting of JSON arrays and objects the scanner accepts, so that a
// hostile payload cannot exhaust the stack. encoding/json uses the same limit.
const maxDepth = 10000

var (
	errSyntax   = errors.New("sio: invalid JSON")
	errTooDeep  = errors.New("sio: JSON nested too deeply")
	errNotArray = errors.New("sio: payload is not a JSON array")
)

// scanner validates JSON and finds the boundaries of values without building them.
type scanner struct {
	data  []byte
	depth int
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *scanner) skipSpace(i int) int {
	for i < len(s.data) && isSpace(s.data[i]) {
		i++
	}
	return i
}

// value returns the index just past the JSON value that starts at i (no leading space).
func (s *scanner) value(i int) (int, error) {
	if i >= len(s.data) {
		return 0, errSyntax
	}
	switch c := s.data[i]; {
	case c == '"':
		return s.str(i)
	case c == '{':
		return s.object(i)
	case c == '[':
		return s.array(i)
	case c == 't':
		return s.literal(i, "true")
	case c == 'f':
		return s.literal(i, "false")
	case c == 'n':
		return s.literal(i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number(i)
	}
	return 0, errSyntax
}

func (s *scanner) literal(i int, lit string) (int, error) {
	if len(s.data)-i < len(lit) || string(s.data[i:i+len(lit)]) != lit {
		return 0, errSyntax
	}
	return i + len(lit), nil
}

// str returns the index past the string starting at i (s.data[i] == '"').
func (s *scanner) str(i int) (int, error) {
	i++
	for i < len(s.data) {
		c := s.data[i]
		switch {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			if i+1 >= len(s.data) {
				return 0, errSyntax
			}
			switch s.data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s.data) {
					return 0, errSyntax
				}
				for _, h := range s.data[i+2 : i+6] {
					if !isHex(h) {
						return 0, errSyntax
					}
				}
				i += 6
			default:
				return 0, errSyntax
			}
		case c < 0x20:
			return 0, errSyntax
		default:
			i++
		}
	}
	return 0, errSyntax
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number returns the index past the number starting at i, following the JSON grammar.
func (s *scanner) number(i int) (int, error) {
	d := s.data
	if d[i] == '-' {
		i++
	}
	if i >= len(d) {
		return 0, errSyntax
	}
	if d[i] == '0' {
		i++
	} else if isDigit(d[i]) {
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	} else {
		return 0, errSyntax
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || !isDigit(d[i]) {
			return 0, errSyntax
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !isDigit(d[i]) {
			return 0, errSyntax
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	return i, nil
}

func (s *scanner) enter() error {
	s.depth++
	if s.depth > maxDepth {
		return errTooDeep
	}
	return nil
}

func (s *scanner) array(i int) (int, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer func() { s.depth-- }()
	i = s.skipSpace(i + 1)
	if i < len(s.data) && s.data[i] == ']' {
		return i + 1, nil
	}
	for {
		end, err := s.value(i)
		if err != nil {
			return 0, err
		}
		i = s.skipSpace(end)
		if i >= len(s.data) {
			return 0, errSyntax
		}
		switch s.data[i] {
		case ',':
			i = s.skipSpace(i + 1)
		case ']':
			return i + 1, nil
		default:
			return 0, errSyntax
		}
	}
}

func (s *scanner) object(i int) (int, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer func() { s.depth-- }()
	i = s.skipSpace(i + 1)
	if i < len(s.data) && s.data[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(s.data) || s.data[i] != '"' {
			return 0, errSyntax
		}
		end, err := s.str(i)
		if err != nil {
			return 0, err
		}
		i = s.skipSpace(end)
		if i >= len(s.data) || s.data[i] != ':' {
			return 0, errSyntax
		}
		i = s.skipSpace(i + 1)
		if end, err = s.value(i); err != nil {
			return 0, err
		}
		i = s.skipSpace(end)
		if i >= len(s.data) {
			return 0, errSyntax
		}
		switch s.data[i] {
		case ',':
			i = s.skipSpace(i + 1)
		case '}':
			return i + 1, nil
		default:
			return 0, errSyntax
		}
	}
}

// Valid reports whether data is exactly one JSON value (surrounding spaces allowed).
func Valid(data []byte) bool {
	s := scanner{data: data}
	i := s.skipSpace(0)
	end, err := s.value(i)
	return err == nil && s.skipSpace(end) == len(data)
}

// SplitArray validates that data is one JSON array and appends the raw text of each of its
// elements to dst (sub-slices of data, no copies).
func SplitArray(dst [][]byte, data []byte) ([][]byte, error) {
	s := scanner{data: data}
	i := s.skipSpace(0)
	if i >= len(data) || data[i] != '[' {
		return dst, errNotArray
	}
	s.depth = 1
	i = s.skipSpace(i + 1)
	if i < len(data) && data[i] == ']' {
		if s.skipSpace(i+1) != len(data) {
			return dst, errSyntax
		}
		return dst, nil
	}
	for {
		end, err := s.value(i)
		if err != nil {
			return dst, err
		}
		dst = append(dst, data[i:end])
		i = s.skipSpace(end)
		if i >= len(data) {
			return dst, errSyntax
		}
		switch data[i] {
		case ',':
			i = s.skipSpace(i + 1)
		case ']':
			if s.skipSpace(i+1) != len(data) {
				return dst, errSyntax
			}
			return dst, nil
		default:
			return dst, errSyntax
		}
	}
}

// kind returns the first significant byte of a JSON value ('"', '{', '[', 't', 'f', 'n',
// or a digit/'-' for numbers), or 0 for empty input.
func kind(data []byte) byte {
	for _, c := range data {
		if !isSpace(c) {
			return c
		}
	}
	return 0
}
