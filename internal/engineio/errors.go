package engineio

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// Error codes of refused requests, as Node's engine.io numbers them (Server.errors).
const (
	codeUnknownTransport    = 0
	codeUnknownSID          = 1
	codeBadHandshakeMethod  = 2
	codeBadRequest          = 3
	codeForbidden           = 4
	codeUnsupportedProtocol = 5
)

var errorMessages = [...]string{
	codeUnknownTransport:    "Transport unknown",
	codeUnknownSID:          "Session ID unknown",
	codeBadHandshakeMethod:  "Bad handshake method",
	codeBadRequest:          "Bad request",
	codeForbidden:           "Forbidden",
	codeUnsupportedProtocol: "Unsupported protocol version",
}

// Internal errors passed to OnClose with ReasonTransportError.
var (
	errPollOverlap    = errors.New("engineio: overlapping poll requests from the client")
	errPostOverlap    = errors.New("engineio: overlapping data requests from the client")
	errPayloadTooBig  = errors.New("engineio: payload larger than MaxPayload")
	errHeartbeatDir   = errors.New("engineio: heartbeat in the wrong direction")
	errUpgradeTimeout = errors.New("engineio: upgrade timed out")
)

// writeError answers a refused request as Node does: a JSON body {"code":N,"message":M} with
// status 400 (403 for Forbidden, or the RequestError's status).
func writeError(w http.ResponseWriter, code int, status int, msg string) {
	if msg == "" {
		msg = errorMessages[code]
	}
	if status == 0 {
		status = http.StatusBadRequest
		if code == codeForbidden {
			status = http.StatusForbidden
		}
	}
	body := make([]byte, 0, 32+len(msg))
	body = append(body, `{"code":`...)
	body = strconv.AppendInt(body, int64(code), 10)
	body = append(body, `,"message":`...)
	quoted, _ := json.Marshal(msg)
	body = append(body, quoted...)
	body = append(body, '}')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// errStop ends a payload's decoding once the session has closed.
var errStop = errors.New("engineio: session closed")
