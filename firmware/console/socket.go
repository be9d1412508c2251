package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Named errors.
var (
	// ErrBusy means another running callbox answers on the socket.
	ErrBusy = errors.New("console: another callbox is already serving this socket")
	// ErrNotRunning means nothing answers on the socket: the box is down.
	ErrNotRunning = errors.New("console: callbox is not running")
)

// dialTimeout bounds a connection attempt on the local socket, which either
// answers at once or not at all.
const dialTimeout = time.Second

// SocketServer serves the shell on a unix socket that only root (the
// socket's owner) can open.
type SocketServer struct {
	path  string
	shell *Shell
	log   *slog.Logger
}

// NewSocketServer serves sh on the unix socket at path.
func NewSocketServer(path string, sh *Shell, log *slog.Logger) *SocketServer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &SocketServer{path: path, shell: sh, log: log}
}

// Name is the service name the supervisor shows.
func (s *SocketServer) Name() string { return "console" }

// Run listens until ctx is done, then closes every session and waits for
// them. A socket file left by a crashed box is replaced; one that still
// answers is not (ErrBusy).
func (s *SocketServer) Run(ctx context.Context) error {
	if err := s.clearStale(); err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "unix", s.path)
	if err != nil {
		return fmt.Errorf("console: listen: %w", err)
	}
	if err := os.Chmod(s.path, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("console: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait() // runs after cancel: sessions are closed, then waited for
	defer cancel()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			ln.Close()
			return fmt.Errorf("console: accept: %w", err)
		}
		wg.Go(func() { s.serve(ctx, c) })
	}
}

func (s *SocketServer) serve(ctx context.Context, c net.Conn) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	s.log.Debug("console: session opened")
	if err := s.shell.Serve(ctx, c, c); err != nil && !errors.Is(err, io.EOF) && ctx.Err() == nil {
		s.log.Warn("console: session ended", "err", err)
	}
}

func (s *SocketServer) clearStale() error {
	fi, err := os.Lstat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("console: %s exists and is not a socket", s.path)
	}
	if c, err := net.DialTimeout("unix", s.path, dialTimeout); err == nil {
		c.Close()
		return ErrBusy
	}
	if err := os.Remove(s.path); err != nil {
		return fmt.Errorf("console: remove stale socket: %w", err)
	}
	return nil
}

// Dial connects to the console socket at path. It returns an error
// wrapping ErrNotRunning when there is no socket or nothing answers on it;
// other errors (no permission to open it) mean a box may well be running.
func Dial(path string) (*net.UnixConn, error) {
	c, err := net.DialTimeout("unix", path, dialTimeout)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("%w (%s: %w)", ErrNotRunning, path, err)
		}
		return nil, fmt.Errorf("console: %w", err)
	}
	return c.(*net.UnixConn), nil
}

// Attach connects a person's terminal to a session: in goes to the box,
// what the box says goes to out, until the box ends the session. When in
// ends first, the box is told (the write side closes) and says goodbye.
func Attach(c *net.UnixConn, in io.Reader, out io.Writer) error {
	defer c.Close()
	// This copy blocks in a read of in, which cannot be interrupted for a
	// terminal; it ends with the process, right after Attach returns.
	go func() {
		io.Copy(c, in)
		c.CloseWrite()
	}()
	_, err := io.Copy(out, c)
	return err
}

// FetchBackup asks the box on c for a backup and copies it to w. The
// stream is only as good as the connection: callers validate what they
// received before trusting it.
func FetchBackup(c *net.UnixConn, w io.Writer) (int64, error) {
	defer c.Close()
	if _, err := io.WriteString(c, BackupCommand+"\n"); err != nil {
		return 0, fmt.Errorf("console: backup request: %w", err)
	}
	br := bufio.NewReader(c)
	// The banner comes first, then the prompt and the answer on one line.
	for range 8 {
		line, err := br.ReadString('\n')
		if err != nil {
			return 0, fmt.Errorf("console: backup answer: %w", err)
		}
		answer, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "callbox> ")
		if !ok {
			continue
		}
		if answer != "OK" {
			return 0, fmt.Errorf("console: backup refused: %s", answer)
		}
		return io.Copy(w, br)
	}
	return 0, errors.New("console: backup answer: no reply")
}
