package modem

import "bytes"

// Control bytes of the AT dialect and of fax data (ITU-T T.32 §8.2).
const (
	cr    = '\r'
	lf    = '\n'
	ctrlZ = 0x1a // ends an SMS PDU after the "> " prompt
	esc   = 0x1b // cancels an SMS at the prompt
	dle   = 0x10 // data link escape: DLE DLE is a data byte 0x10
	etx   = 0x03 // DLE ETX ends a block of data
)

// maxLine bounds a response line; a longer run of bytes without a line end
// is garbage on the line and is dropped.
const maxLine = 4096

// framer splits the bytes from a modem into response lines, and hands out
// the raw bytes of a data phase.
type framer struct {
	pending []byte
	// garbage counts bytes dropped as line noise (control bytes inside a
	// line, overlong lines).
	garbage int
}

func (f *framer) push(b []byte) { f.pending = append(f.pending, b...) }

// line returns the next complete, non-empty line without its terminator.
// Control bytes inside a line are dropped and counted as garbage.
func (f *framer) line() (string, bool) {
	for {
		i := bytes.IndexAny(f.pending, "\r\n")
		if i < 0 {
			if len(f.pending) > maxLine {
				f.garbage += len(f.pending)
				f.pending = f.pending[:0]
			}
			return "", false
		}
		raw := f.pending[:i]
		f.pending = f.pending[i+1:]
		if len(raw) > maxLine {
			f.garbage += len(raw)
			continue
		}
		clean := make([]byte, 0, len(raw))
		for _, c := range raw {
			if c < 0x20 || c == 0x7f {
				f.garbage++
				continue
			}
			clean = append(clean, c)
		}
		if s := string(bytes.TrimSpace(clean)); s != "" {
			return s, true
		}
	}
}

// prompt consumes the SMS text prompt "> " if it is what comes next. The
// prompt has no line end, so it is looked for in the partial line.
func (f *framer) prompt() bool {
	p := bytes.TrimLeft(f.pending, "\r\n")
	if len(p) == 0 || p[0] != '>' {
		return false
	}
	p = p[1:]
	if len(p) > 0 && p[0] == ' ' {
		p = p[1:]
	}
	f.pending = append(f.pending[:0], p...)
	return true
}

// take returns and removes every pending byte (the start of a data phase).
func (f *framer) take() []byte {
	b := f.pending
	f.pending = nil
	return b
}

// unstuffer reads fax data: DLE DLE is a 0x10 data byte, DLE ETX ends the
// data; any other DLE pair is a signal that carries no data and is dropped.
type unstuffer struct {
	out    bytes.Buffer
	inDLE  bool
	ended  bool
	signal []byte // the non-data DLE codes seen, in order
	// started is set after the first byte: the LF that ends the CONNECT
	// line may come first and is not data.
	started bool
}

// feed consumes b up to the end of the data and returns what follows it.
func (u *unstuffer) feed(b []byte) (rest []byte) {
	for i, c := range b {
		if u.ended {
			return b[i:]
		}
		if !u.started {
			u.started = true
			if c == lf {
				continue
			}
		}
		switch {
		case u.inDLE:
			u.inDLE = false
			switch c {
			case dle:
				u.out.WriteByte(dle)
			case etx:
				u.ended = true
			default:
				u.signal = append(u.signal, c)
			}
		case c == dle:
			u.inDLE = true
		default:
			u.out.WriteByte(c)
		}
	}
	return nil
}

// stuff escapes data for sending: every 0x10 is doubled.
func stuff(data []byte) []byte {
	out := make([]byte, 0, len(data)+len(data)/64+4)
	for _, c := range data {
		if c == dle {
			out = append(out, dle)
		}
		out = append(out, c)
	}
	return out
}
