package socketio

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// randomID returns a 20-character random URL-safe id (120 bits), like Node's base64id.
func randomID() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ctxErr is the error of a context that ended, wrapping ErrAckTimeout on a deadline.
func ctxErr(ctx context.Context) error {
	cause := context.Cause(ctx)
	if errors.Is(cause, ErrAckTimeout) {
		return ErrAckTimeout
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrAckTimeout, ctx.Err())
	}
	return cause
}
