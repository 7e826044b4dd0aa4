// Package socketio is a Socket.IO server for Go: mount it on net/http and the official
// socket.io JavaScript client (v4, protocol v5) connects to it unchanged, over WebSocket or
// HTTP long-polling, with the upgrade between them.
//
// A Server is an http.Handler. It embeds its main namespace "/"; Of returns the others, and
// OfFunc and OfRegexp declare dynamic ones. Each client connection to a namespace is a
// Socket:
//
//	srv := socketio.NewServer(nil)
//	srv.OnConnection(func(s *socketio.Socket) {
//		s.On("chat:message", socketio.Handle(func(e *socketio.Event, m Message) {
//			srv.Emit("chat:message", m) // everyone, the sender included
//		}))
//	})
//	http.Handle("/socket.io/", srv)
//
// # Events and their arguments
//
// Emit takes any JSON-encodable Go values; a []byte anywhere in them (nested too) travels as a
// binary attachment. Incoming arguments are decoded into Go values of the handler's own types:
// Event.Bind decodes them in order (like database/sql's Scan), and Handle adapts a function
// whose second parameter is the first argument's type. An event that asks for an
// acknowledgement is answered with Event.Ack; EmitWithAck waits for the client's answer with a
// context, EmitWithAckFunc calls back.
//
// # Threading
//
// One connection's handlers (connection, middleware, events, acknowledgement callbacks,
// disconnection) run one at a time, in arrival order, on a goroutine of that connection that
// exists only while it has work; different connections run in parallel. A handler may block
// (a database call, an EmitWithAck to another socket); while it does, that connection's later
// packets wait. A handler that waits for an acknowledgement from its own connection should not
// let more than Options.MaxPendingEvents packets pile up behind it. A panic in a handler is
// logged and closes that connection only.
//
// # Rooms, broadcasting and clusters
//
// Join and Leave put sockets in rooms; To, In, Except, Broadcast, Volatile, Compress, Local
// and Timeout build immutable BroadcastOperator values whose Emit encodes the packet once for
// every recipient. Rooms live in the namespace's Adapter: MemoryAdapter for one server, the
// socketio/redisadapter package for several servers sharing a Redis (wire-compatible with
// Node's adapters).
//
// # Slow clients
//
// Sending never blocks on the network: each connection has a send queue capped in bytes
// (Options.SendQueueBytes). A client that does not read fast enough to stay under it is
// disconnected with ReasonSlowClient; volatile events are dropped instead of queued when the
// client cannot take them at once.
package socketio
