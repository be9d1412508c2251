package ivr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"callbox/acd"
	"callbox/media"
	"callbox/media/dtmf"
	"callbox/media/prompt"
	"callbox/media/rtp"
	"callbox/media/wav"
)

// Errors of a live call.
var (
	// ErrNotOffered is what an action without a function in Actions
	// returns: its node takes the failure exit.
	ErrNotOffered = errors.New("ivr: action not offered on this box")
	// ErrNoMedia: the caller's leg has no media endpoint.
	ErrNoMedia = errors.New("ivr: the call has no media")
)

// Default digit timeouts when a request leaves them zero.
const (
	DefaultFirstTimeout      = 5 * time.Second
	DefaultInterDigitTimeout = 3 * time.Second
)

// Voice is the media side every live IVR call shares: the pacer that
// times all prompt playback in the box and the prompt library.
type Voice struct {
	// Pacer plays prompts; its Run must be running (required).
	Pacer *prompt.Pacer
	// Prompts finds prompts by language and key (required).
	Prompts *prompt.Library
	// Files resolves an uploaded prompt file's name to a path; nil
	// allows only absolute paths (voicemail greetings and messages).
	Files func(name string) (string, bool)
	// Log is the logger (nil: slog.Default()).
	Log *slog.Logger
	// Clock times digit and recording limits (nil: the wall clock); a
	// ticker's first tick is the deadline.
	Clock prompt.Clock
}

// after is a deadline d from now on the voice's clock.
func (l *Live) after(d time.Duration) prompt.Ticker {
	c := l.v.Clock
	if c == nil {
		c = prompt.RealClock{}
	}
	return c.NewTicker(d)
}

// FilesIn resolves uploaded prompt files (Voice.Files) to WAV files in
// dir: "price-list" is dir/price-list.wav. Names are prompt keys (a-z,
// 0-9, -), so a flow cannot name a file outside dir.
func FilesIn(dir string) func(name string) (string, bool) {
	return func(name string) (string, bool) {
		if !prompt.ValidKey(name) {
			return "", false
		}
		p := filepath.Join(dir, name+".wav")
		st, err := os.Stat(p)
		return p, err == nil && st.Mode().IsRegular()
	}
}

// Actions are the hand-offs the wiring provides. A nil function means the
// box does not offer that action: its node takes the failure exit, and a
// nil SendFax also keeps fax nodes out of the designer (Palette) and out
// of published flows (Checks.NoFax).
type Actions struct {
	Queue     func(ctx context.Context, c *acd.Call, req QueueRequest) error
	Transfer  func(ctx context.Context, c *acd.Call, req TransferRequest) error
	Voicemail func(ctx context.Context, c *acd.Call, req VoicemailRequest) error
	Callback  func(ctx context.Context, c *acd.Call, req CallbackRequest) error
	SendFax   func(ctx context.Context, c *acd.Call, req FaxRequest) error
}

// Live is the IVR's Call over a switch call: prompts go through the
// Voice's pacer to the caller leg's media, digits come from the leg's
// RFC 4733 events (acd.DigitSource on the leg or on its media endpoint)
// or, when there are none, from in-band detection on its audio. It also
// records the caller (Record), which is what voicemail needs. A Live
// belongs to the call's goroutine; Close it when done.
type Live struct {
	c   *acd.Call
	v   *Voice
	a   Actions
	log *slog.Logger

	ep      media.Endpoint
	digits  <-chan byte // RFC 4733 digits; nil when inband
	inband  bool        // keys come as tones in the audio
	pending []byte      // keys pressed before anyone asked (type-ahead)
	lis     *listener
	hungUp  bool // the flow hung up (the switch then cancels the context)

	mu    sync.Mutex
	plays int // prompts played, for tests and the call view
}

// NewLive wraps c for the IVR. Nothing starts until the first prompt or
// digit request.
func NewLive(c *acd.Call, v *Voice, a Actions) *Live {
	log := v.Log
	if log == nil {
		log = slog.Default()
	}
	return &Live{c: c, v: v, a: a, log: log.With("call", c.ID())}
}

// Call is the switch call under this live call.
func (l *Live) Call() *acd.Call { return l.c }

// Played counts the prompts played so far.
func (l *Live) Played() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.plays
}

// Close stops the audio listener, if one runs, and waits for it.
func (l *Live) Close() error {
	l.quiet()
	return nil
}

// setup finds the caller's media and digit source once.
func (l *Live) setup() error {
	if l.ep != nil {
		return nil
	}
	leg := l.c.Caller()
	ep := leg.Media()
	if ep == nil {
		return ErrNoMedia
	}
	l.ep = ep
	switch {
	case asDigits(leg) != nil:
		l.digits = asDigits(leg)
	case asDigits(ep) != nil && eventsNegotiated(ep):
		l.digits = asDigits(ep)
	default:
		l.inband = true
	}
	return nil
}

// eventsNegotiated tells whether an RTP endpoint's far end agreed to send
// RFC 4733 telephone-events; one that did not (many PSTN gateways) sends
// its keys as tones in the audio.
func eventsNegotiated(ep media.Endpoint) bool {
	if s, ok := ep.(interface{ State() rtp.State }); ok {
		return s.State().DTMFPT != 0
	}
	return true
}

func asDigits(v any) <-chan byte {
	if d, ok := v.(acd.DigitSource); ok {
		return d.Digits()
	}
	return nil
}

// keys returns the channel digits arrive on, starting the in-band
// listener when the leg has no digit events.
func (l *Live) keys() <-chan byte {
	if l.inband {
		return l.listen().digits
	}
	return l.digits
}

// listen starts the audio listener if it is not running.
func (l *Live) listen() *listener {
	if l.lis == nil {
		l.lis = startListener(l.ep, l.inband)
	}
	return l.lis
}

// quiet stops the listener before the call's audio goes elsewhere (a
// queue, a transfer, another reader): one reader per leg at a time.
func (l *Live) quiet() {
	if l.lis != nil {
		l.lis.stop()
		// Keys the listener heard but nobody asked for stay with the
		// call for the next request.
		l.pending = append(l.pending, l.lis.drain()...)
		l.lis = nil
	}
}

// Play implements Call.
func (l *Live) Play(ctx context.Context, prompts []Prompt, bargeIn bool) error {
	if err := l.setup(); err != nil {
		return err
	}
	if len(prompts) == 0 || bargeIn && len(l.pending) > 0 {
		// A caller who typed ahead does not hear what they skipped.
		return ctx.Err()
	}
	src := &sequence{l: l, prompts: prompts}
	defer src.Close()
	var opts []prompt.PlayOption
	if bargeIn {
		opts = append(opts, prompt.WithBargeIn(l.keys()))
	}
	res, err := l.v.Pacer.Play(ctx, src, l.ep.Writer(), opts...)
	if res.Digit != 0 {
		l.pending = append(l.pending, res.Digit)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("ivr: play: %w", err)
	}
	return nil
}

// CollectDigits implements Call.
func (l *Live) CollectDigits(ctx context.Context, req DigitRequest) (string, error) {
	if err := l.setup(); err != nil {
		return "", err
	}
	if err := l.Play(ctx, req.Prompts, req.BargeIn); err != nil {
		return "", err
	}
	first, inter := req.FirstTimeout, req.InterDigitTimeout
	if first <= 0 {
		first = DefaultFirstTimeout
	}
	if inter <= 0 {
		inter = DefaultInterDigitTimeout
	}
	limit := req.Max
	if limit <= 0 {
		limit = 1
	}
	var got []byte
	keys := l.keys()
	timer := l.after(first)
	defer func() { timer.Stop() }()
	for len(got) < limit {
		var d byte
		if len(l.pending) > 0 {
			d, l.pending = l.pending[0], l.pending[1:]
		} else {
			select {
			case d = <-keys:
			case <-timer.C():
				return string(got), nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		if req.Terminator != 0 && d == req.Terminator {
			break
		}
		got = append(got, d)
		timer.Stop()
		timer = l.after(inter)
	}
	return string(got), nil
}

// sequence plays a prompt list as one reader, opening each prompt when
// the previous one ends. A prompt that cannot be opened is skipped (and
// logged): a missing recording must not end a caller's call.
type sequence struct {
	l       *Live
	prompts []Prompt
	cur     media.FrameReader
	closer  io.Closer
}

func (s *sequence) ReadFrame(f *media.Frame) error {
	for {
		if s.cur == nil {
			if len(s.prompts) == 0 {
				return io.EOF
			}
			p := s.prompts[0]
			s.prompts = s.prompts[1:]
			r, c, err := s.l.open(p)
			if err != nil {
				s.l.log.Warn("ivr: prompt skipped", "prompt", p.String(), "err", err)
				continue
			}
			s.cur, s.closer = r, c
			s.l.mu.Lock()
			s.l.plays++
			s.l.mu.Unlock()
		}
		err := s.cur.ReadFrame(f)
		if !errors.Is(err, io.EOF) {
			return err
		}
		s.Close()
	}
}

func (s *sequence) Close() error {
	var err error
	if s.closer != nil {
		err = s.closer.Close()
	}
	s.cur, s.closer = nil, nil
	return err
}

// open opens one prompt for reading.
func (l *Live) open(p Prompt) (media.FrameReader, io.Closer, error) {
	if p.File == "" {
		pr, err := l.v.Prompts.Open(p.Lang, p.Key)
		if err != nil {
			return nil, nil, err
		}
		return pr, pr, nil
	}
	path := p.File
	if !filepath.IsAbs(path) {
		if l.v.Files == nil {
			return nil, nil, fmt.Errorf("ivr: no uploaded file %q", p.File)
		}
		var ok bool
		if path, ok = l.v.Files(p.File); !ok {
			return nil, nil, fmt.Errorf("ivr: no uploaded file %q", p.File)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	r, err := wav.NewReader(f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return r, f, nil
}

// listener hears the caller's audio: in-band digit detection for legs
// without digit events, and the recording sink while Record runs. It
// takes the frames through the leg's own RelayTo, whose copying goroutine
// the endpoint owns and whose stop ends it and waits for it, so stopping
// never waits on a silent caller.
type listener struct {
	digits chan byte
	det    *dtmf.Detector
	halt   func()

	mu   sync.Mutex
	sink media.FrameWriter
	err  error // why the sink failed
}

func startListener(ep media.Endpoint, inband bool) *listener {
	ls := &listener{digits: make(chan byte, 32)}
	if inband {
		ls.det = startListenerDetector(ls)
	}
	ls.halt = ep.RelayTo(listenerEndpoint{ls})
	return ls
}

// startListenerDetector makes the in-band detector that hands digits to
// ls.
func startListenerDetector(ls *listener) *dtmf.Detector {
	return dtmf.NewDetector(func(d byte) {
		select {
		case ls.digits <- d:
		default: // nobody listens and the buffer is full: drop
		}
	})
}

// WriteFrame takes one frame of the caller's audio, on the endpoint's
// copying goroutine.
func (ls *listener) WriteFrame(f *media.Frame) error {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.det != nil {
		// Detector errors only report a frame of the wrong size, which
		// a media.Frame cannot be.
		_ = ls.det.WriteFrame(f)
	}
	if ls.sink != nil {
		if err := ls.sink.WriteFrame(f); err != nil {
			ls.err, ls.sink = err, nil
		}
	}
	return nil
}

// listenerEndpoint lets a listener be the far end of a leg's RelayTo: it
// only takes audio.
type listenerEndpoint struct{ ls *listener }

func (e listenerEndpoint) Reader() media.FrameReader {
	return media.FrameReaderFunc(func(*media.Frame) error { return io.EOF })
}
func (e listenerEndpoint) Writer() media.FrameWriter            { return e.ls }
func (e listenerEndpoint) RelayTo(media.Endpoint) (stop func()) { return func() {} }

// setSink starts (w) or ends (nil) feeding a writer; after setSink(nil)
// returns, w is never written again.
func (ls *listener) setSink(w media.FrameWriter) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.sink = w
	if w != nil {
		ls.err = nil
	}
}

// failed reports why the sink failed.
func (ls *listener) failed() error {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.err
}

func (ls *listener) stop() { ls.halt() }

// drain returns the digits detected and not yet read.
func (ls *listener) drain() []byte {
	var out []byte
	for {
		select {
		case d := <-ls.digits:
			out = append(out, d)
		default:
			return out
		}
	}
}
