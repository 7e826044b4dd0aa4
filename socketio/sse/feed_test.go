package sse

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// frame is one parsed text/event-stream event.
type frame struct {
	id, event, data string
}

// reader parses an event stream the way EventSource does (comments skipped).
type reader struct {
	sc *bufio.Scanner
}

func (r *reader) next(t *testing.T) frame {
	t.Helper()
	var f frame
	var data []string
	for r.sc.Scan() {
		line := r.sc.Text()
		switch {
		case line == "":
			if f.id == "" && f.event == "" && data == nil {
				continue // comment-only or retry block
			}
			f.data = strings.Join(data, "\n")
			return f
		case strings.HasPrefix(line, ":"), strings.HasPrefix(line, "retry:"):
		case strings.HasPrefix(line, "id: "):
			f.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			f.event = line[7:]
		case strings.HasPrefix(line, "data: "):
			data = append(data, line[6:])
		default:
			t.Fatalf("unexpected line %q", line)
		}
	}
	t.Fatalf("stream ended: %v", r.sc.Err())
	return f
}

func subscribe(t *testing.T, ctx context.Context, url, lastID string) (*http.Response, *reader) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Fatalf("cache control %q", cc)
	}
	return resp, &reader{sc: bufio.NewScanner(resp.Body)}
}

func waitSubscribers(t *testing.T, f *Feed, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for f.Subscribers() != n {
		if time.Now().After(deadline) {
			t.Fatalf("subscribers = %d, want %d", f.Subscribers(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPublishAndResume(t *testing.T) {
	feed := NewFeed(Options{History: 4})
	srv := httptest.NewServer(feed)
	defer srv.Close()
	defer feed.Close(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	_, r := subscribe(t, ctx, srv.URL, "")
	waitSubscribers(t, feed, 1)
	for i := 1; i <= 6; i++ {
		if _, err := feed.Publish("note", map[string]int{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 6; i++ {
		f := r.next(t)
		if f.id != strconv.Itoa(i) || f.event != "note" || f.data != `{"n":`+strconv.Itoa(i)+`}` {
			t.Fatalf("event %d = %+v", i, f)
		}
	}

	// Resume after id 3: history keeps 4 events (3..6), so 4, 5, 6 come back in order.
	_, r2 := subscribe(t, ctx, srv.URL, "3")
	for i := 4; i <= 6; i++ {
		if f := r2.next(t); f.id != strconv.Itoa(i) {
			t.Fatalf("resumed event = %+v, want id %d", f, i)
		}
	}
	waitSubscribers(t, feed, 2)
	feed.Publish("note", 7)
	if f := r2.next(t); f.id != "7" || f.data != "7" {
		t.Fatalf("live event after resume = %+v", f)
	}
}

func TestHeartbeatHasNoID(t *testing.T) {
	feed := NewFeed(Options{
		Heartbeat: 20 * time.Millisecond,
		HeartbeatData: func(now time.Time) any {
			return struct {
				Timestamp int64  `json:"timestamp"`
				Message   string `json:"message"`
			}{now.UnixMilli(), "heartbeat"}
		},
	})
	srv := httptest.NewServer(feed)
	defer srv.Close()
	defer feed.Close(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, r := subscribe(t, ctx, srv.URL, "")
	f := r.next(t)
	if f.id != "" || f.event != "" {
		t.Fatalf("heartbeat carries id/event: %+v", f)
	}
	var hb struct {
		Timestamp int64  `json:"timestamp"`
		Message   string `json:"message"`
	}
	if err := json.Unmarshal([]byte(f.data), &hb); err != nil || hb.Message != "heartbeat" || hb.Timestamp == 0 {
		t.Fatalf("heartbeat data %q (%v)", f.data, err)
	}
}

func TestSlowSubscriberIsDropped(t *testing.T) {
	feed := NewFeed(Options{SubscriberBuffer: 2, History: 1000})
	defer feed.Close(context.Background())
	sub, _, ok := feed.subscribe(0, false)
	if !ok {
		t.Fatal("subscribe refused")
	}
	defer feed.unsubscribe(sub)
	for i := 0; i < 5; i++ {
		feed.Publish("x", i)
	}
	select {
	case <-sub.dropped:
	default:
		t.Fatal("a subscriber that cannot keep up was not dropped")
	}
	if feed.Subscribers() != 0 {
		t.Fatalf("dropped subscriber still counted")
	}
}

func TestMultilineDataAndBadName(t *testing.T) {
	var buf bytes.Buffer
	appendEvent(&buf, Event{ID: 9, Name: "n", Data: []byte("a\nb\r\nc")})
	want := "id: 9\nevent: n\ndata: a\ndata: b\ndata: c\n\n"
	if buf.String() != want {
		t.Fatalf("got %q want %q", buf.String(), want)
	}
	feed := NewFeed(Options{})
	if _, err := feed.Publish("bad\nname", 1); err == nil {
		t.Fatal("event name with a line break accepted")
	}
}

func TestCloseEndsStreamsAndRefuses(t *testing.T) {
	feed := NewFeed(Options{})
	srv := httptest.NewServer(feed)
	defer srv.Close()
	_, r := subscribe(t, context.Background(), srv.URL, "")
	waitSubscribers(t, feed, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := feed.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if r.sc.Scan() {
		// a trailing blank line is fine; the stream must then end
		for r.sc.Scan() {
		}
	}
	if _, err := feed.Publish("x", 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("publish after close: %v", err)
	}
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("subscribe after close: %d", resp.StatusCode)
	}
}

type recordingEmitter struct{ got []string }

func (e *recordingEmitter) Emit(event string, args ...any) error {
	b, _ := json.Marshal(args)
	e.got = append(e.got, event+" "+string(b))
	return nil
}

func TestBroadcasterReachesFeedAndEmitters(t *testing.T) {
	feed := NewFeed(Options{})
	defer feed.Close(context.Background())
	em := &recordingEmitter{}
	b := NewBroadcaster(feed, em)
	id, err := b.Publish("user:join", map[string]string{"username": "ada"})
	if err != nil || id != 1 {
		t.Fatalf("id %d err %v", id, err)
	}
	if len(em.got) != 1 || em.got[0] != `user:join [{"username":"ada"}]` {
		t.Fatalf("emitter got %q", em.got)
	}
}
