package main

import (
	"net"
	"testing"
	"time"
)

// TestKernelReceiveTimestamps reads frames over a real loopback TCP connection with receive
// timestamps on: each frame's receivedAt is the kernel's time, on nowNs's clock, between the
// peer's write and the tool's read, and not the time of the read.
func TestKernelReceiveTimestamps(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(peer)
			return
		}
		peer <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	p, ok := <-peer
	if !ok {
		t.Fatal("accept failed")
	}
	defer p.Close()
	w := &wsConn{c: c, rbuf: make([]byte, 512)}
	defer w.Close()
	if err := w.enableRxStamps(); err != nil {
		t.Fatal(err)
	}
	// The kernel turns timestamping on for the whole system a moment after the first socket
	// asks (a deferred switch): until then reads carry none. Wait for the first stamped read.
	deadline := time.Now().Add(2 * time.Second)
	for w.rxNs == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no read came with a kernel timestamp within 2 s")
		}
		if _, err := p.Write([]byte{0x81, 2, '4', '2'}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.ReadFrame(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	for i := range 3 {
		before := nowNs()
		if _, err := p.Write([]byte{0x81, 3, '4', '2', byte('a' + i)}); err != nil { // text frame "42a"
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // the read comes well after the arrival
		f, err := w.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		read := nowNs()
		if string(f) != "42"+string(rune('a'+i)) {
			t.Fatalf("frame %q", f)
		}
		at := w.receivedAt()
		if w.rxNs == 0 {
			t.Fatal("no kernel timestamp came with the read")
		}
		// a little slack for the wall clock against the monotonic one
		if at < before-int64(time.Millisecond) || at > read-10*int64(time.Millisecond) {
			t.Fatalf("received at %d ns, want between the write (%d) and 10 ms before the read (%d)", at, before, read)
		}
	}
}
