// Package redisadapter connects Parley servers to each other, and to Node.js Socket.IO
// servers, through Redis, speaking the wire formats of Node's packages byte for byte:
//
//   - the classic adapter of @socket.io/redis-adapter 8.x (Pub/Sub, MessagePack broadcasts,
//     JSON requests and responses), which is what most Node deployments run;
//   - @socket.io/redis-emitter, through Emitter: a publisher that lets any Go program, with no
//     Socket.IO server of its own, emit to the rooms and namespaces of a cluster;
//   - the stream entries of @socket.io/redis-streams-adapter (codec only for now).
//
// The core socketio package never imports Redis; this package is the only one that does.
//
// Values given to Emit and ServerSideEmit are encoded as MessagePack the way Node's
// notepack.io encodes the equivalent JavaScript values: struct fields take their json tag
// names, []byte becomes MessagePack bin (a Buffer in Node, a binary attachment for clients),
// time.Time becomes a MessagePack timestamp (a Date), integers take their smallest width.
package redisadapter
