package engineio

import (
	"sync"
	"testing"

	"github.com/gorilla/websocket"
)

// benchEnv is newEnv for benchmarks (testing.B has the same cleanup hooks).
func benchEnv(b *testing.B, echo bool) *env {
	return newEnvTB(b, Options{}, func(r *recorder) { r.echo = echo; r.quiet = true })
}

// BenchmarkWebSocketEcho: one round trip of a small text message per op.
func BenchmarkWebSocketEcho(b *testing.B) {
	e := benchEnv(b, true)
	c := e.dialTB(b, "EIO=4&transport=websocket")
	if _, _, err := c.ReadMessage(); err != nil {
		b.Fatal(err)
	}
	msg := []byte(`4["chat",{"text":"hello"}]`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
			b.Fatal(err)
		}
		for {
			_, m, err := c.ReadMessage()
			if err != nil {
				b.Fatal(err)
			}
			if len(m) > 1 && m[0] == '4' {
				break
			}
		}
	}
}

// BenchmarkFanOut: one shared message sent to 100 WebSocket sessions per op.
func BenchmarkFanOut(b *testing.B) {
	const n = 100
	e := benchEnv(b, false)
	var sessions []*Session
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		c := e.dialTB(b, "EIO=4&transport=websocket")
		if _, _, err := c.ReadMessage(); err != nil {
			b.Fatal(err)
		}
		ev := <-e.rec.events
		sessions = append(sessions, e.rec.session(ev.sid))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for got := 0; got < b.N; {
				_, m, err := c.ReadMessage()
				if err != nil {
					return
				}
				if m[0] == '4' {
					got++
				}
			}
		}()
	}
	msg := Message{Data: []byte(`["news",{"id":1,"text":"hello everyone"}]`)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, s := range sessions {
			_ = s.Send(msg)
		}
	}
	wg.Wait()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/delivery")
}
