package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// target is one server under test: a name and the command that starts it.
type target struct {
	Name string
	Cmd  []string
}

// serverProc is a running server; its PID is the listening process's (taskset execs).
type serverProc struct {
	cmd    *exec.Cmd
	url    string
	banner string
	exited chan struct{}
}

// freePort asks the OS for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startServer starts t with PORT set, pinned to core when core ≥ 0, writes its output to log,
// and returns once it printed its banner and a handshake succeeded.
func startServer(ctx context.Context, t target, core int, loadgen string, log io.Writer, extraEnv []string) (*serverProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := t.Cmd
	if core >= 0 {
		args = append([]string{"taskset", "-c", strconv.Itoa(core)}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(append(os.Environ(), "PORT="+strconv.Itoa(port)), extraEnv...)
	cmd.Stderr = log
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", t.Name, err)
	}
	s := &serverProc{cmd: cmd, url: "http://127.0.0.1:" + strconv.Itoa(port), exited: make(chan struct{})}
	bannerc := make(chan string, 1)
	go func() {
		br := bufio.NewReader(out)
		line, _ := br.ReadString('\n')
		bannerc <- strings.TrimSpace(line)
		fmt.Fprintln(log, strings.TrimSpace(line))
		_, _ = io.Copy(log, br)
	}()
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()

	select {
	case s.banner = <-bannerc:
	case <-s.exited:
		return nil, fmt.Errorf("%s exited before its banner: %v", t.Name, cmd.ProcessState)
	case <-time.After(20 * time.Second):
		s.stop()
		return nil, fmt.Errorf("%s printed no banner in 20s", t.Name)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if ctx.Err() != nil {
			s.stop()
			return nil, ctx.Err()
		}
		probe := exec.CommandContext(ctx, loadgen, "-url", s.url, "-scenario", "ready")
		if probe.Run() == nil {
			return s, nil
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("%s exited before accepting a handshake: %v", t.Name, cmd.ProcessState)
		default:
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s accepted no handshake on %s in 20s", t.Name, s.url)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pid returns the server's process id.
func (s *serverProc) pid() int { return s.cmd.Process.Pid }

// stop sends SIGTERM and, if the server has not exited after 5 s, SIGKILL (to this PID only).
func (s *serverProc) stop() error {
	select {
	case <-s.exited:
		return errors.New("server had already exited")
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return nil
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return errors.New("server ignored SIGTERM for 5s; killed")
	}
}
