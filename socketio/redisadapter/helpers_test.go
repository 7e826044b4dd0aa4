package redisadapter

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// nodeMessage is one Pub/Sub message captured from Node (testdata/node-*.json, made by
// internal/e2e/cluster/capture-fixtures.mjs).
type nodeMessage struct {
	Label   string `json:"label"`
	Channel string `json:"channel"`
	Hex     string `json:"hex"`
}

func (m nodeMessage) bytes(t testing.TB) []byte {
	b, err := hex.DecodeString(m.Hex)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// classicFixtures returns the captured classic messages of a label, in order.
func classicFixtures(t testing.TB, label string) []nodeMessage {
	t.Helper()
	var all []nodeMessage
	readJSON(t, "testdata/node-classic.json", &all)
	var out []nodeMessage
	for _, m := range all {
		if m.Label == label {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no fixture %q", label)
	}
	return out
}

type streamsFixtures struct {
	PubSub  []nodeMessage `json:"pubsub"`
	Entries []struct {
		ID      string            `json:"id"`
		Message map[string]string `json:"message"`
	} `json:"entries"`
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// startRedis starts a private redis-server for the test on a free port of 43000-43999 and
// returns a client of it. The test is skipped when redis-server is not on PATH (make test
// installs it: mk/redis.mk).
func startRedis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not on PATH: install it (make redis-server, or apt-get install -y redis-server) to run this test")
	}
	port := freePort(t)
	cmd := exec.Command(path, "--port", fmt.Sprint(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	client := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = client.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := client.Ping(ctx).Err()
		cancel()
		if err == nil {
			return client, addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not answer: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort(t testing.TB) int {
	for range 200 {
		port := 43000 + rand.IntN(1000)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			_ = l.Close()
			return port
		}
	}
	t.Fatal("no free port in 43000-43999")
	return 0
}

// recorder is a Publisher that keeps what it is given.
type recorder struct {
	msgs []published
	err  error
}

type published struct {
	channel string
	payload []byte
}

func (r *recorder) Publish(ctx context.Context, channel string, message any) *redis.IntCmd {
	cmd := redis.NewIntCmd(ctx, "publish", channel, message)
	if r.err != nil {
		cmd.SetErr(r.err)
		return cmd
	}
	r.msgs = append(r.msgs, published{channel, message.([]byte)})
	cmd.SetVal(1)
	return cmd
}
