// Command socketio is the server the official Socket.IO protocol test suite runs against:
// Socket.IO on localhost:3000 (PORT overrides; 0 picks a free port), path /socket.io/, ping
// interval 300 ms and timeout 200 ms, and on the namespaces "/" and "/custom": an "auth"
// event carrying the handshake's auth payload on connection, "message" echoed back as
// "message-back", and "message-with-ack" acknowledged with its arguments.
//
// It prints {"ev":"listening","addr":...} once it accepts connections, and
// {"ev":"disconnect","nsp":...,"reason":...} for every disconnection.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/parley-go/parley/socketio"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "socketio conformance server:", err)
		os.Exit(1)
	}
}

func run() error {
	port := os.Getenv("PORT")
	if port == "" {
		port = "3000"
	}
	srv := socketio.NewServer(&socketio.Options{
		PingInterval:   300 * time.Millisecond,
		PingTimeout:    200 * time.Millisecond,
		ConnectTimeout: time.Second,
		AllowEIO3:      os.Getenv("ALLOW_EIO3") != "",
		CORS:           &socketio.CORSOptions{Origins: []string{"*"}},
		Logger:         slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	for _, name := range []string{"/", "/custom"} {
		nsp := srv.Of(name)
		nsp.OnConnection(func(s *socketio.Socket) {
			_ = s.Emit("auth", json.RawMessage(s.Handshake().Auth))
			s.On("message", func(e *socketio.Event) {
				args, err := e.Values()
				if err == nil {
					_ = s.Emit("message-back", args...)
				}
			})
			s.On("message-with-ack", func(e *socketio.Event) {
				if args, err := e.Values(); err == nil {
					_ = e.Ack(args...)
				}
			})
			s.OnDisconnect(func(reason socketio.Reason) {
				report(map[string]any{"ev": "disconnect", "nsp": name, "id": s.ID(), "reason": reason})
			})
		})
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("localhost", port))
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	report(map[string]any{"ev": "listening", "addr": ln.Addr().String()})

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = errors.Join(srv.Close(sctx), hs.Shutdown(sctx))
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func report(v map[string]any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}
