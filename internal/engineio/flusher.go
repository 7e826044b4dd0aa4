package engineio

import (
	"runtime"
	"sync"
)

// A flusher writes, from a goroutine of its own, what sessions queued with Enqueue: each
// session's whole queue with one non-blocking write. A broadcast therefore costs its caller
// only the queueing, and a session that gets several messages before the flusher reaches it
// (a busy server) gets them in one write, instead of one system call per message.
//
// The goroutine runs only while there is work: the first Enqueue starts it, and it ends when
// its list is empty. A server has one flusher per GOMAXPROCS; a session always uses the same
// one, so that its writes stay in order.
type flusher struct {
	mu      sync.Mutex
	list    []*Session
	spare   []*Session
	running bool
}

// flushers returns the server's flushers, made on first use.
func (s *Server) flushers() []flusher {
	s.flushOnce.Do(func() {
		s.fl = make([]flusher, max(1, runtime.GOMAXPROCS(0)))
	})
	return s.fl
}

// flusherFor returns the session's flusher.
func (s *Server) flusherFor(sess *Session) *flusher {
	fl := s.flushers()
	return &fl[sess.seq%uint32(len(fl))]
}

// add hands the session, whose writer the caller has made the flusher (Session.writing), to
// the flusher, and starts its goroutine if none runs.
func (f *flusher) add(srv *Server, sess *Session) {
	f.mu.Lock()
	f.list = append(f.list, sess)
	start := !f.running
	f.running = true
	f.mu.Unlock()
	if start {
		srv.track.addInternal()
		go f.run(srv)
	}
}

// run writes the sessions' queues until the list is empty.
func (f *flusher) run(srv *Server) {
	defer srv.track.done()
	for {
		f.mu.Lock()
		batch := f.list
		if len(batch) == 0 {
			f.running = false
			f.mu.Unlock()
			return
		}
		f.list = f.spare[:0]
		f.spare = nil
		f.mu.Unlock()

		for i, sess := range batch {
			sess.flushQueued()
			batch[i] = nil
		}

		f.mu.Lock()
		if cap(batch) <= 4096 {
			f.spare = batch[:0]
		}
		f.mu.Unlock()
	}
}
