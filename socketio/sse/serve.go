package sse

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// ServeHTTP subscribes the request to the feed and streams events until the client goes
// away, the subscriber falls too far behind, or the feed is closed. A Last-Event-ID header
// (or lastEventId query parameter) replays the kept events that came after it first.
func (f *Feed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	last, resume := lastEventID(r)
	sub, missed, ok := f.subscribe(last, resume)
	if !ok {
		http.Error(w, "feed closed", http.StatusServiceUnavailable)
		return
	}
	defer f.unsubscribe(sub)

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no") // ask nginx not to buffer the stream
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}

	rc := http.NewResponseController(w)
	var buf bytes.Buffer
	write := func() bool {
		_ = rc.SetWriteDeadline(time.Now().Add(f.opts.WriteTimeout))
		if _, err := w.Write(buf.Bytes()); err != nil {
			return false
		}
		buf.Reset()
		return rc.Flush() == nil
	}

	if f.opts.Retry > 0 {
		buf.WriteString("retry: ")
		buf.WriteString(strconv.FormatInt(f.opts.Retry.Milliseconds(), 10))
		buf.WriteString("\n\n")
	}
	for _, ev := range missed {
		appendEvent(&buf, ev)
	}
	if !write() {
		return
	}

	var tick <-chan time.Time
	if f.opts.Heartbeat > 0 {
		t := time.NewTicker(f.opts.Heartbeat)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case ev := <-sub.ch:
			appendEvent(&buf, ev)
			// Coalesce whatever else is already waiting into the same write.
			for more := true; more; {
				select {
				case ev := <-sub.ch:
					appendEvent(&buf, ev)
				default:
					more = false
				}
			}
		case now := <-tick:
			f.appendHeartbeat(&buf, now)
		case <-r.Context().Done():
			return
		case <-sub.dropped:
			return
		case <-f.closeCh:
			return
		}
		if !write() {
			return
		}
	}
}

func (f *Feed) appendHeartbeat(buf *bytes.Buffer, now time.Time) {
	if f.opts.HeartbeatData == nil {
		buf.WriteString(": ping\n\n")
		return
	}
	data, err := json.Marshal(f.opts.HeartbeatData(now))
	if err != nil {
		buf.WriteString(": ping\n\n")
		return
	}
	appendData(buf, data)
	buf.WriteByte('\n')
}

// appendEvent writes ev in the text/event-stream format.
func appendEvent(buf *bytes.Buffer, ev Event) {
	buf.WriteString("id: ")
	buf.WriteString(strconv.FormatUint(ev.ID, 10))
	buf.WriteByte('\n')
	if ev.Name != "" {
		buf.WriteString("event: ")
		buf.WriteString(ev.Name)
		buf.WriteByte('\n')
	}
	appendData(buf, ev.Data)
	buf.WriteByte('\n')
}

// appendData writes data as one "data:" line per line of data, as the format requires.
func appendData(buf *bytes.Buffer, data []byte) {
	for {
		i := bytes.IndexAny(data, "\r\n")
		if i < 0 {
			break
		}
		buf.WriteString("data: ")
		buf.Write(data[:i])
		buf.WriteByte('\n')
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	buf.WriteString("data: ")
	buf.Write(data)
	buf.WriteByte('\n')
}
