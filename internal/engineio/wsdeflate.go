package engineio

import (
	"bytes"
	"compress/flate"
	"io"
	"sync"
)

// permessage-deflate (RFC 7692) without context takeover: each message is compressed on
// its own, so no connection keeps a compressor's window between messages.

// deflateTail ends every compressed message on the wire (stripped by the sender); the
// final empty block after it lets the reader see the end of the stream.
const deflateTail = "\x00\x00\xff\xff\x01\x00\x00\xff\xff"

var (
	flateWriters = sync.Pool{New: func() any {
		fw, _ := flate.NewWriter(nil, flate.BestSpeed)
		return fw
	}}
	flateReaders = sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}
)

// limitedBuffer collects up to max bytes and fails past them.
type limitedBuffer struct {
	b   []byte
	max int64
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if int64(len(l.b)+len(p)) > l.max {
		return 0, errFrameTooBig
	}
	l.b = append(l.b, p...)
	return len(p), nil
}

// inflate decompresses a message into a pooled buffer, refusing more than max bytes.
func inflate(compressed []byte, max int64) (*[]byte, error) {
	fr := flateReaders.Get().(io.ReadCloser)
	defer flateReaders.Put(fr)
	src := io.MultiReader(bytes.NewReader(compressed), bytes.NewReader([]byte(deflateTail)))
	if err := fr.(flate.Resetter).Reset(src, nil); err != nil {
		return nil, err
	}
	buf := getBuf()
	out := limitedBuffer{b: (*buf)[:0], max: max}
	_, err := io.Copy(&out, fr)
	*buf = out.b
	if err != nil {
		putBuf(buf)
		if err == io.ErrUnexpectedEOF {
			err = errWSProtocol
		}
		return nil, err
	}
	return buf, nil
}

// appendDeflated appends one compressed frame holding prefix and data.
func appendDeflated(b []byte, op byte, prefix, data []byte) ([]byte, error) {
	fw := flateWriters.Get().(*flate.Writer)
	defer flateWriters.Put(fw)
	cb := getBuf()
	defer putBuf(cb)
	out := bytes.NewBuffer((*cb)[:0])
	fw.Reset(out)
	if _, err := fw.Write(prefix); err != nil {
		return b, err
	}
	if _, err := fw.Write(data); err != nil {
		return b, err
	}
	if err := fw.Flush(); err != nil {
		return b, err
	}
	c := out.Bytes()
	c = c[:len(c)-4] // the 00 00 ff ff of the flush
	*cb = c
	b = appendFrameHeader(b, op, true, len(c))
	return append(b, c...), nil
}
