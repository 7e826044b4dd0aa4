package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// pollConn is an HTTP long-polling client connection. Reading is a loop of GET requests, run
// by the caller of ReadFrame; writing goes through one goroutine that POSTs every packet queued
// since its last POST as one payload, since Engine.IO allows one POST at a time per session.
type pollConn struct {
	hc      *http.Client
	url     string // …/socket.io/?EIO=4&transport=polling&sid=…
	pending [][]byte
	out     chan []byte
	done    chan struct{}
	werr    chan error
	ctx     context.Context // canceled by Close: ends an outstanding GET or POST
	cancel  context.CancelFunc
}

// newPollClient returns an HTTP client for n polling connections (a GET and a POST each).
func newPollClient(n int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: 2*n + 4,
		DisableCompression:  true,
		IdleConnTimeout:     90 * time.Second,
	}}
}

// dialPolling performs the Engine.IO polling handshake and the Socket.IO CONNECT.
func dialPolling(ctx context.Context, hc *http.Client, base *url.URL) (*pollConn, error) {
	u := *base
	u.Path = "/socket.io/"
	u.RawQuery = "EIO=4&transport=polling"
	body, err := pollGet(ctx, hc, u.String())
	if err != nil {
		return nil, &handshakeError{err}
	}
	if len(body) == 0 || body[0] != eioOpen {
		return nil, &handshakeError{fmt.Errorf("want OPEN, got %q", clip(body))}
	}
	var open struct {
		SID string `json:"sid"`
	}
	first, _, _ := bytes.Cut(body, []byte{pollingSeparator})
	if err := json.Unmarshal(first[1:], &open); err != nil || open.SID == "" {
		return nil, &handshakeError{fmt.Errorf("OPEN packet %q: %v", clip(first), err)}
	}
	u.RawQuery += "&sid=" + url.QueryEscape(open.SID)
	p := &pollConn{
		hc:   hc,
		url:  u.String(),
		out:  make(chan []byte, 1024),
		done: make(chan struct{}),
		werr: make(chan error, 1),
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	if err := p.post(ctx, []byte("40")); err != nil {
		p.cancel()
		return nil, &handshakeError{err}
	}
	f, err := p.ReadFrame()
	if err != nil || !bytes.HasPrefix(f, []byte("40")) {
		p.cancel()
		return nil, &handshakeError{fmt.Errorf("want 40{sid}, got %q (%v)", clip(f), err)}
	}
	go p.writeLoop()
	return p, nil
}

// ReadFrame implements frameConn.
func (p *pollConn) ReadFrame() ([]byte, error) {
	for {
		for len(p.pending) > 0 {
			f := p.pending[0]
			p.pending = p.pending[1:]
			switch {
			case len(f) == 1 && f[0] == eioPing:
				if err := p.Write([]byte{eioPong}); err != nil {
					return nil, err
				}
			case len(f) == 1 && f[0] == eioNoop:
			default:
				return f, nil
			}
		}
		select {
		case err := <-p.werr:
			return nil, err
		default:
		}
		body, err := pollGet(p.ctx, p.hc, p.url)
		if err != nil {
			return nil, err
		}
		p.pending = bytes.Split(body, []byte{pollingSeparator})
	}
}

// Write implements frameConn; b is copied.
func (p *pollConn) Write(b []byte) error {
	select {
	case p.out <- append([]byte(nil), b...):
		return nil
	case err := <-p.werr:
		return err
	case <-p.done:
		return net.ErrClosed
	}
}

// receivedAt implements frameConn: the tool's clock (net/http gives no receive timestamps).
func (p *pollConn) receivedAt() int64 { return nowNs() }

// Close implements frameConn: it sends CLOSE, stops the writer and ends an outstanding GET.
// It must not be called concurrently with itself.
func (p *pollConn) Close() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	close(p.done)
	defer p.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return p.post(ctx, []byte{eioClose})
}

// writeLoop POSTs queued packets, as many as are waiting, one request at a time.
func (p *pollConn) writeLoop() {
	var payload []byte
	for {
		var b []byte
		select {
		case b = <-p.out:
		case <-p.done:
			return
		}
		payload = append(payload[:0], b...)
	drain:
		for {
			select {
			case b = <-p.out:
				payload = append(payload, pollingSeparator)
				payload = append(payload, b...)
			default:
				break drain
			}
		}
		if err := p.post(p.ctx, payload); err != nil {
			p.werr <- err
			return
		}
	}
}

func (p *pollConn) post(ctx context.Context, payload []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	resp, err := p.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST: HTTP %s: %q", resp.Status, clip(body))
	}
	return nil
}

func pollGet(ctx context.Context, hc *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET: HTTP %s: %q", resp.Status, clip(body))
	}
	return body, nil
}
