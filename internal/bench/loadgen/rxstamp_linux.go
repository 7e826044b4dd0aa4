package main

import (
	"errors"
	"io"
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Kernel receive timestamps (SO_TIMESTAMPNS): the time the kernel queued received bytes on the
// socket, returned with each recvmsg. A latency measured with it ends when the server's bytes
// arrived, not when the tool got round to reading them: with a thousand receivers on one core,
// the tool's own queueing during a broadcast's burst would otherwise be part of the figure.

// realEpoch is epoch on the wall clock, the clock of SO_TIMESTAMPNS.
var realEpoch = epoch.UnixNano()

// enableRxStamps asks the kernel to timestamp what the connection receives. When no socket of
// the system had asked before, the kernel turns timestamping on a moment later (a deferred
// global switch): reads until then carry no timestamp, and receivedAt falls back to now. The
// scenarios turn it on before their warm-up.
func (w *wsConn) enableRxStamps() error {
	sc, err := rawConnOf(w.c)
	if err != nil {
		return err
	}
	var serr error
	if err := sc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	}); err != nil {
		return err
	}
	if serr != nil {
		return serr
	}
	w.raw = sc
	w.oob = make([]byte, unix.CmsgSpace(int(unsafe.Sizeof(unix.Timespec{}))))
	return nil
}

// readStamped is one recvmsg into b; it sets w.rxNs to the kernel's receive time of the
// last bytes read, on nowNs's clock (0 when the kernel gave none).
func (w *wsConn) readStamped(b []byte) (int, error) {
	var n, oobn int
	var rerr error
	err := w.raw.Read(func(fd uintptr) bool {
		n, oobn, _, _, rerr = unix.Recvmsg(int(fd), b, w.oob, unix.MSG_DONTWAIT)
		return !errors.Is(rerr, unix.EAGAIN)
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		return 0, err
	}
	w.rxNs = 0
	if oobn > 0 {
		if ts, ok := parseTimestampNS(w.oob[:oobn]); ok {
			w.rxNs = ts - realEpoch
		}
	}
	if n == 0 && len(b) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// rawConnOf returns the connection's syscall.RawConn (TCP connections have one).
func rawConnOf(c net.Conn) (syscall.RawConn, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, errors.New("the connection has no file descriptor")
	}
	return sc.SyscallConn()
}

// parseTimestampNS returns the SCM_TIMESTAMPNS time among control messages, in Unix ns.
func parseTimestampNS(oob []byte) (int64, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		var ts unix.Timespec
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= int(unsafe.Sizeof(ts)) {
			copy(unsafe.Slice((*byte)(unsafe.Pointer(&ts)), unsafe.Sizeof(ts)), m.Data)
			return ts.Nano(), true
		}
	}
	return 0, false
}
