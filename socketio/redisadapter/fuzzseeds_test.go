package redisadapter

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestWriteFuzzSeeds regenerates the seed corpora of testdata/fuzz from the captured Node
// traffic when REDISADAPTER_WRITE_SEEDS=1 (the corpora are checked in).
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("REDISADAPTER_WRITE_SEEDS") != "1" {
		t.Skip("set REDISADAPTER_WRITE_SEEDS=1 to rewrite testdata/fuzz")
	}
	var classic []nodeMessage
	readJSON(t, "testdata/node-classic.json", &classic)
	var streams streamsFixtures
	readJSON(t, "testdata/node-streams.json", &streams)
	write := func(target string, vals ...string) {
		h := sha256.New()
		content := "go test fuzz v1\n"
		for _, v := range vals {
			h.Write([]byte(v))
			content += "string(" + strconv.Quote(v) + ")\n"
		}
		if len(vals) == 1 {
			content = "go test fuzz v1\n[]byte(" + strconv.Quote(vals[0]) + ")\n"
		}
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		name := "node-" + hex.EncodeToString(h.Sum(nil))[:16]
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range classic {
		b := string(m.bytes(t))
		write("FuzzUnmarshalMsgpack", b)
		switch {
		case len(m.Channel) > 0 && !strings.Contains(m.Channel, "-request#") && !strings.Contains(m.Channel, "-response#"):
			write("FuzzDecodeClassicBroadcast", b)
		case strings.Contains(m.Channel, "-request#"):
			write("FuzzDecodeClassicRequest", b)
		default:
			write("FuzzDecodeClassicResponse", b)
		}
	}
	for _, m := range streams.PubSub {
		write("FuzzDecodeClusterMessage", string(m.bytes(t)))
	}
	for _, e := range streams.Entries {
		msg := e.Message
		write("FuzzDecodeStreamEntry", msg["uid"], msg["nsp"], msg["type"], msg["data"])
	}
	// Hand-made edge cases.
	for _, h := range []string{"dc", "ddffffffff", "c70cff", "d7ff00", "d4", "c1", "92", "df7fffffff",
		"c9000000ff00", "d3", "93a0c0c0", "9393939393939393"} {
		b, _ := hex.DecodeString(h)
		write("FuzzUnmarshalMsgpack", string(b))
		write("FuzzDecodeClassicBroadcast", string(b))
	}
	for _, s := range []string{`{"type":5}`, `{"type":6,"data":[1]}`, `{"type":2,"sid":"x"}`, `{"type":1e400}`,
		`{"type":7,"packet":{"data":["x"]},"opts":{"flags":{"timeout":"x"}}}`, `{"type":0,"rooms":[1,null,"x"]}`} {
		write("FuzzDecodeClassicRequest", s)
	}
	for _, s := range []string{`{"requestId":"x","sockets":[{"id":"a","handshake":null}]}`, `{"type":9,"packet":null}`,
		`{"requestId":1,"rooms":"x"}`} {
		write("FuzzDecodeClassicResponse", s)
	}
	fmt.Println("fuzz seeds written")
}
