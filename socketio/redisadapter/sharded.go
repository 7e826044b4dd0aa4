package redisadapter

import "github.com/parley-go/parley/socketio"

func newSharded(h *hub, host socketio.AdapterHost, opts Options) socketio.Adapter {
	return newClassic(h, host, opts)
}
