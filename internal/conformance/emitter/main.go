// Command emitter publishes one operation to a Socket.IO cluster through Parley's Redis
// Emitter: the external emitter program of the cluster test server's contract
// (cluster-test-server.md §4). It reads one JSON object from standard input, such as
//
//	{"op":"emit","nsp":"/","rooms":["r2"],"except":["r1"],"volatile":false,"event":"note","args":[]}
//
// and takes the Redis address from REDIS_URL and the channel prefix from REDIS_KEY. In
// args, {"$binary": "<base64>"} stands for binary data, at any depth.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/parley-go/parley/socketio/redisadapter"
)

// operation is the JSON object read from standard input.
type operation struct {
	Op       string            `json:"op"`
	NSP      string            `json:"nsp"`
	Rooms    []string          `json:"rooms"`
	Except   []string          `json:"except"`
	Volatile bool              `json:"volatile"`
	Compress *bool             `json:"compress"`
	Event    string            `json:"event"`
	Args     []json.RawMessage `json:"args"`
	Join     []string          `json:"join"`
	Leave    []string          `json:"leave"`
	Close    bool              `json:"close"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "emitter:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	in, err := io.ReadAll(io.LimitReader(os.Stdin, 64<<20))
	if err != nil {
		return err
	}
	var op operation
	if err := json.Unmarshal(in, &op); err != nil {
		return fmt.Errorf("reading the operation: %w", err)
	}
	args := make([]any, len(op.Args))
	for i, raw := range op.Args {
		if args[i], err = decodeArg(raw); err != nil {
			return fmt.Errorf("argument %d: %w", i, err)
		}
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

	e := redisadapter.NewEmitter(client, &redisadapter.EmitterOptions{Key: os.Getenv("REDIS_KEY")})
	if op.NSP != "" {
		e = e.Of(op.NSP)
	}
	e = e.To(op.Rooms...).Except(op.Except...)
	if op.Volatile {
		e = e.Volatile()
	}
	if op.Compress != nil {
		e = e.Compress(*op.Compress)
	}
	switch op.Op {
	case "emit":
		return e.Emit(ctx, op.Event, args...)
	case "socketsJoin":
		return e.SocketsJoin(ctx, op.Join...)
	case "socketsLeave":
		return e.SocketsLeave(ctx, op.Leave...)
	case "disconnectSockets":
		return e.DisconnectSockets(ctx, op.Close)
	case "serverSideEmit":
		return e.ServerSideEmit(ctx, op.Event, args...)
	}
	return fmt.Errorf("unknown op %q", op.Op)
}

// decodeArg decodes a JSON argument, turning {"$binary": "<base64>"} objects into []byte
// and keeping integers as integers.
func decodeArg(raw json.RawMessage) (any, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return convert(v)
}

func convert(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		return x.Float64()
	case []any:
		for i, e := range x {
			c, err := convert(e)
			if err != nil {
				return nil, err
			}
			x[i] = c
		}
	case map[string]any:
		if b, ok := x["$binary"]; ok && len(x) == 1 {
			s, ok := b.(string)
			if !ok {
				return nil, errors.New(`"$binary" is not a string`)
			}
			return base64.StdEncoding.DecodeString(s)
		}
		for k, e := range x {
			c, err := convert(e)
			if err != nil {
				return nil, err
			}
			x[k] = c
		}
	}
	return v, nil
}
