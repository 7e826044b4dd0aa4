package redisadapter

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// The ClusterAdapter message format of socket.io-adapter 2.5, used by the sharded adapter
// (@socket.io/redis-adapter createShardedAdapter) and @socket.io/redis-streams-adapter:
// redis-adapter-protocol.md §4–§6. Every message is {type, data, uid, nsp}.

// clusterType is the type of a ClusterAdapter message.
type clusterType int

// The ClusterAdapter message types, with Node's numbers.
const (
	clInitialHeartbeat       clusterType = 1
	clHeartbeat              clusterType = 2
	clBroadcast              clusterType = 3
	clSocketsJoin            clusterType = 4
	clSocketsLeave           clusterType = 5
	clDisconnectSockets      clusterType = 6
	clFetchSockets           clusterType = 7
	clFetchSocketsResponse   clusterType = 8
	clServerSideEmit         clusterType = 9
	clServerSideEmitResponse clusterType = 10
	clBroadcastClientCount   clusterType = 11
	clBroadcastAck           clusterType = 12
	clAdapterClose           clusterType = 13
)

// defaultStreamName is the streams adapter's default stream key.
const defaultStreamName = "socket.io"

// mayCarryBinary reports whether Node may encode the data of this type as MessagePack.
func (t clusterType) mayCarryBinary() bool {
	switch t {
	case clBroadcast, clFetchSocketsResponse, clServerSideEmit, clServerSideEmitResponse, clBroadcastAck:
		return true
	}
	return false
}

// The data objects of the ClusterAdapter messages, fields in Node's key order.

type clusterPacket struct {
	Type int   `json:"type"`
	Data []any `json:"data"`
}

type clusterBroadcastData struct {
	Packet    clusterPacket `json:"packet"`
	RequestID string        `json:"requestId,omitempty"`
	Opts      wireOpts      `json:"opts"`
}

type clusterRoomsData struct {
	Opts  wireOpts `json:"opts"`
	Rooms []string `json:"rooms"`
}

type clusterDisconnectData struct {
	Opts  wireOpts `json:"opts"`
	Close bool     `json:"close"`
}

type clusterFetchData struct {
	Opts      wireOpts `json:"opts"`
	RequestID string   `json:"requestId"`
}

type clusterServerSideEmitData struct {
	RequestID string `json:"requestId,omitempty"`
	Packet    []any  `json:"packet"`
}

type clusterClientCountData struct {
	RequestID   string `json:"requestId"`
	ClientCount int64  `json:"clientCount"`
}

type clusterAckData struct {
	RequestID string `json:"requestId"`
	Packet    any    `json:"packet"`
}

// clusterEnvelope is a whole message as published on Pub/Sub.
type clusterEnvelope struct {
	Type clusterType `json:"type"`
	Data any         `json:"data,omitempty"`
	UID  string      `json:"uid"`
	NSP  string      `json:"nsp"`
}

// clusterMessage is a decoded message; Data is the decoded data object (nil if absent).
type clusterMessage struct {
	Type clusterType
	UID  string
	NSP  string
	Data map[string]any
}

// hasBinary reports whether a value tree holds binary data.
func hasBinary(v any) bool {
	switch x := v.(type) {
	case []byte:
		return true
	case []any:
		for _, e := range x {
			if hasBinary(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if hasBinary(e) {
				return true
			}
		}
	case *orderedMap:
		return hasBinary(x.vals)
	}
	return false
}

// prepareClusterData normalises the user values inside a data object and tells whether
// they hold binary. User values travel as the trees toTree makes.
func prepareClusterData(data any) (any, bool, error) {
	bin := false
	tree := func(vs []any) ([]any, error) {
		out := make([]any, len(vs))
		for i, v := range vs {
			t, err := toTree(v)
			if err != nil {
				return nil, err
			}
			bin = bin || hasBinary(t)
			out[i] = t
		}
		return out, nil
	}
	one := func(v any) (any, error) {
		t, err := toTree(v)
		bin = bin || hasBinary(t)
		return t, err
	}
	var err error
	switch d := data.(type) {
	case clusterBroadcastData:
		d.Opts.Rooms, d.Opts.Except = nonNil(d.Opts.Rooms), nonNil(d.Opts.Except)
		d.Packet.Data, err = tree(d.Packet.Data)
		return d, bin, err
	case clusterServerSideEmitData:
		d.Packet, err = tree(d.Packet)
		return d, bin, err
	case clusterAckData:
		d.Packet, err = one(d.Packet)
		return d, bin, err
	case clusterRoomsData:
		d.Opts.Rooms, d.Opts.Except, d.Rooms = nonNil(d.Opts.Rooms), nonNil(d.Opts.Except), nonNil(d.Rooms)
		return d, false, nil
	case clusterDisconnectData:
		d.Opts.Rooms, d.Opts.Except = nonNil(d.Opts.Rooms), nonNil(d.Opts.Except)
		return d, false, nil
	case clusterFetchData:
		d.Opts.Rooms, d.Opts.Except = nonNil(d.Opts.Rooms), nonNil(d.Opts.Except)
		return d, false, nil
	case clusterClientCountData, nil:
		return d, false, nil
	}
	return nil, false, fmt.Errorf("redisadapter: cannot encode cluster data %T", data)
}

// marshalOrderedJSON encodes a data object of the types above as JSON in their field order,
// user values (already trees) as Node's JSON.stringify writes them.
func marshalOrderedJSON(v any) ([]byte, error) {
	raw := func(t any) json.RawMessage {
		b, err := marshalTree(t)
		if err != nil {
			return json.RawMessage("null")
		}
		return b
	}
	rawAll := func(ts []any) []any {
		out := make([]any, len(ts))
		for i, t := range ts {
			out[i] = raw(t)
		}
		return out
	}
	switch d := v.(type) {
	case clusterBroadcastData:
		d.Packet.Data = rawAll(d.Packet.Data)
		v = d
	case clusterServerSideEmitData:
		d.Packet = rawAll(d.Packet)
		v = d
	case clusterAckData:
		d.Packet = raw(d.Packet)
		v = d
	}
	return json.Marshal(v)
}

// streamEntry returns the field/value pairs of the XADD of a message, as Node writes them:
// uid, nsp, type (a decimal string), data (JSON, or base64 MessagePack when it holds binary).
func streamEntry(t clusterType, uid, nsp string, data any) ([]any, error) {
	d, bin, err := prepareClusterData(data)
	if err != nil {
		return nil, err
	}
	fields := []any{"uid", uid, "nsp", nsp, "type", strconv.Itoa(int(t))}
	if d == nil {
		return fields, nil
	}
	var text string
	if bin && t.mayCarryBinary() {
		mp, err := marshalMsgpack(d)
		if err != nil {
			return nil, err
		}
		text = base64.StdEncoding.EncodeToString(mp)
	} else {
		js, err := marshalOrderedJSON(d)
		if err != nil {
			return nil, err
		}
		text = string(js)
	}
	return append(fields, "data", text), nil
}

// decodeStreamEntry decodes the fields of a stream entry. Entries without nsp are not
// messages (Node skips them): ok is false.
func decodeStreamEntry(fields map[string]any) (msg *clusterMessage, ok bool, err error) {
	str := func(k string) string {
		s, _ := fields[k].(string)
		return s
	}
	if str("nsp") == "" {
		return nil, false, nil
	}
	t, err := strconv.Atoi(str("type"))
	if err != nil {
		return nil, true, fmt.Errorf("redisadapter: stream entry type %q", str("type"))
	}
	msg = &clusterMessage{Type: clusterType(t), UID: str("uid"), NSP: str("nsp")}
	data := str("data")
	if data == "" {
		return msg, true, nil
	}
	var v any
	if strings.HasPrefix(data, "{") {
		v, err = decodeJSONValue([]byte(data))
	} else {
		var mp []byte
		if mp, err = base64.StdEncoding.DecodeString(data); err == nil {
			v, err = unmarshalMsgpack(mp)
		}
	}
	if err != nil {
		return nil, true, fmt.Errorf("redisadapter: stream entry data: %w", err)
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		return nil, true, errors.New("redisadapter: stream entry data is not an object")
	}
	msg.Data = m
	return msg, true, nil
}

// encodeClusterPubSub returns a whole message as the streams adapter publishes it on
// Pub/Sub: always MessagePack.
func encodeClusterPubSub(t clusterType, uid, nsp string, data any) ([]byte, error) {
	d, _, err := prepareClusterData(data)
	if err != nil {
		return nil, err
	}
	return marshalMsgpack(clusterEnvelope{Type: t, Data: d, UID: uid, NSP: nsp})
}

// encodeShardedMessage returns a whole message as the sharded adapter publishes it: JSON,
// unless the type may carry binary and does, then MessagePack.
func encodeShardedMessage(t clusterType, uid, nsp string, data any) ([]byte, error) {
	d, bin, err := prepareClusterData(data)
	if err != nil {
		return nil, err
	}
	if bin && t.mayCarryBinary() {
		return marshalMsgpack(clusterEnvelope{Type: t, Data: d, UID: uid, NSP: nsp})
	}
	o := newJSONObject().int("type", int64(t))
	if d != nil {
		js, err := marshalOrderedJSON(d)
		if err != nil {
			return nil, err
		}
		o.raw("data", js)
	}
	return o.str("uid", uid).str("nsp", nsp).bytes()
}

// decodeClusterMessage decodes a whole message of Pub/Sub: JSON when it starts with '{'
// (sharded), MessagePack otherwise.
func decodeClusterMessage(msg []byte) (*clusterMessage, error) {
	m, err := decodeClassicMap(msg)
	if err != nil {
		return nil, err
	}
	t, ok := intOf(m["type"])
	if !ok {
		return nil, fmt.Errorf("redisadapter: cluster message type %v", m["type"])
	}
	out := &clusterMessage{Type: clusterType(t)}
	out.UID, _ = m["uid"].(string)
	out.NSP, _ = m["nsp"].(string)
	if d, ok := m["data"]; ok && d != nil {
		if out.Data, ok = d.(map[string]any); !ok {
			return nil, errors.New("redisadapter: cluster message data is not an object")
		}
	}
	return out, nil
}

// jsHashCode is the Java-style string hash of the streams adapter, over UTF-16 code units.
func jsHashCode(s string) int32 {
	var h int32
	for _, r := range s {
		if r >= 0x10000 { // a surrogate pair, as JavaScript strings hold it
			r -= 0x10000
			h = h*31 + int32(0xD800+(r>>10))
			h = h*31 + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = h*31 + int32(r)
	}
	return h
}

// streamNameOf returns the stream of a namespace for streamCount streams, as Node computes
// it (JavaScript's % keeps the sign, so some namespaces get a name like "socket.io--1",
// which Node's own readers never read).
func streamNameOf(streamName string, streamCount int, nsp string) string {
	if streamName == "" {
		streamName = defaultStreamName
	}
	if streamCount <= 1 {
		return streamName
	}
	return streamName + "-" + strconv.Itoa(int(jsHashCode(nsp)%int32(streamCount)))
}

// shardedBroadcastChannel returns where the sharded adapter publishes a broadcast: a room's
// channel only for a broadcast without ack to exactly one room that (in "dynamic" mode)
// does not look like a socket id (20 characters); else the namespace's main channel.
func shardedBroadcastChannel(prefix, nsp, mode string, rooms []string, withAck bool) string {
	main := prefix + "#" + nsp + "#"
	if withAck || len(rooms) != 1 {
		return main
	}
	r := rooms[0]
	switch mode {
	case "dynamic-private":
		return main + r + "#"
	case "", "dynamic":
		if len(utf16.Encode([]rune(r))) != 20 { // JavaScript's length counts UTF-16 units
			return main + r + "#"
		}
	}
	return main
}

// newClusterUID returns a random id in the shape of socket.io-adapter's randomId(): 16 hex
// characters (uids and request ids of the sharded and streams adapters).
func newClusterUID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
