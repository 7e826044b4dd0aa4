package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// echoClient sends echo events with acks; its ring holds the send time of each outstanding
// ack id (id modulo the ring's length, which is the window, so a slot is free when reused).
type echoClient struct {
	c        frameConn
	id       int64
	win      chan struct{}
	ring     []atomic.Int64
	hist     histogram // the reader goroutine's
	acks     seqTracker
	measured gauge
	sent     gauge
}

// runEcho measures round trips: cfg.clients clients each send echo with an ack, keeping at most
// cfg.window acks outstanding (1: strictly one at a time) at max rate, or together cfg.rate
// round trips/s. echo-polling does the same over HTTP long-polling.
func runEcho(ctx context.Context, cfg *config) Result {
	polling := cfg.scenario == "echo-polling"
	res := Result{Scenario: cfg.scenario, Mode: cfg.mode, Transport: "websocket",
		Clients: cfg.clients, Window: cfg.window, Target: cfg.rate}
	var hc *http.Client
	if polling {
		res.Transport = "polling"
		hc = newPollClient(cfg.clients)
	}
	var errs errCounter
	var failed atomic.Int64
	dialer := newDialer(4096)
	win := windowFor(cfg)

	clients := make([]*echoClient, cfg.clients)
	var wg sync.WaitGroup
	for k := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			var c frameConn
			var err error
			if polling {
				c, err = dialPolling(hctx, hc, cfg.base)
			} else {
				c, err = dialWS(hctx, dialer, wsURL(cfg.base))
			}
			if err != nil {
				failed.Add(1)
				errs.add(err)
				return
			}
			clients[k] = &echoClient{c: c, id: int64(k), win: make(chan struct{}, win),
				ring: make([]atomic.Int64, win)}
		}()
	}
	wg.Wait()
	res.FailedHS = failed.Load()
	if res.FailedHS > 0 {
		for _, c := range clients {
			if c != nil {
				c.c.Close()
			}
		}
		res.FirstError = errs.firstMsg()
		return res
	}

	if !polling {
		wconns := make([]*wsConn, len(clients))
		for k, c := range clients {
			wconns[k] = c.c.(*wsConn)
		}
		res.RxClock = rxStamps(cfg, wconns)
	}

	var phase atomic.Int32
	var closing atomic.Bool
	var readers, sending sync.WaitGroup
	stop := make(chan struct{})
	pad := padFor(cfg.payload)
	var interval time.Duration
	if cfg.mode == "rate" {
		interval = time.Duration(float64(time.Second) * float64(cfg.clients) / cfg.rate)
	}
	lockstep := cfg.mode == "max" && win == 1
	for k, c := range clients {
		readers.Add(1)
		if lockstep {
			// One goroutine sends and reads in turn: no hand-off between goroutines per round
			// trip, which keeps the tool's own cost down.
			go func() {
				defer readers.Done()
				c.lockstep(pad, stop, &phase, &closing, &errs)
			}()
			continue
		}
		go func() {
			defer readers.Done()
			c.read(&phase, &closing, &errs)
		}()
		sending.Add(1)
		go func() {
			defer sending.Done()
			if err := c.send(pad, interval, stagger(interval, k, len(clients)), stop); err != nil {
				errs.add(err)
			}
		}()
	}

	measured := func() int64 {
		var n int64
		for _, c := range clients {
			n += c.measured.Load()
		}
		return n
	}
	wait(ctx, cfg.warmup)
	m := meter{pid: cfg.pid}
	m.start()
	phase.Store(phaseMeasure)
	progDone := make(chan struct{})
	progress(cfg.quiet, "round trips", measured, progDone)
	wait(ctx, cfg.duration)
	phase.Store(phaseDone)
	m.stop()
	close(progDone)
	close(stop)
	sending.Wait()

	// Drain: every echo must be acked.
	deadline := time.Now().Add(cfg.drain)
	for _, c := range clients {
		for len(c.win) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
	}
	closing.Store(true)
	for _, c := range clients {
		c.c.Close()
	}
	readers.Wait()

	var all histogram
	var loss lossCount
	var sent int64
	for _, c := range clients {
		all.merge(&c.hist)
		loss.add(c.acks.account(c.sent.Load()))
		sent += c.sent.Load()
	}
	m.fill(&res, measured())
	res.Sent = sent
	res.P50Us, res.P99Us = micros(all.quantile(0.50)), micros(all.quantile(0.99))
	res.MaxUs, res.MeanUs = micros(all.max), all.mean()/1e3
	res.Lost, res.Reordered, res.Duplicated = loss.Lost, loss.Reordered, loss.Duplicated
	res.Errors = errs.n.Load()
	res.FirstError = errs.firstMsg()
	return res
}

// send emits echo events until stop is closed (ack ids 0, 1, 2, …), paced like fanSender.send.
func (c *echoClient) send(pad string, interval, offset time.Duration, stop <-chan struct{}) error {
	var pkt, payload []byte
	start := time.Now().Add(offset)
	for seq := int64(0); ; seq++ {
		if interval > 0 {
			if d := time.Until(start.Add(time.Duration(seq) * interval)); d > 0 {
				select {
				case <-time.After(d):
				case <-stop:
					return nil
				}
			}
		}
		select {
		case c.win <- struct{}{}:
		case <-stop:
			return nil
		}
		t := nowNs()
		c.ring[seq%int64(len(c.ring))].Store(t)
		payload = appendPayload(payload[:0], t, seq, c.id, pad)
		pkt = appendEcho(pkt[:0], seq, payload)
		if err := c.c.Write(pkt); err != nil {
			return fmt.Errorf("echo: %w", err)
		}
		c.sent.Add(1)
	}
}

// read matches acks to sends until the connection closes.
func (c *echoClient) read(phase *atomic.Int32, closing *atomic.Bool, errs *errCounter) {
	for {
		f, err := c.c.ReadFrame()
		if err != nil || (len(f) > 0 && f[0] == eioClose && closing.Load()) {
			if err != nil && !closing.Load() {
				errs.add(fmt.Errorf("echo client: %w", err))
			}
			return
		}
		c.handle(f, phase, errs)
	}
}

// lockstep sends one echo, reads until its ack, and repeats until stop is closed.
func (c *echoClient) lockstep(pad string, stop <-chan struct{}, phase *atomic.Int32, closing *atomic.Bool, errs *errCounter) {
	var pkt, payload []byte
	for seq := int64(0); ; seq++ {
		select {
		case <-stop:
			return
		default:
		}
		c.win <- struct{}{}
		t := nowNs()
		c.ring[0].Store(t)
		payload = appendPayload(payload[:0], t, seq, c.id, pad)
		pkt = appendEcho(pkt[:0], seq, payload)
		if err := c.c.Write(pkt); err != nil {
			errs.add(fmt.Errorf("echo: %w", err))
			return
		}
		c.sent.Add(1)
		for len(c.win) > 0 {
			f, err := c.c.ReadFrame()
			if err != nil {
				if !closing.Load() {
					errs.add(fmt.Errorf("echo client: %w", err))
				}
				return
			}
			c.handle(f, phase, errs)
		}
	}
}

// handle checks one packet: it must be the ack of an outstanding echo, carrying back the
// payload that was sent; it records the latency in the measured interval and frees the slot.
func (c *echoClient) handle(f []byte, phase *atomic.Int32, errs *errCounter) {
	id, args, err := parseAck(f)
	if err != nil {
		errs.add(fmt.Errorf("echo client: unexpected packet %q", clip(f)))
		return
	}
	now := c.c.receivedAt()
	if len(args) < 2 || args[len(args)-1] != ']' {
		errs.add(fmt.Errorf("echo client: bad ack %q", clip(f)))
		return
	}
	_, s, i, err := payloadFields(args[1 : len(args)-1])
	if err != nil || s != id || i != c.id {
		errs.add(fmt.Errorf("echo client %d: ack %d carries %q", c.id, id, clip(args)))
	}
	c.acks.observe(id)
	if phase.Load() == phaseMeasure {
		c.hist.record(now - c.ring[id%int64(len(c.ring))].Load())
		c.measured.Add(1)
	}
	select {
	case <-c.win:
	default:
		errs.add(fmt.Errorf("echo client %d: ack %d with nothing outstanding", c.id, id))
	}
}
