package redisadapter

import (
	"errors"
	"fmt"
)

// Requests and responses of the classic adapter (redis-adapter-protocol.md §2.4–2.6): JSON,
// except BROADCAST requests and BROADCAST_ACK responses, which are MessagePack maps. Readers
// tell them apart by the first byte ('{' is JSON).

// classicRequest is a decoded request, or one to encode. Which fields matter depends on Type.
type classicRequest struct {
	Type requestType
	// UID is the sender's uid; the emitter sends none on 2/3/4 and "emitter" on 6.
	UID string
	// RequestID is set on requests that expect responses (0, 1, 5, 7, 6 with ack).
	RequestID    string
	HasRequestID bool
	// Rooms: SOCKETS, the rooms to list; REMOTE_JOIN/LEAVE, the rooms to join or leave.
	Rooms []string
	// Opts select the sockets of 2, 3, 4, 5 and 7; nil in the legacy forms of 2/3/4.
	Opts *wireOpts
	// Close is REMOTE_DISCONNECT's flag.
	Close bool
	// Data is SERVER_SIDE_EMIT's [event, ...args].
	Data []any
	// Packet is BROADCAST's packet.
	Packet *wirePacket
	// SID and Room are the legacy single-socket forms of 2/3/4.
	SID, Room string
}

// encodeClassicRequest returns a request as Node writes it, keys in Node's order. Values in
// Data and Packet.Data must be normalised (normalizeArgs).
func encodeClassicRequest(r *classicRequest) ([]byte, error) {
	o := newJSONObject()
	opts := func() {
		var rooms, except []string
		if r.Opts != nil {
			rooms, except = r.Opts.Rooms, r.Opts.Except
		}
		raw, err := newJSONObject().strs("rooms", rooms).strs("except", except).bytes()
		o.setErr(err)
		o.raw("opts", raw)
	}
	switch r.Type {
	case reqSockets:
		o.str("uid", r.UID).str("requestId", r.RequestID).int("type", int64(r.Type)).strs("rooms", r.Rooms)
	case reqAllRooms:
		o.str("uid", r.UID).str("requestId", r.RequestID).int("type", int64(r.Type))
	case reqRemoteJoin, reqRemoteLeave, reqRemoteDisconnect, reqRemoteFetch:
		if r.UID != "" {
			o.str("uid", r.UID)
		}
		if r.Type == reqRemoteFetch {
			o.str("requestId", r.RequestID)
		}
		o.int("type", int64(r.Type))
		opts()
		switch r.Type {
		case reqRemoteJoin, reqRemoteLeave:
			o.strs("rooms", r.Rooms)
		case reqRemoteDisconnect:
			o.bool("close", r.Close)
		}
	case reqServerSideEmit:
		o.str("uid", r.UID)
		if r.HasRequestID {
			o.str("requestId", r.RequestID)
		}
		o.int("type", int64(r.Type))
		o.key("data")
		raw, err := marshalTree(r.Data)
		o.setErr(err)
		o.b = append(o.b, raw...)
	case reqBroadcast:
		if r.Packet == nil || r.Opts == nil {
			return nil, errors.New("redisadapter: BROADCAST request without packet or opts")
		}
		opts := *r.Opts
		opts.Rooms, opts.Except = nonNil(opts.Rooms), nonNil(opts.Except)
		return marshalMsgpack(broadcastRequest{UID: r.UID, RequestID: r.RequestID,
			Type: int(r.Type), Packet: *r.Packet, Opts: opts})
	default:
		return nil, fmt.Errorf("redisadapter: cannot encode request type %d", r.Type)
	}
	return o.bytes()
}

// broadcastRequest is the MessagePack map of a BROADCAST request, in Node's key order.
type broadcastRequest struct {
	UID       string     `json:"uid"`
	RequestID string     `json:"requestId"`
	Type      int        `json:"type"`
	Packet    wirePacket `json:"packet"`
	Opts      wireOpts   `json:"opts"`
}

// decodeClassicMap decodes a request or response payload into a map: JSON when it starts
// with '{', MessagePack otherwise.
func decodeClassicMap(msg []byte) (map[string]any, error) {
	var v any
	var err error
	if len(msg) > 0 && msg[0] == '{' {
		v, err = decodeJSONValue(msg)
	} else {
		v, err = unmarshalMsgpack(msg)
	}
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("redisadapter: request is not an object")
	}
	return m, nil
}

// decodeClassicRequest decodes a payload of the request channel.
func decodeClassicRequest(msg []byte) (*classicRequest, error) {
	m, err := decodeClassicMap(msg)
	if err != nil {
		return nil, err
	}
	t, ok := intOf(m["type"])
	if !ok {
		return nil, fmt.Errorf("redisadapter: request type %v", m["type"])
	}
	r := &classicRequest{Type: requestType(t)}
	r.UID, _ = m["uid"].(string)
	if id, ok := m["requestId"]; ok && id != nil {
		r.HasRequestID = true
		r.RequestID = jsKey(id)
	}
	switch r.Type {
	case reqSockets, reqAllRooms:
		r.Rooms = roomList(m["rooms"])
	case reqRemoteJoin, reqRemoteLeave, reqRemoteDisconnect, reqRemoteFetch:
		if om, ok := m["opts"].(map[string]any); ok {
			o := optsFromMap(om)
			r.Opts = &o
		} else if r.Type == reqRemoteFetch {
			r.Opts = &wireOpts{Rooms: []string{}, Except: []string{}}
		} else {
			r.SID, _ = m["sid"].(string)
			r.Room, _ = m["room"].(string)
		}
		r.Rooms = roomList(m["rooms"])
		r.Close = truthy(m["close"])
	case reqServerSideEmit:
		data, ok := m["data"].([]any)
		if !ok || len(data) == 0 {
			return nil, errors.New("redisadapter: SERVER_SIDE_EMIT without data")
		}
		if _, ok := data[0].(string); !ok {
			return nil, errors.New("redisadapter: SERVER_SIDE_EMIT without event name")
		}
		r.Data = data
	case reqBroadcast:
		pm, ok := m["packet"].(map[string]any)
		if !ok {
			return nil, errors.New("redisadapter: BROADCAST without packet")
		}
		p, err := packetFromMap(pm, "/")
		if err != nil {
			return nil, err
		}
		r.Packet = p
		om, _ := m["opts"].(map[string]any)
		o := optsFromMap(om)
		r.Opts = &o
	default:
		return nil, fmt.Errorf("redisadapter: unknown request type %d", t)
	}
	return r, nil
}

// classicResponse is a decoded response. Type is 0 when the payload has none (responses to
// 0, 1, 5 and the legacy forms).
type classicResponse struct {
	Type      requestType
	RequestID string
	// Sockets: socket ids (SOCKETS) or socket descriptions (REMOTE_FETCH), as decoded.
	Sockets    []any
	HasSockets bool
	// Rooms of an ALL_ROOMS response; HasRooms tells an empty list from none.
	Rooms    []string
	HasRooms bool
	// Data is a SERVER_SIDE_EMIT acknowledgement's argument.
	Data any
	// ClientCount of a BROADCAST_CLIENT_COUNT.
	ClientCount int64
	// Packet is a BROADCAST_ACK's argument.
	Packet any
}

// decodeClassicResponse decodes a payload of a response channel.
func decodeClassicResponse(msg []byte) (*classicResponse, error) {
	m, err := decodeClassicMap(msg)
	if err != nil {
		return nil, err
	}
	r := &classicResponse{}
	if t, ok := intOf(m["type"]); ok {
		r.Type = requestType(t)
	}
	if id, ok := m["requestId"]; ok && id != nil {
		r.RequestID = jsKey(id)
	}
	if s, ok := m["sockets"].([]any); ok {
		r.Sockets, r.HasSockets = s, true
	}
	if _, ok := m["rooms"].([]any); ok {
		r.Rooms, r.HasRooms = roomList(m["rooms"]), true
	}
	r.Data = m["data"]
	r.ClientCount, _ = intOf(m["clientCount"])
	r.Packet = m["packet"]
	return r, nil
}

// The encoders of responses, as Node writes them.

func encodeSocketsResponse(requestID string, ids []string) ([]byte, error) {
	return newJSONObject().str("requestId", requestID).strs("sockets", ids).bytes()
}

func encodeAllRoomsResponse(requestID string, rooms []string) ([]byte, error) {
	return newJSONObject().str("requestId", requestID).strs("rooms", rooms).bytes()
}

func encodeFetchResponse(requestID string, sockets []wireSocket) ([]byte, error) {
	o := newJSONObject().str("requestId", requestID)
	o.key("sockets")
	o.b = append(o.b, '[')
	for i, s := range sockets {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		raw, err := s.encode()
		o.setErr(err)
		o.b = append(o.b, raw...)
	}
	o.b = append(o.b, ']')
	return o.bytes()
}

func encodeServerSideEmitResponse(requestID string, arg any) ([]byte, error) {
	return newJSONObject().int("type", int64(reqServerSideEmit)).str("requestId", requestID).value("data", arg).bytes()
}

func encodeClientCountResponse(requestID string, n int) ([]byte, error) {
	return newJSONObject().int("type", int64(reqBroadcastClientCount)).str("requestId", requestID).int("clientCount", int64(n)).bytes()
}

// broadcastAck is the MessagePack map of a BROADCAST_ACK response.
type broadcastAck struct {
	Type      int    `json:"type"`
	RequestID string `json:"requestId"`
	Packet    any    `json:"packet"`
}

func encodeBroadcastAckResponse(requestID string, arg any) ([]byte, error) {
	n, err := normalizeArg(arg)
	if err != nil {
		return nil, err
	}
	return marshalMsgpack(broadcastAck{Type: int(reqBroadcastAck), RequestID: requestID, Packet: n})
}

// wireSocket describes a socket in a REMOTE_FETCH response.
type wireSocket struct {
	ID        string
	Handshake wireHandshake
	Rooms     []string
	Data      any
}

// wireHandshake is a socket's handshake as Node describes it, keys in Node's order.
type wireHandshake struct {
	Headers map[string]any
	Time    string // Date.prototype.toString of the connection time
	Address string
	XDomain bool
	Secure  bool
	Issued  int64 // epoch milliseconds
	URL     string
	Query   map[string]any
	Auth    any
}

func (s *wireSocket) encode() ([]byte, error) {
	h := s.Handshake
	hs := newJSONObject()
	hs.value("headers", orEmpty(h.Headers)).str("time", h.Time).str("address", h.Address).
		bool("xdomain", h.XDomain).bool("secure", h.Secure).int("issued", h.Issued).
		str("url", h.URL).value("query", orEmpty(h.Query)).value("auth", orEmptyAny(h.Auth))
	raw, err := hs.bytes()
	if err != nil {
		return nil, err
	}
	return newJSONObject().str("id", s.ID).raw("handshake", raw).strs("rooms", s.Rooms).
		value("data", s.Data).bytes()
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func orEmptyAny(v any) any {
	if v == nil {
		return map[string]any{}
	}
	return v
}

// socketFromMap reads a socket description of a REMOTE_FETCH response.
func socketFromMap(v any) (*wireSocket, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("redisadapter: socket description is not an object")
	}
	s := &wireSocket{Rooms: roomList(m["rooms"]), Data: m["data"]}
	if s.ID, ok = m["id"].(string); !ok {
		return nil, errors.New("redisadapter: socket description without id")
	}
	h, _ := m["handshake"].(map[string]any)
	s.Handshake.Headers, _ = h["headers"].(map[string]any)
	s.Handshake.Time, _ = h["time"].(string)
	s.Handshake.Address, _ = h["address"].(string)
	s.Handshake.XDomain = truthy(h["xdomain"])
	s.Handshake.Secure = truthy(h["secure"])
	s.Handshake.Issued, _ = intOf(h["issued"])
	s.Handshake.URL, _ = h["url"].(string)
	s.Handshake.Query, _ = h["query"].(map[string]any)
	s.Handshake.Auth = h["auth"]
	return s, nil
}
