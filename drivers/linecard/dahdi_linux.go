package linecard

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"callbox/media/g711"
)

// DefaultDAHDIDir is where the DAHDI driver puts its device nodes.
const DefaultDAHDIDir = "/dev/dahdi"

// fileDevice is /dev/dahdi/channel bound to one channel. The file is
// non-blocking and registered with Go's poller, so Close wakes a
// blocked Read.
type fileDevice struct{ f *os.File }

func (d fileDevice) Read(p []byte) (int, error)  { return d.f.Read(p) }
func (d fileDevice) Write(p []byte) (int, error) { return d.f.Write(p) }
func (d fileDevice) Close() error                { return d.f.Close() }

func (d fileDevice) control(fn func(fd int) error) error {
	rc, err := d.f.SyscallConn()
	if err != nil {
		return err
	}
	var ierr error
	if err := rc.Control(func(fd uintptr) { ierr = fn(int(fd)) }); err != nil {
		return err
	}
	return ierr
}

func (d fileDevice) SetInt(req uint32, v int) error {
	return d.control(func(fd int) error { return unix.IoctlSetPointerInt(fd, uint(req), v) })
}

func (d fileDevice) GetInt(req uint32) (int, error) {
	var v int
	err := d.control(func(fd int) (err error) {
		v, err = unix.IoctlGetInt(fd, uint(req))
		return err
	})
	return v, err
}

func (d fileDevice) Dial(op *dialOp) error {
	return d.control(func(fd int) error {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(ioctlDial), uintptr(unsafe.Pointer(op)))
		if errno != 0 {
			return errno
		}
		return nil
	})
}

// DAHDIOption configures OpenDAHDI.
type DAHDIOption func(*dahdiOpts)

type dahdiOpts struct {
	dir string
	law g711.Law
	now func() time.Time
	log *slog.Logger
}

// WithDir sets the DAHDI device directory (default /dev/dahdi).
func WithDir(dir string) DAHDIOption { return func(o *dahdiOpts) { o.dir = dir } }

// WithLaw sets the line's companding law (default A-law, the law of
// China and Europe; μ-law for North America).
func WithLaw(l g711.Law) DAHDIOption { return func(o *dahdiOpts) { o.law = l } }

// WithDAHDIClock sets the clock that stamps events.
func WithDAHDIClock(now func() time.Time) DAHDIOption { return func(o *dahdiOpts) { o.now = now } }

// WithDAHDILogger sets the logger.
func WithDAHDILogger(l *slog.Logger) DAHDIOption { return func(o *dahdiOpts) { o.log = l } }

// OpenDAHDI opens DAHDI channel number chanNo: /dev/dahdi/channel is
// opened and bound to the channel with DAHDI_SPECIFY, then set to 160
// sample blocks in the line's law. It returns ErrNoHardware when the
// DAHDI directory does not exist.
func OpenDAHDI(chanNo int, opts ...DAHDIOption) (*DAHDI, error) {
	o := dahdiOpts{dir: DefaultDAHDIDir, law: g711.Alaw, now: time.Now, log: slog.Default()}
	for _, fn := range opts {
		fn(&o)
	}
	if _, err := os.Stat(o.dir); errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoHardware
	}
	path := strings.TrimRight(o.dir, "/") + "/channel"
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENXIO) || errors.Is(err, unix.ENODEV) {
			return nil, fmt.Errorf("%w: %s: %v", ErrNoHardware, path, err)
		}
		return nil, fmt.Errorf("linecard: open %s: %w", path, err)
	}
	// DAHDI_SPECIFY must come before any other request on this file.
	if err := unix.IoctlSetPointerInt(fd, uint(ioctlSpecify), chanNo); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("linecard: DAHDI_SPECIFY %d: %w", chanNo, err)
	}
	f := os.NewFile(uintptr(fd), path)
	return newDAHDI(fmt.Sprintf("dahdi:%d", chanNo), fileDevice{f}, o.law, o.now, o.log)
}
