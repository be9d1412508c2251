package modem

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tarm/serial"
	"golang.org/x/sys/unix"
)

// pollInterval is how long one read of a serial port waits for a byte
// (VTIME), so that the reading goroutine notices a stop request.
const pollInterval = 100 * time.Millisecond

// SerialPort is a serial device opened for a modem: 8N1, raw, RTS/CTS.
type SerialPort struct {
	p    *serial.Port
	path string
}

// OpenSerial opens a serial device (or the slave side of a pseudo-terminal)
// at baud, 8 data bits, no parity, one stop bit, with hardware flow control.
//
// tarm/serial sets up the line but has no RTS/CTS option, so CRTSCTS is set
// here on the same tty device through termios (the setting belongs to the
// device, not to one file descriptor).
func OpenSerial(path string, baud int) (*SerialPort, error) {
	p, err := serial.OpenPort(&serial.Config{Name: path, Baud: baud, ReadTimeout: pollInterval})
	if err != nil {
		return nil, fmt.Errorf("modem: open %s: %w", path, err)
	}
	if err := setHardwareFlow(path); err != nil {
		p.Close()
		return nil, fmt.Errorf("modem: %s: RTS/CTS: %w", path, err)
	}
	return &SerialPort{p: p, path: path}, nil
}

func setHardwareFlow(path string) error {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Cflag |= unix.CRTSCTS
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

// HardwareFlow reports whether RTS/CTS is set on the device at path.
func HardwareFlow(path string) (bool, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return false, err
	}
	return t.Cflag&unix.CRTSCTS != 0, nil
}

// Read returns what arrived within the poll interval; (0, nil) when nothing
// did. A serial read that times out looks like end of file to os.File, which
// is not the end of a serial line.
func (s *SerialPort) Read(b []byte) (int, error) {
	n, err := s.p.Read(b)
	if errors.Is(err, io.EOF) {
		return n, nil
	}
	return n, err
}

// Write sends b (blocking while the modem holds CTS off).
func (s *SerialPort) Write(b []byte) (int, error) { return s.p.Write(b) }

// Close closes the device.
func (s *SerialPort) Close() error { return s.p.Close() }

// Path is the device path.
func (s *SerialPort) Path() string { return s.path }
