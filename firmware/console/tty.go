package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"golang.org/x/sys/unix"
)

// TTY serves the shell on a serial console, one session after another.
type TTY struct {
	path  string
	shell *Shell
	log   *slog.Logger
}

// NewTTY serves sh on the terminal device at path (/dev/ttyS0, a pty).
func NewTTY(path string, sh *Shell, log *slog.Logger) *TTY {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &TTY{path: path, shell: sh, log: log}
}

// Name is the service name the supervisor shows.
func (t *TTY) Name() string { return "console-tty" }

// Run opens the device, sets it to 115200 8N1 with line editing and echo,
// and runs sessions until ctx is done. When the line hangs up (input ends
// or fails) Run returns the error, and the supervisor reopens the device
// after its backoff.
func (t *TTY) Run(ctx context.Context) error {
	f, err := os.OpenFile(t.path, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return fmt.Errorf("console tty: %w", err)
	}
	defer f.Close()
	if err := configure(f); err != nil {
		return fmt.Errorf("console tty %s: %w", t.path, err)
	}
	// Closing the file is what interrupts a session blocked in a read.
	stop := context.AfterFunc(ctx, func() { f.Close() })
	defer stop()
	for ctx.Err() == nil {
		err := t.shell.Serve(ctx, f, f)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("console tty %s: input ended", t.path)
		}
		if err != nil {
			return fmt.Errorf("console tty %s: %w", t.path, err)
		}
	}
	return nil
}

// configure sets 115200 baud, 8 data bits, no parity, one stop bit, and
// the kernel's canonical mode: it echoes, handles backspace and hands over
// whole lines, as a technician's terminal emulator expects.
func configure(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ioErr error
	err = rc.Control(func(fd uintptr) {
		tio, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			ioErr = err
			return
		}
		tio.Cflag &^= unix.CBAUD | unix.CSIZE | unix.PARENB | unix.CSTOPB | unix.CRTSCTS
		tio.Cflag |= unix.B115200 | unix.CS8 | unix.CREAD | unix.CLOCAL
		tio.Ispeed, tio.Ospeed = unix.B115200, unix.B115200
		tio.Iflag &^= unix.IXON | unix.IXOFF | unix.INLCR | unix.IGNCR
		tio.Iflag |= unix.ICRNL
		tio.Oflag |= unix.OPOST | unix.ONLCR
		tio.Lflag &^= unix.ISIG | unix.IEXTEN
		tio.Lflag |= unix.ICANON | unix.ECHO | unix.ECHOE | unix.ECHOK
		ioErr = unix.IoctlSetTermios(int(fd), unix.TCSETS, tio)
	})
	if err != nil {
		return err
	}
	return ioErr
}
