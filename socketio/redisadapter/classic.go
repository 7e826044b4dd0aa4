package redisadapter

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"strings"
)

// The wire format of the classic adapter (@socket.io/redis-adapter 8.x createAdapter) and of
// @socket.io/redis-emitter: redis-adapter-protocol.md §2 and §3.

// DefaultKey is the default prefix of every Redis channel, as in Node.
const DefaultKey = "socket.io"

// emitterUID is the uid the emitter stamps on its broadcasts and server-side emits.
const emitterUID = "emitter"

// requestType is the "type" of a classic request or response.
type requestType int

// The classic request types, with Node's numbers.
const (
	reqSockets              requestType = 0
	reqAllRooms             requestType = 1
	reqRemoteJoin           requestType = 2
	reqRemoteLeave          requestType = 3
	reqRemoteDisconnect     requestType = 4
	reqRemoteFetch          requestType = 5
	reqServerSideEmit       requestType = 6
	reqBroadcast            requestType = 7
	reqBroadcastClientCount requestType = 8
	reqBroadcastAck         requestType = 9
)

// Socket.IO packet types that may travel in a broadcast.
const (
	packetEvent       = 2
	packetBinaryEvent = 5
)

// classicChannels are the Redis channels of one namespace.
type classicChannels struct {
	// broadcast is KEY#NSP#; a room R is KEY#NSP#R#; servers PSUBSCRIBE broadcast+"*".
	broadcast string
	// request is KEY-request#NSP#; PUBSUB NUMSUB of it is the number of servers.
	request string
	// response is the shared response channel KEY-response#NSP#.
	response string
}

func newClassicChannels(key, nsp string) classicChannels {
	if key == "" {
		key = DefaultKey
	}
	return classicChannels{
		broadcast: key + "#" + nsp + "#",
		request:   key + "-request#" + nsp + "#",
		response:  key + "-response#" + nsp + "#",
	}
}

// room returns the broadcast channel of one room.
func (c classicChannels) room(room string) string { return c.broadcast + room + "#" }

// specificResponse returns the response channel of the server with that uid.
func (c classicChannels) specificResponse(uid string) string { return c.response + uid + "#" }

// broadcastChannel returns where a broadcast to rooms is published: the room's own channel
// when there is exactly one room, else the namespace's.
func (c classicChannels) broadcastChannel(rooms []string) string {
	if len(rooms) == 1 {
		return c.room(rooms[0])
	}
	return c.broadcast
}

// roomOf returns the room part of a broadcast channel ("" for the namespace channel) and
// whether the channel belongs to this namespace at all.
func (c classicChannels) roomOf(channel string) (string, bool) {
	if !strings.HasPrefix(channel, c.broadcast) {
		return "", false
	}
	if len(channel) == len(c.broadcast) {
		return "", true
	}
	if !strings.HasSuffix(channel, "#") {
		return "", false
	}
	return channel[len(c.broadcast) : len(channel)-1], true
}

// uidChars are the characters of Node's uid2 ids.
const uidChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// newUID returns a random id of n characters in the shape of Node's uid2(n): the server
// uids and request ids of the classic adapter.
func newUID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	for i, c := range b {
		b[i] = uidChars[c%64]
	}
	return string(b)
}

// wireFlags are the broadcast flags that travel on Redis. local never does.
type wireFlags struct {
	Volatile bool  `json:"volatile,omitempty"`
	Compress *bool `json:"compress,omitempty"`
	// Timeout is the acknowledgement timeout in milliseconds (broadcasts with ack).
	Timeout              *int64 `json:"timeout,omitempty"`
	ExpectSingleResponse bool   `json:"expectSingleResponse,omitempty"`
}

// wireOpts select the recipients of an operation, in the key order of Node's servers.
type wireOpts struct {
	Rooms  []string  `json:"rooms"`
	Except []string  `json:"except"`
	Flags  wireFlags `json:"flags"`
}

// emitterOpts are wireOpts in the key order of Node's emitter.
type emitterOpts struct {
	Rooms  []string  `json:"rooms"`
	Flags  wireFlags `json:"flags"`
	Except []string  `json:"except"`
}

// wirePacket is the Socket.IO packet object of a classic broadcast.
type wirePacket struct {
	Type int    `json:"type"`
	Data []any  `json:"data"`
	NSP  string `json:"nsp"`
}

// classicBroadcast is a decoded classic broadcast message: [uid, packet, opts].
type classicBroadcast struct {
	UID    string
	Packet wirePacket
	Opts   wireOpts
}

// nonNil returns s, or an empty slice for nil (MessagePack and JSON must see [] not null).
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// encodeClassicBroadcast returns the MessagePack of a broadcast as a Node server writes it.
// The packet data must already be normalised (normalizeArgs).
func encodeClassicBroadcast(uid string, p wirePacket, opts wireOpts) ([]byte, error) {
	opts.Rooms, opts.Except = nonNil(opts.Rooms), nonNil(opts.Except)
	return marshalMsgpack([]any{uid, p, opts})
}

// encodeEmitterBroadcast returns the MessagePack of a broadcast as Node's emitter writes it.
func encodeEmitterBroadcast(p wirePacket, opts wireOpts) ([]byte, error) {
	eo := emitterOpts{Rooms: nonNil(opts.Rooms), Flags: opts.Flags, Except: nonNil(opts.Except)}
	return marshalMsgpack([]any{emitterUID, p, eo})
}

// decodeClassicBroadcast decodes a classic broadcast as a Node server does. A packet
// without nsp belongs to "/".
func decodeClassicBroadcast(msg []byte) (*classicBroadcast, error) {
	v, err := unmarshalMsgpack(msg)
	if err != nil {
		return nil, err
	}
	arr, ok := v.([]any)
	if !ok || len(arr) < 3 {
		return nil, errors.New("redisadapter: broadcast is not an array of 3")
	}
	b := &classicBroadcast{}
	b.UID, _ = arr[0].(string)
	pm, ok := arr[1].(map[string]any)
	if !ok {
		return nil, errors.New("redisadapter: broadcast packet is not a map")
	}
	p, err := packetFromMap(pm, "/")
	if err != nil {
		return nil, err
	}
	b.Packet = *p
	om, ok := arr[2].(map[string]any)
	if !ok {
		return nil, errors.New("redisadapter: broadcast options are not a map")
	}
	b.Opts = optsFromMap(om)
	return b, nil
}

// packetFromMap reads a broadcast packet: an EVENT (or BINARY_EVENT) whose data starts with
// the event name. defaultNSP is used when the packet has no nsp.
func packetFromMap(m map[string]any, defaultNSP string) (*wirePacket, error) {
	p := &wirePacket{NSP: defaultNSP, Type: packetEvent}
	if t, ok := m["type"]; ok {
		n, ok := intOf(t)
		if !ok || (n != packetEvent && n != packetBinaryEvent) {
			return nil, fmt.Errorf("redisadapter: broadcast packet of type %v", t)
		}
	}
	if nsp, ok := m["nsp"].(string); ok {
		p.NSP = nsp
	}
	data, ok := m["data"].([]any)
	if !ok || len(data) == 0 {
		return nil, errors.New("redisadapter: broadcast packet without data")
	}
	if _, ok := data[0].(string); !ok {
		return nil, errors.New("redisadapter: broadcast packet without event name")
	}
	p.Data = data
	return p, nil
}

// optsFromMap reads broadcast options; missing lists are empty, unknown flags ignored.
func optsFromMap(m map[string]any) wireOpts {
	o := wireOpts{Rooms: roomList(m["rooms"]), Except: roomList(m["except"])}
	if f, ok := m["flags"].(map[string]any); ok {
		o.Flags.Volatile = truthy(f["volatile"])
		if c, ok := f["compress"]; ok && c != nil {
			b := truthy(c)
			o.Flags.Compress = &b
		}
		if t, ok := f["timeout"]; ok {
			if n, ok := intOf(t); ok {
				o.Flags.Timeout = &n
			}
		}
		o.Flags.ExpectSingleResponse = truthy(f["expectSingleResponse"])
	}
	return o
}

// roomList reads an array of room names. JavaScript allows numeric room names, which
// arrive as numbers: they are formatted as JavaScript would.
func roomList(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		switch x := e.(type) {
		case string:
			out = append(out, x)
		case int64, uint64, float64:
			out = append(out, jsKey(x))
		}
	}
	return out
}

// intOf returns v as an integer when it is an integral number.
func intOf(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case uint64:
		return 0, false
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), true
		}
	}
	return 0, false
}

// truthy is JavaScript's truthiness for the decoded value types.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case uint64:
		return x != 0
	case float64:
		return x != 0 && !math.IsNaN(x)
	case string:
		return x != ""
	}
	return true
}
