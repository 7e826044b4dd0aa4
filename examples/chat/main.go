// Command chat is Parley's example: the real-time chat of the Socket.IO reference listing,
// event for event, with message history, rooms, typing indicators, private messages with
// delivery acknowledgements, Server-Sent Events notifications and optional handshake
// authentication. Run it with
//
//	go run ./examples/chat
//
// and open http://localhost:3000. It needs no database or service: history is kept in an
// SQLite file (pure Go). Flags, or the environment variables in brackets:
//
//	PORT                 port to listen on (default 3000; 0 picks a free one)
//	HOST                 address to listen on (default: every interface)
//	-db path             history database file [CHAT_DB] (default chat.db)
//	-auth-secret s       turn handshake authentication on [CHAT_AUTH_SECRET]
//	-token-ttl d         how long a login token is valid [CHAT_TOKEN_TTL] (default 24h)
//	-client-dir dir      serve socket.io.min.js from dir instead of the CDN [CHAT_CLIENT_DIR]
//	-redis url           run on the Redis adapter, history in Redis [REDIS_URL]
//	-redis-key k         prefix of the Redis channels and keys [CHAT_REDIS_KEY] (default chat)
//
// With -redis, several chat servers on the same Redis (and key) act as one chat: the online
// list, broadcasts, rooms, typing, private messages, history and the SSE notices span every
// server. When Redis cannot be reached, each server still serves its own sockets.
package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/parley-go/parley/socketio"
	"github.com/parley-go/parley/socketio/redisadapter"
	"github.com/parley-go/parley/socketio/sse"
)

//go:embed public
var publicFiles embed.FS

// clientCDN is the socket.io client the page loads (pinned; index.html carries its SRI hash).
const clientCDN = "https://cdn.jsdelivr.net/npm/socket.io-client@4.8.4/dist/socket.io.min.js"

// clientLocal is where the page finds the client when -client-dir is set.
const clientLocal = "/vendor/socket.io.min.js"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "chat:", err)
		os.Exit(1)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func run() error {
	ttlDefault := 24 * time.Hour
	if v := os.Getenv("CHAT_TOKEN_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("CHAT_TOKEN_TTL: %w", err)
		}
		ttlDefault = d
	}
	dbPath := flag.String("db", envOr("CHAT_DB", "chat.db"), "history database file (SQLite)")
	secret := flag.String("auth-secret", os.Getenv("CHAT_AUTH_SECRET"), "secret that signs login tokens; turns handshake authentication on")
	ttl := flag.Duration("token-ttl", ttlDefault, "how long a login token is valid")
	clientDir := flag.String("client-dir", os.Getenv("CHAT_CLIENT_DIR"), "serve socket.io.min.js from this directory instead of the CDN (offline use, tests)")
	redisURL := flag.String("redis", os.Getenv("REDIS_URL"), "Redis URL (redis://host:port/db): run on the Redis adapter with the history in Redis, so that several chat servers act as one")
	redisKey := flag.String("redis-key", envOr("CHAT_REDIS_KEY", "chat"), "prefix of the Redis channels and keys (servers with the same one form one chat)")
	flag.Parse()
	port := envOr("PORT", "3000")
	host := os.Getenv("HOST")
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	// The reference's settings: CORS open to any origin, ping every 25 s, 60 s to answer.
	opts := &socketio.Options{
		PingInterval: 25 * time.Second,
		PingTimeout:  60 * time.Second,
		CORS:         &socketio.CORSOptions{Origins: []string{"*"}, Methods: []string{"GET", "POST"}},
		Logger:       log,
	}
	var history History
	historyAt := *dbPath
	var redisDown func() bool
	if *redisURL != "" {
		ropts, err := redis.ParseURL(*redisURL)
		if err != nil {
			return fmt.Errorf("-redis: %w", err)
		}
		// go-redis would print each failed dial; the chat logs the outage itself, once.
		redis.SetLogger(redisDebugLog{log})
		client := redis.NewClient(ropts)
		defer client.Close()
		redisDown = watchRedis(client, ropts.Addr, log)
		// One adapter per server: every namespace shares its subscriber and publisher.
		opts.Adapter = redisadapter.New(client, redisadapter.Options{Key: *redisKey, Logger: log})
		rh := newRedisHistory(client, *redisKey, historySize)
		rh.down = redisDown
		history = rh
		historyAt = "redis " + ropts.Addr + " (key " + *redisKey + ")"
	} else {
		h, err := openSQLiteHistory(*dbPath)
		if err != nil {
			return err
		}
		history = h
	}
	defer history.Close()

	io := socketio.NewServer(opts)
	// The reference's heartbeat, plus the chat's join and leave notices as named events.
	feed := sse.NewFeed(sse.Options{
		Heartbeat:     5 * time.Second,
		HeartbeatData: heartbeat,
		History:       500,
	})

	var auth *tokenAuth
	if *secret != "" {
		auth = &tokenAuth{secret: []byte(*secret), ttl: *ttl, now: time.Now}
		io.Use(auth.middleware)
	}
	chat := newChat(io, history, feed, auth != nil, log)
	chat.Isolated = redisDown
	io.OnConnection(chat.Connect)

	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io)
	mux.Handle("GET /api/events", feed)
	mux.HandleFunc("GET /api/config", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]bool{"auth": auth != nil})
	})
	if auth != nil {
		mux.HandleFunc("/api/login", auth.handleLogin)
	}
	if err := mountPage(mux, *clientDir); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return err
	}
	httpServer := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpServer.Serve(ln) }()

	shown := host
	if shown == "" || shown == "0.0.0.0" || shown == "::" {
		shown = "localhost"
	}
	mode := "off"
	if auth != nil {
		mode = "on"
	}
	fmt.Printf("Chat running on http://%s (history in %s, auth %s)\n",
		net.JoinHostPort(shown, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)), historyAt, mode)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	stop() // a second Ctrl-C kills at once
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Close the long-lived connections first, so that the HTTP server's shutdown does not
	// wait on them: sockets are told the server is going away, SSE streams end.
	chat.Close()
	errs := []error{io.Close(shutdownCtx), feed.Close(shutdownCtx)}
	if err := httpServer.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// watchRedis checks Redis at start and then every few seconds, and logs when it becomes
// unreachable and when it is back. Meanwhile the chat serves its own sockets: the adapter
// delivers locally, drops what was meant for the other servers, and resubscribes by itself;
// history reads and writes fail (and are logged) until Redis answers again. It returns
// whether Redis was unreachable at the last check.
func watchRedis(client *redis.Client, addr string, log *slog.Logger) func() bool {
	ping := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return client.Ping(ctx).Err()
	}
	err := ping()
	if err != nil {
		log.Error("redis unreachable: serving this server's sockets only (no other servers, no history) until it answers",
			"addr", addr, "err", err)
	} else {
		log.Info("redis connected", "addr", addr)
	}
	var down atomic.Bool
	down.Store(err != nil)
	go func() {
		for {
			time.Sleep(2 * time.Second)
			err := ping()
			switch {
			case errors.Is(err, redis.ErrClosed):
				return
			case err != nil && !down.Load():
				down.Store(true)
				log.Error("redis unreachable: serving this server's sockets only until it answers", "addr", addr, "err", err)
			case err == nil && down.Load():
				down.Store(false)
				log.Info("redis reachable again: the chat spans every server", "addr", addr)
			}
		}
	}()
	return down.Load
}

// redisDebugLog passes go-redis's own messages to the chat's logger at debug level.
type redisDebugLog struct{ log *slog.Logger }

func (l redisDebugLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
}

// heartbeat is the data of the SSE heartbeat, byte for byte what the reference writes:
// JSON.stringify({timestamp: Date.now(), message: "heartbeat"}).
func heartbeat(now time.Time) any {
	return struct {
		Timestamp int64  `json:"timestamp"`
		Message   string `json:"message"`
	}{now.UnixMilli(), "heartbeat"}
}

// mountPage serves the web page at / from the embedded public directory. With clientDir,
// the page loads the socket.io client from that directory (same file, same SRI hash) rather
// than from the CDN.
func mountPage(mux *http.ServeMux, clientDir string) error {
	static, err := fs.Sub(publicFiles, "public")
	if err != nil {
		return err
	}
	index, err := fs.ReadFile(static, "index.html")
	if err != nil {
		return err
	}
	if clientDir != "" {
		if _, err := os.Stat(clientDir + "/socket.io.min.js"); err != nil {
			return fmt.Errorf("-client-dir: %w", err)
		}
		index = bytes.ReplaceAll(index, []byte(clientCDN), []byte(clientLocal))
		mux.HandleFunc("GET "+clientLocal, func(w http.ResponseWriter, r *http.Request) {
			http.ServeFile(w, r, clientDir+"/socket.io.min.js")
		})
	}
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(index)
	})
	mux.Handle("/", http.FileServerFS(static))
	return nil
}

// middleware refuses a Socket.IO connection whose handshake auth has no valid token, before
// the chat sends it anything: the client gets connect_error with the reason as its message.
// The username from the token is kept in the socket's data.
func (a *tokenAuth) middleware(s *socketio.Socket) error {
	var auth struct {
		Token string `json:"token"`
	}
	_ = s.Handshake().BindAuth(&auth) // a malformed payload counts as no token
	name, err := a.verify(auth.Token)
	if err != nil {
		return socketio.NewConnectError(err.Error(), nil)
	}
	s.SetData(member{Verified: name})
	return nil
}
