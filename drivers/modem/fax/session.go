package fax

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"callbox/drivers/modem"
	"callbox/firmware/i18n"
)

// ATModem is the part of the modem driver a fax session uses.
type ATModem interface {
	Command(ctx context.Context, cmd string) (modem.Response, error)
	CommandTimeout(ctx context.Context, cmd string, timeout time.Duration) (modem.Response, error)
	SendData(ctx context.Context, cmd string, data, term []byte, idle time.Duration) (modem.Response, error)
	ReceiveData(ctx context.Context, cmd string, idle time.Duration) (modem.Response, error)
	Subscribe(ctx context.Context) <-chan modem.URC
}

// Timeouts of a fax call: dialing and training take tens of seconds, a page
// at 9600 bit/s up to a minute or two, but bytes keep flowing meanwhile.
const (
	dialTimeout  = 90 * time.Second
	pageIdle     = 60 * time.Second
	answerTimout = 60 * time.Second
)

// Post-page messages a sender puts after a page's data (T.32 §8.3.3):
// DLE then ',' more pages follow, ';' end of document, '.' end of procedure.
const (
	dle = 0x10
	mps = ','
	eop = '.'
)

// ErrHangup is a fax call that ended with a hang-up status other than
// normal; the *HangupError says which.
var ErrHangup = errors.New("fax: call ended abnormally")

// HangupError carries a +FHS hang-up status (T.32 table 20).
type HangupError struct {
	Code string // two hex digits, "00" is a normal end
	// Page is the page that was in progress (1-based; 0 before the first).
	Page int
}

// Error is English, for logs.
func (e *HangupError) Error() string { return "fax: " + e.Message(i18n.EN) }

// Unwrap makes errors.Is(err, ErrHangup) true.
func (e *HangupError) Unwrap() error { return ErrHangup }

// Message explains the status in lang.
func (e *HangupError) Message(lang i18n.Lang) string {
	key := "fax.fhs." + e.Code
	if !i18n.Has(key) && e.Code != "" {
		key = "fax.fhs.class." + strings.ToLower(e.Code[:1])
	}
	return i18n.T(lang, "fax.hangup", e.Code, e.Page, i18n.T(lang, key))
}

// fhs returns the hang-up status in a response (+FHS in Class 2.0, +FHNG in
// Class 2), if there is one.
func fhs(r modem.Response) (string, bool) {
	for _, p := range []string{"+FHS", "+FHNG"} {
		if v, ok := r.Value(p); ok {
			v = strings.ToUpper(strings.TrimSpace(v))
			switch len(v) {
			case 0:
				v = "00"
			case 1:
				v = "0" + v
			}
			return v, true
		}
	}
	return "", false
}

// stationID reads a remote station ID: +FCI/+FTI (Class 2.0) or
// +FCSI/+FTSI (Class 2).
func stationID(r modem.Response, names ...string) string {
	for _, n := range names {
		if v, ok := r.Value(n); ok {
			return strings.TrimSpace(strings.Trim(v, `"`))
		}
	}
	return ""
}

// session is the negotiated +FCS: resolution and width.
type session struct {
	fine  bool
	width int
}

var widths = map[int]int{0: 1728, 1: 2048, 2: 2432}

func parseFCS(r modem.Response, prev session) session {
	v, ok := r.Value("+FCS")
	if !ok {
		v, ok = r.Value("+FDCS")
	}
	if !ok {
		return prev
	}
	f := modem.Fields(v)
	s := prev
	if len(f) > 0 {
		s.fine = f[0] == "1"
	}
	if len(f) > 2 {
		if n, err := strconv.Atoi(f[2]); err == nil {
			if w, ok := widths[n]; ok {
				s.width = w
			}
		}
	}
	return s
}

// pageStatus reads +FPS: the first field is the page result (1 MCF good,
// 2 RTN retrain needed, 3 RTP, 4 PIN, 5 PIP), then lines and bad lines.
func pageStatus(r modem.Response) (result, lines, bad int, ok bool) {
	v, found := r.Value("+FPS")
	if !found {
		v, found = r.Value("+FPTS")
	}
	if !found {
		return 0, 0, 0, false
	}
	f := modem.Fields(v)
	result, _ = strconv.Atoi(f[0])
	if len(f) > 1 {
		lines, _ = strconv.Atoi(f[1])
	}
	if len(f) > 2 {
		bad, _ = strconv.Atoi(f[2])
	}
	return result, lines, bad, true
}

// hangup ends the call and leaves fax mode, whatever state it is in.
func hangup(m ATModem) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = m.Command(ctx, "AT+FKS")
	_, _ = m.Command(ctx, "ATH")
}

// unquotable drops what cannot stand inside an AT command's quotes.
var unquotable = strings.NewReplacer(`"`, "", "\r", "", "\n", "")

func quote(s string) string { return `"` + unquotable.Replace(s) + `"` }

func setup(ctx context.Context, m ATModem, localID string) error {
	for _, c := range []string{"AT+FCLASS=2.0", "AT+FLI=" + quote(localID), "AT+FLO=2", "AT+FBO=0", "AT+FCR=1", "AT+FNR=1,1,1,0"} {
		if _, err := m.Command(ctx, c); err != nil {
			return fmt.Errorf("fax: %s: %w", c, err)
		}
	}
	return nil
}
