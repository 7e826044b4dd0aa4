// Command engineio is the Engine.IO server the official engine.io-protocol test suite and the
// end-to-end tests run against: path /engine.io/, ping interval 300 ms and timeout 200 ms (by
// default), every message echoed back as it came (text as text, binary as binary).
//
// It listens on localhost:3000 (PORT overrides the port; -addr overrides both) and prints JSON
// lines on stdout: {"ev":"listening","addr":...} once listening, then {"ev":"open",...} and
// {"ev":"close","sid":...,"reason":...} for every session. The message "close-me" makes the
// server close that session instead of echoing it. SIGINT or SIGTERM shuts it down cleanly.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/parley-go/parley/internal/engineio"
)

var (
	outMu sync.Mutex
	enc   = json.NewEncoder(os.Stdout)
)

func emit(v map[string]any) {
	outMu.Lock()
	defer outMu.Unlock()
	_ = enc.Encode(v)
}

type handler struct{}

func (handler) Open(s *engineio.Session) engineio.SessionHandler {
	emit(map[string]any{"ev": "open", "sid": s.ID(), "transport": s.Transport(), "protocol": s.Protocol()})
	return &session{s: s}
}

type session struct{ s *engineio.Session }

func (h *session) OnMessage(data []byte, binary bool) {
	if !binary && string(data) == "close-me" {
		h.s.Close()
		return
	}
	// data is only valid during the call: the echo needs its own copy.
	_ = h.s.Send(engineio.Message{Data: append([]byte(nil), data...), Binary: binary})
}

func (h *session) OnClose(reason engineio.Reason, err error) {
	ev := map[string]any{"ev": "close", "sid": h.s.ID(), "reason": string(reason), "transport": h.s.Transport()}
	if err != nil {
		ev["error"] = err.Error()
	}
	emit(ev)
}

func main() {
	addr := "localhost:3000"
	if p := os.Getenv("PORT"); p != "" {
		addr = "localhost:" + p
	}
	flag.StringVar(&addr, "addr", addr, "listen address")
	pingInterval := flag.Duration("ping-interval", 300*time.Millisecond, "ping interval")
	pingTimeout := flag.Duration("ping-timeout", 200*time.Millisecond, "ping timeout")
	eio3 := flag.Bool("eio3", false, "accept Engine.IO v3 clients")
	maxPayload := flag.Int64("max-payload", 1_000_000, "largest message or POST body")
	deflate := flag.Bool("deflate", false, "offer WebSocket per-message deflate")
	flag.Parse()

	srv := engineio.NewServer(engineio.Options{
		PingInterval:      *pingInterval,
		PingTimeout:       *pingTimeout,
		MaxPayload:        *maxPayload,
		AllowEIO3:         *eio3,
		PerMessageDeflate: *deflate,
		Handler:           handler{},
		Logger:            slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(ln); err != nil && err != http.ErrServerClosed {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}()
	emit(map[string]any{"ev": "listening", "addr": ln.Addr().String()})

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = srv.Close(ctx)
	_ = hs.Shutdown(ctx)
	<-done
	emit(map[string]any{"ev": "stopped"})
}
