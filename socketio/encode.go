package socketio

import (
	"encoding/json"
	"sync"

	"github.com/parley-go/parley/internal/engineio"
	"github.com/parley-go/parley/internal/parser/sio"
)

// encodeState is scratch space for building one packet; pooled.
type encodeState struct {
	payload []byte
	enc     sio.Encoder
}

var encodePool = sync.Pool{New: func() any { return &encodeState{payload: make([]byte, 0, 512)} }}

func getEncodeState() *encodeState {
	es := encodePool.Get().(*encodeState)
	es.payload = es.payload[:0]
	es.enc.Reset()
	return es
}

func putEncodeState(es *encodeState) {
	es.enc.Reset()
	if cap(es.payload) > 64<<10 {
		es.payload = make([]byte, 0, 512) // keep pooled buffers small
	}
	encodePool.Put(es)
}

// appendArgs appends the elements of a JSON array (without brackets) for args, plus the
// recovery offset when set.
func (es *encodeState) appendArgs(args []any, offset string, comma bool) error {
	for _, a := range args {
		if comma {
			es.payload = append(es.payload, ',')
		}
		comma = true
		var err error
		if es.payload, err = es.enc.Append(es.payload, a); err != nil {
			return err
		}
	}
	if offset != "" {
		if comma {
			es.payload = append(es.payload, ',')
		}
		es.payload = sio.AppendString(es.payload, offset)
	}
	return nil
}

// finish builds the engine messages: the text packet (header + payload) and the attachments.
func (es *encodeState) finish(t sio.Type, nsp string, id int64) []engineio.Message {
	atts := es.enc.Attachments
	if len(atts) > 0 {
		switch t {
		case sio.Event:
			t = sio.BinaryEvent
		case sio.Ack:
			t = sio.BinaryAck
		}
	}
	data := make([]byte, 0, len(es.payload)+len(nsp)+24)
	data = sio.AppendHeader(data, t, nsp, id, len(atts))
	data = append(data, es.payload...)
	msgs := make([]engineio.Message, 1, 1+len(atts))
	msgs[0] = engineio.Message{Data: data}
	for _, a := range atts {
		msgs = append(msgs, engineio.Message{Data: a, Binary: true})
	}
	return msgs
}

// encodeEvent encodes an EVENT (or BINARY_EVENT) packet.
func encodeEvent(nsp string, id int64, event string, args []any, offset string) ([]engineio.Message, error) {
	es := getEncodeState()
	defer putEncodeState(es)
	es.payload = append(es.payload, '[')
	es.payload = sio.AppendString(es.payload, event)
	if err := es.appendArgs(args, offset, true); err != nil {
		return nil, err
	}
	es.payload = append(es.payload, ']')
	return es.finish(sio.Event, nsp, id), nil
}

// encodeAck encodes an ACK (or BINARY_ACK) packet.
func encodeAck(nsp string, id int64, args []any) ([]engineio.Message, error) {
	es := getEncodeState()
	defer putEncodeState(es)
	es.payload = append(es.payload, '[')
	if err := es.appendArgs(args, "", false); err != nil {
		return nil, err
	}
	es.payload = append(es.payload, ']')
	return es.finish(sio.Ack, nsp, id), nil
}

// encodeControl encodes CONNECT, CONNECT_ERROR or DISCONNECT with an optional JSON payload.
func encodeControl(t sio.Type, nsp string, payload []byte) engineio.Message {
	data := make([]byte, 0, len(nsp)+len(payload)+2)
	data = sio.AppendHeader(data, t, nsp, sio.NoID, 0)
	data = append(data, payload...)
	return engineio.Message{Data: data}
}

// connectPayload is the CONNECT answer of protocol v5.
func connectPayload(sid, pid string) []byte {
	b := append([]byte(`{"sid":`), sio.AppendString(nil, sid)...)
	if pid != "" {
		b = append(b, `,"pid":`...)
		b = sio.AppendString(b, pid)
	}
	return append(b, '}')
}

// connectErrorPayload is the CONNECT_ERROR payload: {"message":..., "data":...} for protocol v5,
// the data (or the message as a string) for Engine.IO v3 clients.
func connectErrorPayload(protocol int, message string, data any) []byte {
	var enc sio.Encoder
	if protocol == 3 {
		if data != nil {
			if b, err := enc.Append(nil, data); err == nil && len(enc.Attachments) == 0 {
				return b
			}
		}
		return sio.AppendString(nil, message)
	}
	b := append([]byte(`{"message":`), sio.AppendString(nil, message)...)
	if data != nil {
		start := len(b)
		b = append(b, `,"data":`...)
		var err error
		if b, err = enc.Append(b, data); err != nil || len(enc.Attachments) > 0 {
			b = b[:start]
		}
	}
	return append(b, '}')
}

// marshalNoHTML is json.Marshal without HTML escaping (for small control payloads).
func marshalNoHTML(v any) ([]byte, error) {
	var enc sio.Encoder
	b, err := enc.Append(nil, v)
	if err != nil {
		return nil, err
	}
	if len(enc.Attachments) > 0 {
		return json.Marshal(v)
	}
	return b, nil
}
