package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Phases of a throughput scenario: load before the interval, the measured interval, and after.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseDone
)

// fanReceiver is one room member; everything but the gauges belongs to its reader goroutine.
type fanReceiver struct {
	c        *wsConn
	seq      []seqTracker // by sender id
	hist     histogram
	measured gauge // deliveries in the measured interval
	total    gauge // all deliveries
}

// fanSender broadcasts to the room with at most window acks outstanding, and at most window
// broadcasts not yet received by every receiver: the contract lets a server ack a bcast before
// it delivers it, so acks alone would let senders run ahead of the deliveries and measure how
// a server's outboxes overflow rather than how fast it delivers.
type fanSender struct {
	c         *wsConn
	sent      gauge
	acks      gauge
	win       chan struct{}  // a token per outstanding ack
	dwin      chan struct{}  // a token per broadcast some receiver still lacks
	remaining []atomic.Int64 // by seq modulo the window: receivers still to get it
}

// runFanout measures broadcasting: cfg.senders senders, outside the room, emit bcast to the
// room that cfg.receivers receivers joined; every receiver checks every sender's sequence.
func runFanout(ctx context.Context, cfg *config) Result {
	res := Result{Scenario: "fanout", Mode: cfg.mode, Transport: "websocket",
		Receivers: cfg.receivers, Senders: cfg.senders, Window: cfg.window, Target: cfg.rate}
	var errs errCounter
	var failed atomic.Int64
	var phase atomic.Int32
	dialer := newDialer(4096)
	u := wsURL(cfg.base)

	dial := func() *wsConn {
		hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		c, err := dialWS(hctx, dialer, u)
		if err != nil {
			failed.Add(1)
			errs.add(err)
			return nil
		}
		return c
	}

	// Receivers connect and join, 100 at a time.
	recvs := make([]*fanReceiver, cfg.receivers)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 100)
	for k := range recvs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c := dial()
			if c == nil {
				return
			}
			if err := join(c, cfg.room); err != nil {
				failed.Add(1)
				errs.add(err)
				c.Close()
				return
			}
			recvs[k] = &fanReceiver{c: c, seq: make([]seqTracker, cfg.senders)}
		}()
	}
	wg.Wait()
	senders := make([]*fanSender, cfg.senders)
	for k := range senders {
		if c := dial(); c != nil {
			w := windowFor(cfg)
			senders[k] = &fanSender{c: c, win: make(chan struct{}, w), dwin: make(chan struct{}, w),
				remaining: make([]atomic.Int64, w)}
		}
	}
	res.FailedHS = failed.Load()
	if res.FailedHS > 0 {
		closeAll(recvs, senders)
		res.FirstError = errs.firstMsg()
		return res
	}

	rconns := make([]*wsConn, len(recvs))
	for k, r := range recvs {
		rconns[k] = r.c
	}
	res.RxClock = rxStamps(cfg, rconns)

	var closing atomic.Bool
	var readers sync.WaitGroup
	for _, r := range recvs {
		readers.Add(1)
		go func() {
			defer readers.Done()
			r.read(senders, &phase, &closing, &errs)
		}()
	}
	for _, s := range senders {
		readers.Add(1)
		go func() {
			defer readers.Done()
			s.readAcks(&closing, &errs)
		}()
	}

	stop := make(chan struct{})
	var sending sync.WaitGroup
	pad := padFor(cfg.payload)
	var perSender time.Duration // rate mode: time between one sender's messages
	if cfg.mode == "rate" {
		perSender = time.Duration(float64(time.Second) * float64(cfg.senders*cfg.receivers) / cfg.rate)
	}
	for id, s := range senders {
		sending.Add(1)
		go func() {
			defer sending.Done()
			if err := s.send(int64(id), cfg.room, pad, cfg.receivers, perSender, stagger(perSender, id, len(senders)), stop); err != nil {
				errs.add(err)
			}
		}()
	}

	measured := func() int64 {
		var n int64
		for _, r := range recvs {
			n += r.measured.Load()
		}
		return n
	}
	wait(ctx, cfg.warmup)
	m := meter{pid: cfg.pid}
	m.start()
	phase.Store(phaseMeasure)
	progDone := make(chan struct{})
	progress(cfg.quiet, "deliveries", measured, progDone)
	wait(ctx, cfg.duration)
	phase.Store(phaseDone)
	m.stop()
	close(progDone)
	close(stop)
	sending.Wait()

	// Drain: every sent message must reach every receiver.
	var sent int64
	for _, s := range senders {
		sent += s.sent.Load()
	}
	want := sent * int64(cfg.receivers)
	deadline := time.Now().Add(cfg.drain)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var got, acks int64
		for _, r := range recvs {
			got += r.total.Load()
		}
		for _, s := range senders {
			acks += s.acks.Load()
		}
		if got >= want && acks >= sent {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for id, s := range senders {
		if missing := s.sent.Load() - s.acks.Load(); missing > 0 {
			errs.add(fmt.Errorf("sender %d: %d of %d bcast acks never came", id, missing, s.sent.Load()))
		}
	}
	closing.Store(true)
	closeAll(recvs, senders)
	readers.Wait()

	var all histogram
	var loss lossCount
	for _, r := range recvs {
		all.merge(&r.hist)
		for id, s := range senders {
			loss.add(r.seq[id].account(s.sent.Load()))
		}
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

// windowFor returns the number of outstanding acks a sender or client may have: the
// configured window at max rate; in rate mode a large bound, so that pacing, not acks, sets
// the rate.
func windowFor(cfg *config) int {
	if cfg.mode == "rate" {
		return 4096
	}
	return cfg.window
}

// join sends 42<id>["join",room] and waits for its ack.
func join(c *wsConn, room string) error {
	if err := c.Write(appendJoin(nil, 0, room)); err != nil {
		return err
	}
	for {
		f, err := c.ReadFrame()
		if err != nil {
			return fmt.Errorf("join: %w", err)
		}
		if id, _, err := parseAck(f); err == nil && id == 0 {
			return nil
		}
	}
}

func (r *fanReceiver) read(senders []*fanSender, phase *atomic.Int32, closing *atomic.Bool, errs *errCounter) {
	for {
		f, err := r.c.ReadFrame()
		if err != nil {
			if !closing.Load() {
				errs.add(fmt.Errorf("receiver: %w", err))
			}
			return
		}
		p, err := parseMsg(f)
		if err != nil {
			errs.add(fmt.Errorf("receiver: unexpected packet %q", clip(f)))
			continue
		}
		t, s, i, err := payloadFields(p)
		if err != nil || i < 0 || int(i) >= len(r.seq) {
			errs.add(fmt.Errorf("receiver: bad payload %q", clip(p)))
			continue
		}
		now := r.c.receivedAt()
		r.seq[i].observe(s)
		if snd := senders[i]; s >= 0 && snd.remaining[s%int64(len(snd.remaining))].Add(-1) == 0 {
			<-snd.dwin // the last receiver of this broadcast frees its slot
		}
		r.total.Add(1)
		if phase.Load() == phaseMeasure {
			r.hist.record(now - t)
			r.measured.Add(1)
		}
	}
}

func (s *fanSender) readAcks(closing *atomic.Bool, errs *errCounter) {
	var next int64
	for {
		f, err := s.c.ReadFrame()
		if err != nil {
			if !closing.Load() {
				errs.add(fmt.Errorf("sender: %w", err))
			}
			return
		}
		id, _, err := parseAck(f)
		if err != nil {
			errs.add(fmt.Errorf("sender: unexpected packet %q", clip(f)))
			continue
		}
		if id != next {
			errs.add(fmt.Errorf("sender: ack %d, want %d", id, next))
		}
		next = id + 1
		s.acks.Add(1)
		<-s.win
	}
}

// send broadcasts until stop is closed: as fast as the ack window allows, or one message every
// interval from offset on (open loop: a late message is sent at once, not skipped).
func (s *fanSender) send(id int64, room, pad string, receivers int, interval, offset time.Duration, stop <-chan struct{}) error {
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
		case s.win <- struct{}{}:
		case <-stop:
			return nil
		}
		select {
		case s.dwin <- struct{}{}:
		case <-stop:
			<-s.win
			return nil
		}
		s.remaining[seq%int64(len(s.remaining))].Store(int64(receivers))
		payload = appendPayload(payload[:0], nowNs(), seq, id, pad)
		pkt = appendBcast(pkt[:0], seq, room, payload)
		if err := s.c.Write(pkt); err != nil {
			return fmt.Errorf("sender: %w", err)
		}
		s.sent.Add(1)
	}
}

func closeAll(recvs []*fanReceiver, senders []*fanSender) {
	for _, r := range recvs {
		if r != nil {
			r.c.Close()
		}
	}
	for _, s := range senders {
		if s != nil {
			s.c.Close()
		}
	}
}

// stagger spreads n paced senders evenly over one interval, so that they do not all send at
// the same instant (which would measure the queueing of a burst, not the latency at a rate).
func stagger(interval time.Duration, k, n int) time.Duration {
	if n == 0 {
		return 0
	}
	return interval * time.Duration(k) / time.Duration(n)
}

// wait sleeps for d or until ctx is done.
func wait(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}
