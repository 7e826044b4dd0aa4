package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakeServer is a minimal server of the benchmark contract over WebSocket, with faults to
// inject into what its first room member receives: it drops every dropEvery-th message, or
// swaps each pair of messages.
type fakeServer struct {
	dropEvery int
	swap      bool

	mu      sync.Mutex
	members []*fakeConn // room members in joining order (one room is enough here)
}

type fakeConn struct {
	c    *websocket.Conn
	wmu  sync.Mutex
	n    int    // messages routed to this member (under fakeServer.mu)
	held []byte // swap: a message waiting for the next one
}

func (f *fakeConn) write(b []byte) {
	f.wmu.Lock()
	defer f.wmu.Unlock()
	_ = f.c.WriteMessage(websocket.TextMessage, b)
}

func (s *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{}
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	fc := &fakeConn{c: c}
	fc.write([]byte(`0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`))
	if _, m, err := c.ReadMessage(); err != nil || string(m) != "40" {
		return
	}
	fc.write([]byte(`40{"sid":"n"}`))
	fc.write([]byte{eioPing}) // the client must answer, and not take it for a message
	for {
		_, m, err := c.ReadMessage()
		if err != nil {
			return
		}
		if len(m) == 1 && m[0] == eioPong {
			continue
		}
		s.handle(fc, m)
	}
}

func (s *fakeServer) handle(fc *fakeConn, m []byte) {
	if !bytes.HasPrefix(m, []byte("42")) {
		return
	}
	k := bytes.IndexByte(m, '[')
	id := string(m[2:k])
	var args []json.RawMessage
	if json.Unmarshal(m[k:], &args) != nil || len(args) == 0 {
		return
	}
	var name string
	_ = json.Unmarshal(args[0], &name)
	switch name {
	case "join":
		s.mu.Lock()
		s.members = append(s.members, fc)
		s.mu.Unlock()
		fc.write([]byte("43" + id + "[]"))
	case "echo":
		fc.write([]byte("43" + id + "[" + string(args[1]) + "]"))
	case "bcast":
		msg := []byte(`42["msg",` + string(args[2]) + `]`)
		s.mu.Lock()
		for k, mb := range s.members {
			mb.n++
			if k == 0 && s.dropEvery > 0 && mb.n%s.dropEvery == 0 {
				continue
			}
			if k == 0 && s.swap {
				if mb.held == nil {
					mb.held = msg
					continue
				}
				mb.write(msg)
				mb.write(mb.held)
				mb.held = nil
				continue
			}
			mb.write(msg)
		}
		s.mu.Unlock()
		fc.write([]byte("43" + id + "[]"))
	}
}

func testConfig(t *testing.T, srv *httptest.Server, scenario string) *config {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config{base: u, scenario: scenario, mode: "max", conns: 20, concurrency: 5,
		receivers: 4, senders: 2, clients: 3, duration: 300 * time.Millisecond,
		warmup: 50 * time.Millisecond, hold: 50 * time.Millisecond, drain: 2 * time.Second,
		payload: 100, room: "r", quiet: true}
	if err := checkConfig(cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestFanoutAgainstFakeServer(t *testing.T) {
	for _, tc := range []struct {
		name string
		srv  *fakeServer
	}{
		{"clean", &fakeServer{}},
		{"drops", &fakeServer{dropEvery: 7}},
		{"swaps", &fakeServer{swap: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := httptest.NewServer(tc.srv)
			defer hs.Close()
			cfg := testConfig(t, hs, "fanout")
			if tc.name == "clean" {
				cfg.rxClock = "kernel"
			}
			res := runFanout(context.Background(), cfg)
			if res.FailedHS != 0 || res.Errors != 0 {
				t.Fatalf("failed handshakes %d, errors %d (%s)", res.FailedHS, res.Errors, res.FirstError)
			}
			switch tc.name {
			case "clean":
				if res.Ops == 0 || res.Sent == 0 || !res.OK() || res.P50Us <= 0 {
					t.Errorf("clean run: %s", res.human())
				}
				if want := wantKernelClock(); res.RxClock != want {
					t.Errorf("clean run: rx clock %q, want %q", res.RxClock, want)
				}
			case "drops":
				// Every 7th message routed to receiver 0 is dropped; each lost message also
				// holds a slot of its sender's delivery window for good, so the senders stall
				// after a few losses: what matters is that the losses are counted.
				if res.Lost == 0 || res.Reordered != 0 {
					t.Errorf("drops: %s", res.human())
				}
			case "swaps":
				// The fake holds the last message it got for receiver 0 until the next one:
				// at the end one message may stay held (lost).
				if res.Reordered == 0 || res.Lost > 1 || res.Ops == 0 {
					t.Errorf("swaps: %s", res.human())
				}
			}
		})
	}
}

func TestEchoAndConnsAgainstFakeServer(t *testing.T) {
	hs := httptest.NewServer(&fakeServer{})
	defer hs.Close()
	for _, mode := range []string{"max", "rate"} {
		cfg := testConfig(t, hs, "echo")
		cfg.mode, cfg.rate, cfg.rxClock = mode, 300, "auto"
		if err := checkConfig(cfg); err != nil {
			t.Fatal(err)
		}
		res := runEcho(context.Background(), cfg)
		if !res.OK() || res.Ops == 0 || res.P50Us <= 0 {
			t.Errorf("echo %s: %s", mode, res.human())
		}
		want := "tool" // auto: the tool's clock at max rate, the kernel's in rate mode
		if mode == "rate" {
			want = wantKernelClock()
		}
		if res.RxClock != want {
			t.Errorf("echo %s: rx clock %q, want %q", mode, res.RxClock, want)
		}
	}
	res := runConns(context.Background(), testConfig(t, hs, "conns"))
	if !res.OK() || res.Ops != 20 {
		t.Errorf("conns: %s", res.human())
	}
}

func TestReadyFailsWithoutServer(t *testing.T) {
	hs := httptest.NewServer(http.NotFoundHandler())
	u, _ := url.Parse(hs.URL)
	hs.Close()
	if ready(context.Background(), &config{base: u}) == 0 {
		t.Error("ready succeeded against a closed port")
	}
}

// wantKernelClock is the RxClock of a run that asked for kernel receive timestamps.
func wantKernelClock() string {
	if runtime.GOOS == "linux" {
		return "kernel"
	}
	return "tool"
}
