package linecard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"syscall"
	"time"

	"callbox/media"
	"callbox/media/dtmf"
	"callbox/media/g711"
)

// chunk is one 20 ms block of G.711 on a DAHDI channel.
const chunk = media.FrameSamples

// device is the DAHDI channel file: the Linux implementation is
// /dev/dahdi/channel, tests use a fake made of function fields.
type device interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	// SetInt issues an _IOW request with an int argument.
	SetInt(req uint32, v int) error
	// GetInt issues an _IOR request that returns an int.
	GetInt(req uint32) (int, error)
	// Dial issues DAHDI_DIAL.
	Dial(op *dialOp) error
	Close() error
}

// DAHDI is one DAHDI channel (an FXO port on a line card).
type DAHDI struct {
	id  string
	dev device
	law g711.Law
	now func() time.Time
	log *slog.Logger

	events  chan Event
	frames  chan media.Frame // audio read from the line, newest kept
	dtmf    *dtmf.Detector   // in-band detection when the card has none; read loop only
	closed  chan struct{}
	wg      sync.WaitGroup
	closeMu sync.Mutex

	mu    sync.Mutex
	state lineState
	// cid holds the caller-ID demodulators between the first and the
	// second ring; EventRing waits for the caller ID or that second ring.
	cid     []*fskDemod
	dialed  chan struct{} // closed on DIALCOMPLETE while dialling
	wbuf    [chunk]byte
	writeMu sync.Mutex

	// listeners hear the line besides its reader (Listen), each through
	// a queue of its own.
	lmu       sync.Mutex
	listeners []chan media.Frame
}

type lineState uint8

const (
	lineIdle lineState = iota
	lineRinging
	lineDialing
	lineUp
)

// newDAHDI sets the channel up on an opened device and starts its read
// loop.
func newDAHDI(id string, dev device, law g711.Law, now func() time.Time, log *slog.Logger) (*DAHDI, error) {
	inband := false
	lawArg := dahdiLawMulaw
	if law == g711.Alaw {
		lawArg = dahdiLawAlaw
	}
	for _, step := range []struct {
		name string
		req  uint32
		v    int
	}{
		{"DAHDI_SET_BLOCKSIZE", ioctlSetBlocksize, chunk},
		{"DAHDI_SETLAW", ioctlSetLaw, lawArg},
		{"DAHDI_TONEDETECT", ioctlToneDetect, dahdiToneDetectOn | dahdiToneDetectMute},
		// Audio and events left from an earlier owner of the channel
		// would be taken for this call's.
		{"DAHDI_FLUSH", ioctlFlush, dahdiFlushRead | dahdiFlushWrite | dahdiFlushEvent},
	} {
		if err := dev.SetInt(step.req, step.v); err != nil {
			// Tone detection is optional hardware: without it, digits
			// come from the in-band detector on the audio.
			if step.req == ioctlToneDetect {
				log.Info("dahdi: no hardware DTMF detection; detecting in-band", "line", id, "err", err)
				inband = true
				continue
			}
			dev.Close()
			return nil, fmt.Errorf("linecard: %s on %s: %w", step.name, id, err)
		}
	}
	d := &DAHDI{id: id, dev: dev, law: law, now: now, log: log,
		events: make(chan Event, 32), frames: make(chan media.Frame, 8), closed: make(chan struct{})}
	if inband {
		d.dtmf = dtmf.NewDetector(func(digit byte) { d.emit(Event{Kind: EventDigit, Digit: digit}) })
	}
	d.wg.Go(d.readLoop)
	return d, nil
}

// ID implements Channel.
func (d *DAHDI) ID() string { return d.id }

// Events implements Channel.
func (d *DAHDI) Events() <-chan Event { return d.events }

// readLoop reads audio and, when the driver flags an event, fetches it.
func (d *DAHDI) readLoop() {
	defer close(d.events)
	var buf [chunk]byte
	for {
		n, err := d.dev.Read(buf[:])
		select {
		case <-d.closed:
			return
		default:
		}
		switch {
		case errors.Is(err, syscall.Errno(errnoEventPending)):
			ev, gerr := d.dev.GetInt(ioctlGetEvent)
			if gerr != nil {
				d.log.Warn("dahdi: DAHDI_GETEVENT failed", "line", d.id, "err", gerr)
				continue
			}
			d.handle(ev)
		case err != nil:
			d.log.Error("dahdi: read failed; line out of service", "line", d.id, "err", err)
			d.emit(Event{Kind: EventAlarm})
			return
		case n == chunk:
			var f media.Frame
			if d.law == g711.Alaw {
				g711.DecodeAlaw(f[:], buf[:n])
			} else {
				g711.DecodeUlaw(f[:], buf[:n])
			}
			d.callerID(f[:])
			if d.dtmf != nil {
				d.dtmf.Write(f[:])
			}
			d.push(f)
		}
	}
}

// callerID feeds audio to the caller-ID demodulators while the first
// ring's caller ID is awaited, and announces the ring once it arrived.
func (d *DAHDI) callerID(samples []int16) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, dm := range d.cid {
		msg := dm.write(samples)
		if msg == nil {
			continue
		}
		id, err := ParseCallerID(msg)
		if err != nil {
			d.log.Info("dahdi: caller ID unreadable", "line", d.id, "err", err)
			continue
		}
		d.cid = nil
		d.emitLocked(Event{Kind: EventRing, CallerID: id})
		return
	}
}

// push queues a frame for the reader and every listener, dropping the
// oldest where nobody keeps up: late audio is worse than lost audio.
func (d *DAHDI) push(f media.Frame) {
	pushNewest(d.frames, f)
	d.lmu.Lock()
	for _, l := range d.listeners {
		pushNewest(l, f)
	}
	d.lmu.Unlock()
}

func pushNewest(q chan media.Frame, f media.Frame) {
	for {
		select {
		case q <- f:
			return
		default:
		}
		select {
		case <-q:
		default:
		}
	}
}

// Listen lets one more party hear the line (a fax-tone detector beside
// the IVR): w gets every frame read from the line, from a queue of its
// own, so the reader loses none. A goroutine writes to w until stop
// (which waits for it) or until the channel closes. stop is idempotent.
func (d *DAHDI) Listen(w media.FrameWriter) (stop func()) {
	q := make(chan media.Frame, cap(d.frames))
	d.lmu.Lock()
	d.listeners = append(d.listeners, q)
	d.lmu.Unlock()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case f := <-q:
				if w.WriteFrame(&f) != nil {
					return
				}
			case <-done:
				return
			case <-d.closed:
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			<-finished
			d.lmu.Lock()
			d.listeners = slices.DeleteFunc(d.listeners, func(l chan media.Frame) bool { return l == q })
			d.lmu.Unlock()
		})
	}
}

// handle turns a DAHDI event into a line event.
func (d *DAHDI) handle(ev int) {
	switch {
	case ev&dahdiEventDTMFUp != 0:
		d.emit(Event{Kind: EventDigit, Digit: byte(ev &^ dahdiEventDTMFUp)})
		return
	case ev&dahdiEventPulseDigit != 0:
		d.emit(Event{Kind: EventDigit, Digit: byte(ev &^ dahdiEventPulseDigit)})
		return
	case ev&dahdiEventDTMFDown != 0:
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	switch ev {
	case dahdiEventRingOffHook:
		// RINGBEGIN comes with the same ring on some cards; counting
		// RINGOFFHOOK alone keeps one event per ring.
		switch {
		case d.state == lineIdle:
			// Caller ID comes after the first ring, as V.23 or Bell 202
			// FSK depending on the country: listen for both.
			d.state = lineRinging
			d.cid = []*fskDemod{newFSKDemod(planV23), newFSKDemod(planBell202)}
		case d.state == lineRinging && d.cid != nil:
			d.cid = nil
			d.emitLocked(Event{Kind: EventRing})
		}
	case dahdiEventRingBegin:
		// Counted through RINGOFFHOOK instead (see above).
	case dahdiEventOnHook:
		if d.state != lineIdle {
			announced := d.cid == nil
			d.state, d.cid = lineIdle, nil
			if announced {
				d.emitLocked(Event{Kind: EventHangup})
			}
		}
	case dahdiEventDialComplete:
		if d.dialed != nil {
			close(d.dialed)
			d.dialed = nil
		}
	case dahdiEventPolarity:
		// A polarity reversal after dialling is the exchange's answer
		// signal on lines that give one.
		if d.state == lineDialing || d.state == lineUp {
			d.emitLocked(Event{Kind: EventAnswer})
		}
	case dahdiEventAlarm, dahdiEventRemoved:
		d.emitLocked(Event{Kind: EventAlarm})
	case dahdiEventNoAlarm:
		d.emitLocked(Event{Kind: EventNoAlarm})
	}
}

func (d *DAHDI) emit(e Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.emitLocked(e)
}

func (d *DAHDI) emitLocked(e Event) {
	e.At = d.now()
	select {
	case d.events <- e:
	default:
		d.log.Warn("dahdi: event dropped, nobody reading", "line", d.id, "event", e.Kind)
	}
}

// OffHook implements Channel: it answers a ringing line.
func (d *DAHDI) OffHook(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.state != lineRinging || d.cid != nil {
		return ErrNotRinging
	}
	if err := d.dev.SetInt(ioctlHook, dahdiOffHook); err != nil {
		return fmt.Errorf("linecard: off-hook %s: %w", d.id, err)
	}
	d.state = lineUp
	return nil
}

// Dial implements Channel: off-hook, then the digits as DTMF through
// DAHDI_DIAL. Analogue lines give no answer signal unless the exchange
// reverses polarity, so Dial returns when dialling is complete; a
// polarity reversal later arrives as EventAnswer. callerID cannot be
// presented on an analogue line and is ignored.
func (d *DAHDI) Dial(ctx context.Context, number, callerID string) error {
	d.mu.Lock()
	if d.state != lineIdle {
		d.mu.Unlock()
		return ErrBusy
	}
	if err := d.dev.SetInt(ioctlHook, dahdiOffHook); err != nil {
		d.mu.Unlock()
		return fmt.Errorf("linecard: seize %s: %w", d.id, err)
	}
	op := dialOp{Op: dahdiDialOpAppend}
	if len(number)+1 >= len(op.Dialstr) {
		d.mu.Unlock()
		d.OnHook()
		return fmt.Errorf("linecard: number too long (%d digits)", len(number))
	}
	copy(op.Dialstr[:], "T"+number) // T: tone (DTMF) dialling
	d.state = lineDialing
	dialed := make(chan struct{})
	d.dialed = dialed
	d.mu.Unlock()
	if err := d.dev.Dial(&op); err != nil {
		d.OnHook()
		return fmt.Errorf("linecard: DAHDI_DIAL %s: %w", d.id, err)
	}
	select {
	case <-dialed:
	case <-ctx.Done():
		d.OnHook()
		return ctx.Err()
	case <-d.closed:
		return ErrClosed
	}
	d.mu.Lock()
	if d.state == lineDialing {
		d.state = lineUp
	}
	d.mu.Unlock()
	return nil
}

// OnHook implements Channel.
func (d *DAHDI) OnHook() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.state == lineIdle {
		return nil
	}
	d.state = lineIdle
	d.dialed, d.cid = nil, nil
	if err := d.dev.SetInt(ioctlHook, dahdiOnHook); err != nil {
		return fmt.Errorf("linecard: on-hook %s: %w", d.id, err)
	}
	return nil
}

// SendDigit implements Channel through DAHDI_DIAL.
func (d *DAHDI) SendDigit(ctx context.Context, digit byte) error {
	op := dialOp{Op: dahdiDialOpAppend}
	copy(op.Dialstr[:], []byte{'T', digit})
	return d.dev.Dial(&op)
}

// Media implements Channel: the DAHDI channel is its own endpoint.
func (d *DAHDI) Media() media.Endpoint { return d }

// Reader implements media.Endpoint: frames read from the line. It
// returns media.ErrClosed once the channel is closed.
func (d *DAHDI) Reader() media.FrameReader {
	return media.FrameReaderFunc(func(f *media.Frame) error {
		select {
		case fr := <-d.frames:
			*f = fr
			return nil
		case <-d.closed:
			return media.ErrClosed
		}
	})
}

// Writer implements media.Endpoint: each frame becomes one 160-byte
// G.711 write; the driver's buffer paces the writer.
func (d *DAHDI) Writer() media.FrameWriter { return media.FrameWriterFunc(d.WriteFrame) }

// WriteFrame encodes f in the line's law and writes it.
func (d *DAHDI) WriteFrame(f *media.Frame) error {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	if d.law == g711.Alaw {
		g711.EncodeAlaw(d.wbuf[:], f[:])
	} else {
		g711.EncodeUlaw(d.wbuf[:], f[:])
	}
	for {
		_, err := d.dev.Write(d.wbuf[:])
		if errors.Is(err, syscall.Errno(errnoEventPending)) {
			// The read loop fetches the event; the audio is retried.
			select {
			case <-d.closed:
				return media.ErrClosed
			default:
				continue
			}
		}
		return err
	}
}

// RelayTo implements media.Endpoint by copying frames from the line to
// other in a goroutine that stop ends and waits for.
func (d *DAHDI) RelayTo(other media.Endpoint) (stop func()) {
	return copyFrames(d.Reader(), other.Writer())
}

// Close releases the channel and waits for its read loop.
func (d *DAHDI) Close() error {
	d.closeMu.Lock()
	defer d.closeMu.Unlock()
	select {
	case <-d.closed:
		return nil
	default:
	}
	close(d.closed)
	d.OnHook()
	err := d.dev.Close()
	d.wg.Wait()
	return err
}

// copyFrames moves frames from r to w until stop is called or either
// side fails.
func copyFrames(r media.FrameReader, w media.FrameWriter) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var f media.Frame
		for {
			select {
			case <-done:
				return
			default:
			}
			if r.ReadFrame(&f) != nil || w.WriteFrame(&f) != nil {
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		<-finished
	}
}
