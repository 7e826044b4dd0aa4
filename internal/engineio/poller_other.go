//go:build !linux

package engineio

import "errors"

// poller is Linux's: elsewhere WebSocket readers never park.
type poller struct{}

func newPoller() (*poller, error) { return nil, errors.New("engineio: no poller on this system") }

func (p *poller) arm(*wsConn, func()) error { return errors.New("engineio: no poller") }
func (p *poller) cancel(*wsConn)            {}
func (p *poller) close()                    {}

// pollerSupported reports whether connections can be parked on this system.
const pollerSupported = false
