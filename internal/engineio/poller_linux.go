package engineio

import (
	"errors"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// poller watches parked WebSocket connections with an epoll instance of its own (the Go
// runtime's poller cannot be asked about a socket no goroutine reads). The epoll instance is
// itself watched by the runtime's poller, so the goroutine that takes its events waits like
// any network read, with no thread blocked in epoll_wait. A parked connection is registered
// one-shot: its wake function runs once, and it is armed again when its next reader parks.
type poller struct {
	ep   *os.File // the epoll instance
	raw  syscall.RawConn
	done chan struct{}

	mu      sync.Mutex
	closed  bool
	waiting map[uint64]func() // parked connections by registration id
	next    uint64
}

// newPoller starts a poller.
func newPoller() (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, err
	}
	ep := os.NewFile(uintptr(epfd), "epoll")
	raw, err := ep.SyscallConn()
	if err != nil {
		ep.Close()
		return nil, err
	}
	p := &poller{ep: ep, raw: raw, done: make(chan struct{}), waiting: make(map[uint64]func())}
	go p.loop()
	return p, nil
}

var errPollerClosed = errors.New("engineio: poller closed")

// arm parks w until its socket is readable (or hung up); then wake runs once.
func (p *poller) arm(w *wsConn, wake func()) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return errPollerClosed
	}
	if w.parkID == 0 {
		p.next++
		w.parkID = p.next
	}
	id := w.parkID
	p.waiting[id] = wake
	p.mu.Unlock()
	if w.closed.Load() { // closeNow may have run before the entry was there
		p.cancel(w)
		return ErrClosed
	}
	var ctlErr error
	err := w.raw.Control(func(fd uintptr) {
		ev := unix.EpollEvent{
			Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT,
			Fd:     int32(uint32(id)),
			Pad:    int32(uint32(id >> 32)),
		}
		op := unix.EPOLL_CTL_MOD
		if !w.registered {
			op = unix.EPOLL_CTL_ADD
		}
		ctlErr = p.ctl(op, int(fd), &ev)
		if ctlErr == unix.EEXIST {
			ctlErr = p.ctl(unix.EPOLL_CTL_MOD, int(fd), &ev)
		} else if ctlErr == unix.ENOENT {
			ctlErr = p.ctl(unix.EPOLL_CTL_ADD, int(fd), &ev)
		}
	})
	if err == nil {
		err = ctlErr
	}
	if err != nil {
		p.cancel(w)
		return err
	}
	w.registered = true
	return nil
}

// cancel forgets w's parking, if any. (Closing its socket takes it out of the epoll set.)
func (p *poller) cancel(w *wsConn) {
	p.mu.Lock()
	if w.parkID != 0 {
		delete(p.waiting, w.parkID)
	}
	p.mu.Unlock()
}

// ctl runs epoll_ctl on the poller's instance.
func (p *poller) ctl(op, fd int, ev *unix.EpollEvent) error {
	var err error
	if cerr := p.raw.Control(func(epfd uintptr) { err = unix.EpollCtl(int(epfd), op, fd, ev) }); cerr != nil {
		return cerr
	}
	return err
}

// loop takes events as they come and runs the wake functions of their connections, until
// the poller is closed.
func (p *poller) loop() {
	defer close(p.done)
	events := make([]unix.EpollEvent, 128)
	var wakes []func()
	_ = p.raw.Read(func(epfd uintptr) bool {
		for {
			n, err := unix.EpollWait(int(epfd), events, 0)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return true
			}
			if n == 0 {
				return false // wait until the instance is readable
			}
			wakes = wakes[:0]
			p.mu.Lock()
			for _, ev := range events[:n] {
				id := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
				if fn, ok := p.waiting[id]; ok {
					delete(p.waiting, id)
					wakes = append(wakes, fn)
				}
			}
			p.mu.Unlock()
			for i, fn := range wakes {
				fn()
				wakes[i] = nil
			}
		}
	})
}

// close ends the loop and releases the epoll instance. Connections still parked are not
// woken (the server closes its sessions first).
func (p *poller) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.waiting = map[uint64]func(){}
	p.mu.Unlock()
	_ = p.ep.Close() // the loop's wait fails
	<-p.done
}

// pollerSupported reports whether connections can be parked on this system.
const pollerSupported = true

// rawWriteSupported reports whether rawWriteNonblock works on this system.
const rawWriteSupported = true

// rawWriteNonblock writes b to the socket once, without waiting: it returns what the socket
// took, which may be nothing.
func rawWriteNonblock(rc syscall.RawConn, b []byte) (int, error) {
	var n int
	var werr error
	err := rc.Write(func(fd uintptr) bool {
		for {
			n, werr = unix.Write(int(fd), b)
			if werr != unix.EINTR {
				return true
			}
		}
	})
	if err != nil {
		return 0, err
	}
	if werr == unix.EAGAIN {
		return 0, nil
	}
	if werr != nil {
		return 0, werr
	}
	return n, nil
}

// parked returns how many connections are parked.
func (p *poller) parked() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waiting)
}
