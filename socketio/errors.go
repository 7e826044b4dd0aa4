package socketio

import (
	"errors"
	"fmt"
)

// Errors returned by the package. Compare with errors.Is.
var (
	// ErrReservedEvent is returned when emitting an event name reserved by the protocol
	// (connect, connect_error, disconnect, disconnecting, newListener, removeListener).
	ErrReservedEvent = errors.New("socketio: reserved event name")
	// ErrNoAck is returned by Event.Ack when the sender asked for no acknowledgement.
	ErrNoAck = errors.New("socketio: the event has no acknowledgement")
	// ErrAlreadyAcked is returned by Event.Ack after the first call.
	ErrAlreadyAcked = errors.New("socketio: the event was already acknowledged")
	// ErrAckTimeout is returned when an acknowledgement did not arrive within the timeout.
	ErrAckTimeout = errors.New("socketio: operation has timed out")
	// ErrDisconnected is returned when the socket is (or became) disconnected, for example
	// to the callback of an acknowledgement that will never come.
	ErrDisconnected = errors.New("socketio: socket disconnected")
	// ErrNoTimeout is returned by BroadcastOperator.EmitWithAckFunc without a Timeout: a
	// broadcast cannot know when every answer has come otherwise.
	ErrNoTimeout = errors.New("socketio: broadcast acknowledgements need a timeout")
	// ErrServerClosed is returned by operations on a server after Close.
	ErrServerClosed = errors.New("socketio: server closed")
)

// ConnectError refuses a namespace connection from a middleware with a message and optional
// data: the client's connect_error handler receives an Error whose message is Message and
// whose data property is Data (any JSON-encodable value).
//
// A middleware may return any error; only a *ConnectError (or an error wrapping one) carries
// data.
type ConnectError struct {
	Message string
	Data    any
}

// Error returns the message.
func (e *ConnectError) Error() string { return e.Message }

// NewConnectError returns a *ConnectError with the message and data.
func NewConnectError(message string, data any) *ConnectError {
	return &ConnectError{Message: message, Data: data}
}

// RequestError refuses an HTTP handshake from Options.AllowRequest with an HTTP status and a
// message (sent as the JSON body {"code":..., "message":...} as Node does).
type RequestError struct {
	Status  int
	Message string
}

// Error returns the message and status.
func (e *RequestError) Error() string { return fmt.Sprintf("%s (HTTP %d)", e.Message, e.Status) }

// Reason says why a socket disconnected. The values are those of the Node.js server, so that
// logs and clients read the same strings.
type Reason string

// Disconnection reasons.
const (
	// ReasonClientNamespaceDisconnect: the client left the namespace (socket.disconnect()).
	ReasonClientNamespaceDisconnect Reason = "client namespace disconnect"
	// ReasonServerNamespaceDisconnect: the server called Socket.Disconnect.
	ReasonServerNamespaceDisconnect Reason = "server namespace disconnect"
	// ReasonTransportClose: the connection was closed (the user closed the page, the network
	// dropped, the client closed it).
	ReasonTransportClose Reason = "transport close"
	// ReasonTransportError: the connection failed.
	ReasonTransportError Reason = "transport error"
	// ReasonPingTimeout: the client did not answer the heartbeat in time.
	ReasonPingTimeout Reason = "ping timeout"
	// ReasonParseError: the client sent an Engine.IO packet that could not be decoded.
	ReasonParseError Reason = "parse error"
	// ReasonServerShuttingDown: Server.Close was called.
	ReasonServerShuttingDown Reason = "server shutting down"
	// ReasonForcedClose: the server closed the whole connection (Disconnect(true), a
	// protocol violation).
	ReasonForcedClose Reason = "forced close"
	// ReasonForcedServerClose: the server ended the connection for a reason of its own.
	ReasonForcedServerClose Reason = "forced server close"
	// ReasonSlowClient: the client did not read fast enough and its send queue overflowed.
	ReasonSlowClient Reason = "slow client"
)

// recoverable reports whether a socket that disconnected for this reason may recover its state
// (Node's list: anything but an explicit disconnection by either side).
func (r Reason) recoverable() bool {
	switch r {
	case ReasonTransportError, ReasonTransportClose, ReasonForcedClose, ReasonPingTimeout,
		ReasonServerShuttingDown, ReasonForcedServerClose, ReasonSlowClient:
		return true
	}
	return false
}
