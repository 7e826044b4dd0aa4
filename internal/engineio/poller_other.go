//go:build !linux

package engineio

import (
	"errors"
	"syscall"
)

// poller is Linux's: elsewhere WebSocket readers never park.
type poller struct{}

func newPoller() (*poller, error) { return nil, errors.New("engineio: no poller on this system") }

func (p *poller) arm(*wsConn, func()) error { return errors.New("engineio: no poller") }
func (p *poller) cancel(*wsConn)            {}
func (p *poller) close()                    {}
func (p *poller) parked() int               { return 0 }

// pollerSupported reports whether connections can be parked on this system.
const pollerSupported = false

// rawWriteSupported reports whether rawWriteNonblock works on this system.
const rawWriteSupported = false

func rawWriteNonblock(syscall.RawConn, []byte) (int, error) {
	return 0, errors.New("engineio: no non-blocking write")
}
