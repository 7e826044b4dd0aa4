package engineio

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestHandshakePolling(t *testing.T) {
	e := newEnv(t, Options{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond})
	status, body, hdr := e.do("GET", "EIO=4&transport=polling", nil)
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Fatalf("status %d, content type %q", status, hdr.Get("Content-Type"))
	}
	o := parseOpen(t, body)
	if len(o.SID) != 20 || !slices.Equal(o.Upgrades, []string{"websocket"}) || o.PingInterval != 300 || o.PingTimeout != 200 || o.MaxPayload != 1e6 {
		t.Fatalf("open packet %+v", o)
	}
	ev := e.rec.next(t, "open")
	if ev.sid != o.SID || e.srv.SessionCount() != 1 {
		t.Fatalf("open event %+v, count %d", ev, e.srv.SessionCount())
	}
	s := e.rec.session(o.SID)
	if s.Protocol() != 4 || s.Transport() != "polling" || s.Handshake().Query.Get("EIO") != "4" || s.Handshake().RemoteAddr != "127.0.0.1" {
		t.Fatalf("session %v %v %+v", s.Protocol(), s.Transport(), s.Handshake())
	}
}

func TestHandshakeUpgradesList(t *testing.T) {
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{DisableUpgrades: true}, `"upgrades":[]`},
		{Options{Transports: []string{"polling"}}, `"upgrades":[]`},
	} {
		e := newEnv(t, c.opts)
		_, body, _ := e.do("GET", "EIO=4&transport=polling", nil)
		if !strings.Contains(body, c.want) {
			t.Errorf("%+v: %s", c.opts, body)
		}
	}
}

func TestHandshakeMessagesFromOpenFollowOpenPacket(t *testing.T) {
	e := newEnv(t, Options{}, func(r *recorder) {
		r.onOpen = func(s *Session) { _ = s.Send(Message{Data: []byte("welcome")}) }
	})
	_, body, _ := e.do("GET", "EIO=4&transport=polling", nil)
	parts := strings.Split(body, "\x1e")
	if len(parts) != 2 || parts[1] != "4welcome" {
		t.Fatalf("handshake payload %q", body)
	}
}

func TestRequestErrors(t *testing.T) {
	e := newEnv(t, Options{AllowRequest: func(r *http.Request) error {
		switch r.URL.Query().Get("deny") {
		case "plain":
			return errors.New("go away")
		case "custom":
			return &RequestError{Status: http.StatusUnauthorized, Message: "no token"}
		}
		return nil
	}})
	cases := []struct {
		method, query string
		status        int
		body          string
	}{
		{"GET", "EIO=4", 400, `{"code":0,"message":"Transport unknown"}`},
		{"GET", "EIO=4&transport=abc", 400, `{"code":0,"message":"Transport unknown"}`},
		{"GET", "EIO=4&transport=polling&sid=nope", 400, `{"code":1,"message":"Session ID unknown"}`},
		{"POST", "EIO=4&transport=polling", 400, `{"code":2,"message":"Bad handshake method"}`},
		{"PUT", "EIO=4&transport=polling", 400, `{"code":2,"message":"Bad handshake method"}`},
		{"GET", "EIO=4&transport=websocket", 400, `{"code":3,"message":"Bad request"}`},
		{"GET", "EIO=4&transport=polling&deny=plain", 403, `{"code":4,"message":"go away"}`},
		{"GET", "EIO=4&transport=polling&deny=custom", 401, `{"code":4,"message":"no token"}`},
		{"GET", "EIO=3&transport=polling", 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"GET", "transport=polling", 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"GET", "EIO=abc&transport=polling", 400, `{"code":5,"message":"Unsupported protocol version"}`},
	}
	for _, c := range cases {
		status, body, hdr := e.do(c.method, c.query, nil)
		if status != c.status || body != c.body || hdr.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d %s (%s), want %d %s", c.method, c.query, status, body, hdr.Get("Content-Type"), c.status, c.body)
		}
	}
	// A wrong path is not ours.
	res, err := http.Get(e.hs.URL + "/other/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("other path: %d", res.StatusCode)
	}
	if e.srv.SessionCount() != 0 {
		t.Errorf("refused requests opened sessions: %d", e.srv.SessionCount())
	}
}

func TestTransportMismatch(t *testing.T) {
	e := newEnv(t, Options{Transports: []string{"polling"}})
	status, body, _ := e.do("GET", "EIO=4&transport=websocket", nil)
	if status != 400 || !strings.Contains(body, `"code":0`) {
		t.Fatalf("websocket disabled: %d %s", status, body)
	}
}

func TestCORS(t *testing.T) {
	e := newEnv(t, Options{CORS: &CORSOptions{
		Origins: []string{"https://good.example"}, Credentials: true,
		ExposedHeaders: []string{"X-Id"}, MaxAge: time.Hour,
	}})
	status, _, hdr := e.do("OPTIONS", "EIO=4&transport=polling", nil,
		"Origin", "https://good.example", "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "content-type")
	if status != 204 || hdr.Get("Access-Control-Allow-Origin") != "https://good.example" ||
		hdr.Get("Access-Control-Allow-Credentials") != "true" ||
		hdr.Get("Access-Control-Allow-Methods") != "GET,HEAD,PUT,PATCH,POST,DELETE" ||
		hdr.Get("Access-Control-Allow-Headers") != "content-type" || hdr.Get("Access-Control-Max-Age") != "3600" {
		t.Fatalf("preflight: %d %v", status, hdr)
	}
	status, _, hdr = e.do("GET", "EIO=4&transport=polling", nil, "Origin", "https://good.example")
	if status != 200 || hdr.Get("Access-Control-Allow-Origin") != "https://good.example" || hdr.Get("Access-Control-Expose-Headers") != "X-Id" {
		t.Fatalf("allowed origin: %d %v", status, hdr)
	}
	_, _, hdr = e.do("GET", "EIO=4&transport=polling", nil, "Origin", "https://evil.example")
	if hdr.Get("Access-Control-Allow-Origin") != "" || !slices.Contains(hdr.Values("Vary"), "Origin") {
		t.Fatalf("refused origin: %v", hdr)
	}

	star := newEnv(t, Options{CORS: &CORSOptions{Origins: []string{"*"}}})
	_, _, hdr = star.do("GET", "EIO=4&transport=polling", nil, "Origin", "https://any.example")
	if hdr.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("star: %v", hdr)
	}
	fn := newEnv(t, Options{CORS: &CORSOptions{AllowOrigin: func(o string) bool { return strings.HasSuffix(o, ".ok") }}})
	_, _, hdr = fn.do("GET", "EIO=4&transport=polling", nil, "Origin", "http://a.ok")
	if hdr.Get("Access-Control-Allow-Origin") != "http://a.ok" {
		t.Fatalf("func: %v", hdr)
	}
}

func TestCookie(t *testing.T) {
	e := newEnv(t, Options{Cookie: &CookieOptions{HTTPOnly: true}})
	_, body, hdr := e.do("GET", "EIO=4&transport=polling", nil)
	sid := parseOpen(t, body).SID
	if c := hdr.Get("Set-Cookie"); !strings.HasPrefix(c, "io="+sid) || !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") {
		t.Fatalf("cookie %q", c)
	}
	off := newEnv(t, Options{})
	if _, _, hdr := off.do("GET", "EIO=4&transport=polling", nil); hdr.Get("Set-Cookie") != "" {
		t.Fatal("cookie sent by default")
	}
}
