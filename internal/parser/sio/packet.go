// Package sio encodes and decodes Socket.IO packets (protocol v5, and the v4 variant spoken by
// Engine.IO v3 clients) with binary attachments. It works on bytes: decoding splits a packet
// into its header fields and the raw JSON of each argument without building Go values, and
// encoding appends JSON to a caller's buffer, turning []byte values into attachments.
//
// Wire format: <type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>], followed, for
// BINARY_EVENT and BINARY_ACK, by one binary message per attachment.
package sio

import (
	"errors"
	"fmt"
	"strconv"
)

// Type is a Socket.IO packet type.
type Type uint8

// Packet types of the Socket.IO protocol.
const (
	Connect      Type = 0
	Disconnect   Type = 1
	Event        Type = 2
	Ack          Type = 3
	ConnectError Type = 4
	BinaryEvent  Type = 5
	BinaryAck    Type = 6
)

var typeNames = [...]string{"CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"}

// String returns the protocol's name of the type.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// IsBinary reports whether packets of this type carry attachments.
func (t Type) IsBinary() bool { return t == BinaryEvent || t == BinaryAck }

// ErrInvalidPacket is wrapped by every decoding error.
var ErrInvalidPacket = errors.New("sio: invalid packet")

func invalid(what string) error { return fmt.Errorf("%w: %s", ErrInvalidPacket, what) }

var (
	errUnknownType  = invalid("unknown packet type")
	errAttachments  = invalid("illegal attachments")
	errID           = invalid("illegal ack id")
	errPayload      = invalid("invalid payload")
	errEmpty        = invalid("empty packet")
	errReservedName = invalid("reserved event name")
)

// NoID is the ID of a packet that carries no acknowledgement id.
const NoID int64 = -1

// maxID is the largest ack id accepted: JavaScript numbers are exact up to 2^53.
const maxID = 1<<53 - 1

// Packet is one decoded Socket.IO packet. Nsp, Payload and Args alias the decoded input.
type Packet struct {
	Type Type
	// Nsp is the namespace as written on the wire, without the trailing comma; empty for the
	// main namespace "/". For Engine.IO v3 clients it may carry a query ("/admin?token=1").
	Nsp []byte
	// ID is the acknowledgement id, or NoID.
	ID int64
	// Attachments is the number of binary attachments announced by a binary packet.
	Attachments int
	// Payload is the raw JSON payload, nil when the packet has none.
	Payload []byte
	// Args holds the raw JSON of each element of the payload array of EVENT, ACK and their
	// binary forms (for events, Args[0] is the event name).
	Args [][]byte
}

// Namespace returns the namespace name, "/" when the packet names none.
func (p *Packet) Namespace() string {
	if len(p.Nsp) == 0 {
		return "/"
	}
	return string(p.Nsp)
}

// reserved lists the event names a peer may not send or be sent (they are lifecycle events
// of the JavaScript API).
var reserved = map[string]bool{
	"connect": true, "connect_error": true, "disconnect": true, "disconnecting": true,
	"newListener": true, "removeListener": true,
}

// IsReserved reports whether name is an event name reserved by the protocol's reference
// implementation (connect, connect_error, disconnect, disconnecting, newListener,
// removeListener).
func IsReserved(name string) bool { return reserved[name] }

// Decode parses one text packet into p, reusing p.Args' storage. It applies the validity rules
// of the reference decoder: known type, well-formed attachment count and ack id, and a payload
// of the right shape for the type (object for CONNECT, none for DISCONNECT, string or object
// for CONNECT_ERROR, non-empty array starting with a non-reserved string or a number for
// events, array for acks).
func Decode(p *Packet, data []byte) error {
	args := p.Args[:0]
	*p = Packet{ID: NoID, Args: args}
	if len(data) == 0 {
		return errEmpty
	}
	c := data[0]
	if c < '0' || c > '6' {
		return errUnknownType
	}
	p.Type = Type(c - '0')
	i := 1
	if p.Type.IsBinary() {
		start := i
		n := 0
		for i < len(data) && isDigit(data[i]) {
			n = n*10 + int(data[i]-'0')
			if n > 1<<24 {
				return errAttachments
			}
			i++
		}
		if i == start || i >= len(data) || data[i] != '-' {
			return errAttachments
		}
		p.Attachments = n
		i++
	}
	if i < len(data) && data[i] == '/' {
		start := i
		for i < len(data) && data[i] != ',' {
			i++
		}
		p.Nsp = data[start:i]
		if len(p.Nsp) == 1 {
			p.Nsp = nil // "/," is the main namespace written out
		}
		if i < len(data) {
			i++ // the comma
		}
	}
	if i < len(data) && isDigit(data[i]) {
		var id int64
		for i < len(data) && isDigit(data[i]) {
			id = id*10 + int64(data[i]-'0')
			if id > maxID {
				return errID
			}
			i++
		}
		p.ID = id
	}
	if i < len(data) {
		p.Payload = data[i:]
	}
	return p.checkPayload()
}

func (p *Packet) checkPayload() error {
	if p.Payload == nil {
		switch p.Type {
		case Event, BinaryEvent, Ack, BinaryAck:
			return errPayload
		}
		return nil
	}
	switch p.Type {
	case Disconnect:
		return errPayload
	case Connect:
		if kind(p.Payload) != '{' || !Valid(p.Payload) {
			return errPayload
		}
	case ConnectError:
		if k := kind(p.Payload); (k != '{' && k != '"') || !Valid(p.Payload) {
			return errPayload
		}
	case Event, BinaryEvent:
		args, err := SplitArray(p.Args, p.Payload)
		p.Args = args
		if err != nil || len(args) == 0 {
			return errPayload
		}
		switch k := kind(args[0]); {
		case k == '"':
			if isReservedRaw(args[0]) {
				return errReservedName
			}
		case k == '-' || isDigit(k):
		default:
			return errPayload
		}
	case Ack, BinaryAck:
		args, err := SplitArray(p.Args, p.Payload)
		p.Args = args
		if err != nil {
			return errPayload
		}
	}
	return nil
}

// EventName returns the event name of an EVENT or BINARY_EVENT packet decoded by Decode: the
// first argument unquoted, or a number's JSON text (the reference server accepts numeric
// names).
func (p *Packet) EventName() string {
	if len(p.Args) == 0 {
		return ""
	}
	return Unquote(p.Args[0])
}

// AppendHeader appends a packet header: type, attachment count (binary types), namespace
// (omitted for "/"), and ack id (omitted for NoID). The JSON payload follows it directly.
func AppendHeader(dst []byte, t Type, nsp string, id int64, attachments int) []byte {
	dst = append(dst, '0'+byte(t))
	if t.IsBinary() {
		dst = strconv.AppendInt(dst, int64(attachments), 10)
		dst = append(dst, '-')
	}
	if nsp != "" && nsp != "/" {
		dst = append(dst, nsp...)
		dst = append(dst, ',')
	}
	if id >= 0 {
		dst = strconv.AppendInt(dst, id, 10)
	}
	return dst
}
