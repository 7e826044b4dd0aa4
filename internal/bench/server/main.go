// Command server is Parley's benchmark target (shared/docs/bench-contract.md): Socket.IO on
// 127.0.0.1:$PORT at /socket.io/ with Node's defaults, and three events on the main
// namespace: "join" (join a room, ack), "bcast" (emit "msg" to a room, ack) and "echo" (ack
// with the payload). Build it to a binary to measure it. PPROF_ADDR, when set, serves
// net/http/pprof there.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // served only on PPROF_ADDR
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/parley-go/parley/socketio"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "3000"
	}
	srv := socketio.NewServer(&socketio.Options{
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	srv.OnConnection(func(s *socketio.Socket) {
		s.On("join", func(e *socketio.Event) {
			var room string
			if e.Bind(&room) == nil {
				s.Join(room)
			}
			_ = e.Ack()
		})
		s.On("bcast", func(e *socketio.Event) {
			var room string
			var payload json.RawMessage
			if e.Bind(&room, &payload) == nil {
				_ = srv.To(room).Emit("msg", payload)
			}
			_ = e.Ack()
		})
		s.On("echo", func(e *socketio.Event) {
			var payload json.RawMessage
			if e.Bind(&payload) == nil {
				_ = e.Ack(payload)
			}
		})
	})
	if addr := os.Getenv("PPROF_ADDR"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("parley bench server (%s, GOMAXPROCS=%d) listening on %s\n", runtime.Version(), runtime.GOMAXPROCS(0), ln.Addr())
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Close(sctx)
	_ = hs.Shutdown(sctx)
}
