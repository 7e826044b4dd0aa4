package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// runConns opens cfg.conns WebSocket connections, cfg.concurrency handshakes at a time, holds
// them for cfg.hold while answering pings, and reads the server's RSS before and after. Its
// latencies are those of the handshakes (TCP connect, upgrade, OPEN, 40 and its reply).
func runConns(ctx context.Context, cfg *config) Result {
	res := Result{Scenario: "conns", Transport: "websocket", Conns: cfg.conns}
	var before procSample
	haveBefore := false
	if cfg.pid > 0 {
		s, err := readProc(cfg.pid)
		before, haveBefore = s, err == nil
	}

	var (
		errs         errCounter
		failed       atomic.Int64
		connected    atomic.Int64
		disconnected atomic.Int64
		closing      atomic.Bool
		readers      sync.WaitGroup
		dialers      sync.WaitGroup
	)
	dialer := newDialer(512)
	u := wsURL(cfg.base)
	conns := make([]*wsConn, cfg.conns)
	sem := make(chan struct{}, cfg.concurrency)
	lat := make([]int64, cfg.conns) // handshake times, by connection (0: failed)

	done := make(chan struct{})
	progress(cfg.quiet, "connected", connected.Load, done)
	m := meter{pid: cfg.pid}
	m.start()
	for k := range conns {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		dialers.Add(1)
		go func() {
			defer dialers.Done()
			defer func() { <-sem }()
			hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			t0 := nowNs()
			c, err := dialWS(hctx, dialer, u)
			cancel()
			lat[k] = nowNs() - t0
			if err != nil {
				failed.Add(1)
				errs.add(err)
				return
			}
			conns[k] = c
			connected.Add(1)
			readers.Add(1)
			go func() {
				defer readers.Done()
				for {
					f, err := c.ReadFrame()
					if err != nil {
						if !closing.Load() {
							disconnected.Add(1)
							errs.add(fmt.Errorf("connection dropped: %w", err))
						}
						return
					}
					if len(f) > 0 && f[0] == eioClose {
						if !closing.Load() {
							disconnected.Add(1)
							errs.add(errors.New("server closed the connection"))
						}
						return
					}
				}
			}()
		}()
	}
	dialers.Wait()
	m.stop()
	close(done)
	ok := connected.Load()
	m.fill(&res, ok)

	if !cfg.quiet {
		fmt.Fprintf(os.Stderr, "  holding %d connections for %s\n", ok, cfg.hold)
	}
	select {
	case <-time.After(cfg.hold):
	case <-ctx.Done():
	}
	if haveBefore && ok > 0 {
		if after, err := readProc(cfg.pid); err == nil {
			res.RSSBeforeKiB, res.RSSAfterKiB = before.rssKiB, after.rssKiB
			res.KiBPerConn = float64(after.rssKiB-before.rssKiB) / float64(ok)
		}
	}
	closing.Store(true)
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	readers.Wait()
	var h histogram
	for k, c := range conns {
		if c != nil {
			h.record(lat[k])
		}
	}
	res.P50Us, res.P99Us = micros(h.quantile(0.50)), micros(h.quantile(0.99))
	res.MaxUs, res.MeanUs = micros(h.max), h.mean()/1e3
	res.FailedHS = failed.Load()
	res.Disconnected = disconnected.Load()
	res.Errors = errs.n.Load() - res.FailedHS - res.Disconnected
	res.FirstError = errs.firstMsg()
	return res
}
