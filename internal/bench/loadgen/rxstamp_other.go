//go:build !linux

package main

import "errors"

// enableRxStamps is Linux-only (SO_TIMESTAMPNS); elsewhere latency ends when the tool reads.
func (w *wsConn) enableRxStamps() error {
	return errors.New("kernel receive timestamps are supported on Linux only")
}

// readStamped is never called where enableRxStamps fails.
func (w *wsConn) readStamped(b []byte) (int, error) { return w.c.Read(b) }
