package main

// seqTracker counts what one receiver got from one sender, whose messages carry the sequence
// numbers 0, 1, 2, … in sending order. A message whose number is below one already seen
// arrived out of order; messages never seen are lost.
type seqTracker struct {
	next      int64 // one past the highest sequence number seen
	got       int64 // messages received
	reordered int64 // messages that arrived after a higher-numbered one
}

// observe records the arrival of message s.
func (t *seqTracker) observe(s int64) {
	if s >= t.next {
		t.next = s + 1
	} else {
		t.reordered++
	}
	t.got++
}

// lossCount is the outcome of comparing what was sent with what arrived. A duplicate also
// counts as reordered (its number is below one already seen).
type lossCount struct {
	Lost       int64 // sent but never received
	Duplicated int64 // received more often than sent
	Reordered  int64
}

// account compares t with the number of messages the sender sent.
func (t *seqTracker) account(sent int64) lossCount {
	c := lossCount{Reordered: t.reordered}
	switch {
	case t.got < sent:
		c.Lost = sent - t.got
	case t.got > sent:
		c.Duplicated = t.got - sent
	}
	return c
}

// add sums loss counts.
func (c *lossCount) add(o lossCount) {
	c.Lost += o.Lost
	c.Duplicated += o.Duplicated
	c.Reordered += o.Reordered
}
