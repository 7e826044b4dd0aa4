package sio

import (
	"slices"
)

// Default limits of a Decoder.
const (
	DefaultMaxAttachments     = 256
	DefaultMaxAttachmentBytes = 16 << 20
)

var (
	errUnexpectedBinary = invalid("binary message while not reconstructing a packet")
	errUnexpectedText   = invalid("text message while reconstructing a packet")
	errTooMany          = invalid("too many attachments")
	errTooBig           = invalid("attachments too large")
	errPlaceholder      = invalid("illegal attachments")
)

// PathElem is one step from an argument's root to a placeholder: an object member (Key holds
// the raw JSON of the member name, quotes included) or an array element (Key nil, Index).
type PathElem struct {
	Key   []byte
	Index int
}

// Placeholder locates one {"_placeholder":true,"num":N} object in an argument.
type Placeholder struct {
	// Start and End delimit the placeholder object in the argument's raw JSON.
	Start, End int
	// Num is the attachment's index.
	Num int
	// Path leads from the argument's root to the placeholder.
	Path []PathElem
}

// Binary is what a binary packet brought besides its JSON: the attachments, and where each
// argument refers to them.
type Binary struct {
	Attachments [][]byte
	// Refs[i] lists the placeholders of argument i (nil when it has none).
	Refs [][]Placeholder
}

// Decoder turns a session's messages into complete packets, gathering the attachments of
// binary packets. It is used by one goroutine (the session's reader).
type Decoder struct {
	// MaxAttachments caps the count a binary packet may announce (0: DefaultMaxAttachments).
	MaxAttachments int
	// MaxAttachmentBytes caps the total size of one packet's attachments
	// (0: DefaultMaxAttachmentBytes).
	MaxAttachmentBytes int

	pkt     Packet
	atts    [][]byte
	size    int
	pending bool
}

// Reset drops a packet under reconstruction.
func (d *Decoder) Reset() {
	d.pending = false
	clear(d.atts)
	d.atts = d.atts[:0]
	d.size = 0
}

// Add feeds one message. It returns a non-nil packet when one is complete (with bin non-nil
// for binary packets). The packet's Args storage is reused by the next Add: copy what must
// outlive it. On error the decoder is reset; the connection should be closed, as the
// reference implementation does.
func (d *Decoder) Add(data []byte, binary bool) (p *Packet, bin *Binary, err error) {
	if binary {
		if !d.pending {
			return nil, nil, errUnexpectedBinary
		}
		d.size += len(data)
		max := d.MaxAttachmentBytes
		if max <= 0 {
			max = DefaultMaxAttachmentBytes
		}
		if d.size > max {
			d.Reset()
			return nil, nil, errTooBig
		}
		d.atts = append(d.atts, data)
		if len(d.atts) < d.pkt.Attachments {
			return nil, nil, nil
		}
		return d.finish()
	}
	if d.pending {
		d.Reset()
		return nil, nil, errUnexpectedText
	}
	if err := Decode(&d.pkt, data); err != nil {
		return nil, nil, err
	}
	if !d.pkt.Type.IsBinary() {
		return &d.pkt, nil, nil
	}
	max := d.MaxAttachments
	if max <= 0 {
		max = DefaultMaxAttachments
	}
	if d.pkt.Attachments > max {
		return nil, nil, errTooMany
	}
	if d.pkt.Attachments == 0 {
		return d.finish()
	}
	d.pending = true
	return nil, nil, nil
}

func (d *Decoder) finish() (*Packet, *Binary, error) {
	atts := slices.Clone(d.atts)
	d.Reset()
	bin, err := Reconstruct(d.pkt.Args, atts)
	if err != nil {
		return nil, nil, err
	}
	return &d.pkt, bin, nil
}

// Reconstruct locates the placeholders of each argument and checks that every one of them
// names an existing attachment.
func Reconstruct(args [][]byte, atts [][]byte) (*Binary, error) {
	bin := &Binary{Attachments: atts}
	for i, a := range args {
		refs, err := FindPlaceholders(a, len(atts))
		if err != nil {
			return nil, err
		}
		if refs != nil {
			if bin.Refs == nil {
				bin.Refs = make([][]Placeholder, len(args))
			}
			bin.Refs[i] = refs
		}
	}
	return bin, nil
}

// FindPlaceholders returns the placeholders of one argument's raw JSON (already valid JSON)
// and fails when one has no integer num in [0, n).
func FindPlaceholders(raw []byte, n int) ([]Placeholder, error) {
	w := phWalker{s: scanner{data: raw}, n: n}
	i := w.s.skipSpace(0)
	if _, err := w.walk(i); err != nil {
		return nil, err
	}
	return w.out, nil
}

type phWalker struct {
	s    scanner
	n    int
	out  []Placeholder
	path []PathElem
}

func (w *phWalker) walk(i int) (int, error) {
	d := w.s.data
	if i >= len(d) {
		return 0, errSyntax
	}
	switch d[i] {
	case '[':
		return w.array(i)
	case '{':
		return w.object(i)
	}
	return w.s.value(i)
}

func (w *phWalker) array(i int) (int, error) {
	if err := w.s.enter(); err != nil {
		return 0, err
	}
	defer func() { w.s.depth-- }()
	d := w.s.data
	i = w.s.skipSpace(i + 1)
	if i < len(d) && d[i] == ']' {
		return i + 1, nil
	}
	for idx := 0; ; idx++ {
		w.path = append(w.path, PathElem{Index: idx})
		end, err := w.walk(i)
		w.path = w.path[:len(w.path)-1]
		if err != nil {
			return 0, err
		}
		i = w.s.skipSpace(end)
		if i >= len(d) {
			return 0, errSyntax
		}
		switch d[i] {
		case ',':
			i = w.s.skipSpace(i + 1)
		case ']':
			return i + 1, nil
		default:
			return 0, errSyntax
		}
	}
}

func (w *phWalker) object(start int) (int, error) {
	if err := w.s.enter(); err != nil {
		return 0, err
	}
	defer func() { w.s.depth-- }()
	d := w.s.data
	mark := len(w.out)
	isPlaceholder := false
	var num []byte
	i := w.s.skipSpace(start + 1)
	if i < len(d) && d[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(d) || d[i] != '"' {
			return 0, errSyntax
		}
		kend, err := w.s.str(i)
		if err != nil {
			return 0, err
		}
		key := d[i:kend]
		i = w.s.skipSpace(kend)
		if i >= len(d) || d[i] != ':' {
			return 0, errSyntax
		}
		i = w.s.skipSpace(i + 1)
		w.path = append(w.path, PathElem{Key: key, Index: -1})
		vend, err := w.walk(i)
		w.path = w.path[:len(w.path)-1]
		if err != nil {
			return 0, err
		}
		val := d[i:vend]
		switch {
		case EqualString(key, "_placeholder"):
			isPlaceholder = string(val) == "true"
		case EqualString(key, "num"):
			num = val
		}
		i = w.s.skipSpace(vend)
		if i >= len(d) {
			return 0, errSyntax
		}
		switch d[i] {
		case ',':
			i = w.s.skipSpace(i + 1)
		case '}':
			end := i + 1
			if isPlaceholder {
				w.out = w.out[:mark] // whatever was inside is replaced as a whole
				k, ok := smallInt(num)
				if !ok || k >= w.n {
					return 0, errPlaceholder
				}
				w.out = append(w.out, Placeholder{Start: start, End: end, Num: k, Path: slices.Clone(w.path)})
			}
			return end, nil
		default:
			return 0, errSyntax
		}
	}
}

// smallInt parses a non-negative JSON integer (a fraction of zero is accepted: 1.0).
func smallInt(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	i := 0
	for ; i < len(b) && isDigit(b[i]); i++ {
		n = n*10 + int(b[i]-'0')
		if n > 1<<30 {
			return 0, false
		}
	}
	if i == 0 {
		return 0, false
	}
	if i < len(b) {
		if b[i] != '.' {
			return 0, false
		}
		for i++; i < len(b); i++ {
			if b[i] != '0' {
				return 0, false
			}
		}
	}
	return n, true
}
