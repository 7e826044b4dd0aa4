package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestWSConnFrames runs the tool's WebSocket client against gorilla's server: fragmented
// messages, control frames between fragments' messages, 16- and 64-bit lengths, masking of
// what the client sends, and the Engine.IO ping answered inside ReadFrame.
func TestWSConnFrames(t *testing.T) {
	big := strings.Repeat("x", 70000)
	mid := strings.Repeat("y", 300)
	got := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up := websocket.Upgrader{WriteBufferSize: 128} // small: gorilla fragments longer messages
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.WriteMessage(websocket.TextMessage, []byte(`0{"sid":"s"}`))
		if _, m, err := c.ReadMessage(); err != nil || string(m) != "40" {
			got <- "no 40"
			return
		}
		_ = c.WriteMessage(websocket.TextMessage, []byte(`40{"sid":"n"}`))
		_ = c.WriteControl(websocket.PingMessage, []byte("hi"), time.Now().Add(time.Second))
		_ = c.WriteMessage(websocket.TextMessage, []byte{eioPing})
		_ = c.WriteMessage(websocket.TextMessage, []byte(mid)) // fragmented
		_ = c.WriteMessage(websocket.TextMessage, []byte(big))
		_ = c.WriteMessage(websocket.TextMessage, []byte("4short"))
		for range 2 {
			_, m, err := c.ReadMessage()
			if err != nil {
				got <- err.Error()
				return
			}
			got <- string(m)
		}
	}))
	defer srv.Close()
	base, _ := url.Parse(srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := dialWS(ctx, newDialer(512), wsURL(base))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, want := range []string{mid, big, "4short"} {
		f, err := c.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(f, []byte(want)) {
			t.Fatalf("got %d bytes %.20q, want %d bytes %.20q", len(f), f, len(want), want)
		}
	}
	if m := <-got; m != string([]byte{eioPong}) {
		t.Fatalf("server got %q first, want the pong", m)
	}
	if err := c.Write([]byte(big)); err != nil {
		t.Fatal(err)
	}
	if m := <-got; m != big {
		t.Fatalf("server got %d bytes, want %d", len(m), len(big))
	}
}

func TestCheckUpgrade(t *testing.T) {
	const key = "dGhlIHNhbXBsZSBub25jZQ==" // RFC 6455's example
	ok := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
	if err := checkUpgrade([]byte(ok), key); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		"HTTP/1.1 400 Bad Request\r\n\r\n",
		"HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: nope\r\n\r\n",
		"HTTP/1.1 101 Switching Protocols\r\n\r\n",
	} {
		if checkUpgrade([]byte(bad), key) == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
