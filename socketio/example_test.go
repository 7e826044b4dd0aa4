package socketio_test

import (
	"context"
	"errors"
	"log"
	"net/http"
	"regexp"
	"time"

	"github.com/parley-go/parley/socketio"
)

// A chat message as the client sends it.
type ChatMessage struct {
	Text string `json:"text"`
	Room string `json:"room,omitempty"`
}

// Mounting the server on net/http and handling events with typed arguments.
func Example() {
	srv := socketio.NewServer(&socketio.Options{
		CORS: &socketio.CORSOptions{Origins: []string{"*"}},
	})
	srv.OnConnection(func(s *socketio.Socket) {
		s.On("chat:message", socketio.Handle(func(e *socketio.Event, m ChatMessage) {
			if m.Room != "" {
				_ = srv.To(m.Room).Emit("chat:message", m) // the room, the sender included
				return
			}
			_ = s.Broadcast().Emit("chat:message", m) // everyone but the sender
		}))
		s.On("room:join", socketio.Handle(func(e *socketio.Event, room string) { s.Join(room) }))
	})

	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv)
	hs := &http.Server{Addr: "127.0.0.1:3000", Handler: mux}
	go func() { _ = hs.ListenAndServe() }()

	// ... on shutdown:
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Close(ctx) // every socket disconnects with "server shutting down"
	_ = hs.Shutdown(ctx)
}

// Answering the client's acknowledgement, and waiting for the client's.
func ExampleEvent_Ack() {
	srv := socketio.NewServer(nil)
	srv.OnConnection(func(s *socketio.Socket) {
		// client: const reply = await socket.emitWithAck("sum", 1, 2)
		s.On("sum", func(e *socketio.Event) {
			var a, b float64
			if err := e.Bind(&a, &b); err != nil {
				_ = e.Ack(map[string]string{"error": err.Error()})
				return
			}
			_ = e.Ack(a + b)
		})

		// the server asks; the client answers with socket.on("whoami", (cb) => cb(name))
		go func() {
			ctx, cancel := context.WithTimeout(s.Context(), 5*time.Second)
			defer cancel()
			reply, err := s.EmitWithAck(ctx, "whoami")
			if errors.Is(err, socketio.ErrAckTimeout) {
				log.Println("no answer in time")
				return
			}
			var name string
			if err == nil && reply.Bind(&name) == nil {
				log.Println(s.ID(), "is", name)
			}
		}()
	})
}

// Refusing connections in the handshake: the client's connect_error gets the message and
// the data.
func ExampleNamespace_Use() {
	srv := socketio.NewServer(nil)
	admin := srv.Of("/admin")
	admin.Use(func(s *socketio.Socket) error {
		var auth struct {
			Token string `json:"token"`
		}
		if err := s.Handshake().BindAuth(&auth); err != nil || auth.Token != "secret" {
			return socketio.NewConnectError("not authorized", map[string]string{"code": "E_AUTH"})
		}
		s.SetData(map[string]string{"role": "admin"})
		return nil
	})
}

// Broadcasting to every socket of a room and collecting their acknowledgements.
func ExampleBroadcastOperator_EmitWithAck() {
	srv := socketio.NewServer(nil)
	replies, err := srv.To("voters").Timeout(2*time.Second).EmitWithAck(context.Background(), "vote?", "lunch")
	if errors.Is(err, socketio.ErrAckTimeout) {
		log.Printf("only %d answered in time", len(replies))
	}
	for _, r := range replies {
		var choice string
		_ = r.Bind(&choice)
	}
}

// Dynamic namespaces: one namespace per workspace, sharing middleware.
func ExampleServer_OfRegexp() {
	srv := socketio.NewServer(nil)
	workspaces := srv.OfRegexp(regexp.MustCompile(`^/workspace-\d+$`))
	workspaces.OnConnection(func(s *socketio.Socket) {
		_ = s.Namespace().Emit("joined", s.ID()) // only this workspace
	})
}
