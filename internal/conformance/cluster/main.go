// Command cluster is Parley's cluster test server (cluster-test-server.md): Socket.IO on
// 127.0.0.1:$PORT whose namespaces "/" and "/second" use the Redis adapter with key
// $REDIS_KEY on $REDIS_URL, with the behaviour of §2 (socket data and rooms from the auth
// payload, relay, a server-side event log) and the /control namespace of §3. Its Node.js
// twin is internal/e2e/cluster/node-server.mjs.
//
// REDIS_ADAPTER chooses the protocol: "classic" (default), "sharded" or "streams" (the
// latter with connection state recovery on, as the streams adapter allows).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/parley-go/parley/internal/conformance/cluster/clustersrv"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "cluster server:", err)
		os.Exit(1)
	}
}

func run() error {
	port := os.Getenv("PORT")
	if port == "" {
		return errors.New("PORT is required")
	}
	name := os.Getenv("NAME")
	if name == "" {
		name = "A"
	}
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379"
	}
	ropts, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	client := redis.NewClient(ropts)
	defer client.Close()

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := clustersrv.New(clustersrv.Config{
		Name: name, Client: client, Key: os.Getenv("REDIS_KEY"), Adapter: os.Getenv("REDIS_ADAPTER"), Logger: log,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	log.Info("cluster server listening", "name", name, "addr", ln.Addr().String())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	err = errors.Join(srv.Close(sctx), hs.Shutdown(sctx))
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
