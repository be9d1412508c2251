package modemsim

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"callbox/media/t4"
)

// Timing of the simulated line. Ringing repeats like a real line's cadence;
// the waits bound how long one side waits for the other's DTE.
const (
	ringEvery   = 500 * time.Millisecond
	dialTimeout = 30 * time.Second
	pageTimeout = 60 * time.Second
)

// call is a fax call between two simulated modems.
type call struct {
	caller, callee *Modem
	answered       chan struct{}
	pages          chan faxPage // caller to callee
	acks           chan int     // page results, callee to caller
	ended          chan struct{}
	endOnce        sync.Once
	done           bool // the callee has seen EOP (guarded by callee.mu)
}

func (c *call) end() { c.endOnce.Do(func() { close(c.ended) }) }

type faxPage struct {
	data []byte
	vr   int  // 0 standard, 1 fine
	ppm  byte // ',' MPS, ';' EOM, '.' EOP
}

// session parameters reported as +FCS: vr,br,wd,ln,df,ec,bf,st (T.32):
// br 5 is 14400 bit/s, wd 0 is 1728 pixels, ln 2 unlimited, df 0 is MH.
func fcs(vr int) string { return fmt.Sprintf("+FCS:%d,5,0,2,0,0,0,0", vr) }

func (m *Modem) faxClass() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cfg.Fax && m.class == "2.0"
}

// dial calls number; in fax class 2.0 the call becomes a fax session once
// the far end answers.
func (m *Modem) dial(number string) {
	if !m.faxClass() {
		m.reply("NO CARRIER")
		return
	}
	peer := m.net.lookup(number)
	if peer == nil || peer == m || !peer.cfg.Fax {
		m.reply("NO CARRIER")
		return
	}
	c := &call{caller: m, callee: peer, answered: make(chan struct{}), pages: make(chan faxPage),
		acks: make(chan int), ended: make(chan struct{})}
	peer.mu.Lock()
	if peer.call != nil || peer.ringing != nil || peer.hang != answering {
		peer.mu.Unlock()
		m.reply("BUSY")
		return
	}
	peer.ringing = c
	clip := peer.clip
	peer.mu.Unlock()
	ring := []string{"RING"}
	if clip {
		ring = append(ring, fmt.Sprintf(`+CLIP: "%s",145`, m.cfg.Number))
	}
	tick := time.NewTicker(ringEvery)
	defer tick.Stop()
	deadline := time.NewTimer(dialTimeout)
	defer deadline.Stop()
	peer.urc(ring...)
	for {
		select {
		case <-c.answered:
			m.mu.Lock()
			m.call = c
			m.mu.Unlock()
			m.reply("+FCO", fmt.Sprintf(`+FCI:"%s"`, peer.stationID()), fcs(0), "OK")
			return
		case <-tick.C:
			peer.urc(ring...)
		case <-deadline.C:
			peer.mu.Lock()
			if peer.ringing == c {
				peer.ringing = nil
			}
			peer.mu.Unlock()
			m.reply("NO ANSWER")
			return
		}
	}
}

// Ringing reports whether a call is ringing at this modem, not yet answered.
func (m *Modem) Ringing() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ringing != nil
}

func (m *Modem) stationID() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.fli
}

// answer picks up a ringing fax call.
func (m *Modem) answer() {
	m.mu.Lock()
	c := m.ringing
	m.ringing = nil
	if c != nil {
		m.call = c
	}
	m.mu.Unlock()
	if c == nil {
		m.reply("NO CARRIER")
		return
	}
	close(c.answered)
	m.reply("+FCO", fmt.Sprintf(`+FTI:"%s"`, c.caller.stationID()), fcs(0), "OK")
}

func (m *Modem) hangup() {
	m.mu.Lock()
	c := m.call
	m.call = nil
	m.mu.Unlock()
	if c != nil {
		c.end()
	}
}

// faxCommand answers the Class 2.0 commands.
func (m *Modem) faxCommand(in *input, line, up string) {
	if !m.cfg.Fax {
		m.reply("ERROR")
		return
	}
	switch {
	case strings.HasPrefix(up, "AT+FLI="):
		id := strings.Trim(strings.TrimSpace(line[len("AT+FLI="):]), `"`)
		if len(id) > 20 {
			m.reply("ERROR")
			return
		}
		m.mu.Lock()
		m.fli = id
		m.mu.Unlock()
		m.reply("OK")
	case strings.HasPrefix(up, "AT+FIS="):
		vr, err := strconv.Atoi(strings.Split(line[len("AT+FIS="):], ",")[0])
		if err != nil || vr < 0 || vr > 1 {
			m.reply("ERROR")
			return
		}
		m.mu.Lock()
		m.fis = vr
		m.mu.Unlock()
		m.reply("OK")
	case up == "AT+FDT":
		m.sendPhase(in)
	case up == "AT+FDR":
		m.receivePhase()
	case strings.Contains(up, "="), strings.HasSuffix(up, "?"):
		m.reply("OK") // +FCR, +FCC, +FNR, +FLO, +FBO, +FAA, +FPS...: accepted
	default:
		m.reply("ERROR")
	}
}

// sendPhase starts page transmission: the DTE's data follows CONNECT.
func (m *Modem) sendPhase(in *input) {
	m.mu.Lock()
	c, vr := m.call, m.fis
	if c != nil && c.caller == m {
		m.inData = true
	}
	m.mu.Unlock()
	if c == nil || c.caller != m {
		m.reply("ERROR")
		return
	}
	in.mode = modeData
	m.reply(fcs(vr), "CONNECT")
}

// pageSent is called with a page's data when the DTE ends it with a DLE
// post-page code; the page goes down the line and the receiver's result
// comes back as +FPS.
func (m *Modem) pageSent(data []byte, ppm byte) {
	m.endData()
	m.mu.Lock()
	c, vr := m.call, m.fis
	m.mu.Unlock()
	lines := countLines(data, vr)
	fail := func() {
		m.hangup()
		m.reply("+FHS:52", "ERROR") // no response to post-page command
	}
	if c == nil {
		m.reply("ERROR")
		return
	}
	if m.cfg.LineRate > 0 {
		// The time the page takes on the line.
		select {
		case <-time.After(time.Duration(len(data)) * 8 * time.Second / time.Duration(m.cfg.LineRate)):
		case <-c.ended:
		}
	}
	select {
	case c.pages <- faxPage{data: data, vr: vr, ppm: ppm}:
	case <-c.ended:
		fail()
		return
	case <-time.After(pageTimeout):
		fail()
		return
	}
	var res int
	select {
	case res = <-c.acks:
	case <-c.ended:
		fail()
		return
	case <-time.After(pageTimeout):
		fail()
		return
	}
	out := []string{fmt.Sprintf("+FPS:%d,%d,0,0,0", res, lines)}
	if ppm == '.' {
		out = append(out, "+FHS:00")
		m.mu.Lock()
		m.call = nil
		m.mu.Unlock()
	}
	m.reply(append(out, "OK")...)
}

// receivePhase hands the next page to the receiving DTE, or ends the call
// after the last one.
func (m *Modem) receivePhase() {
	m.mu.Lock()
	c := m.call
	var done bool
	if c != nil {
		done = c.done
	}
	m.mu.Unlock()
	if c == nil || c.callee != m {
		m.reply("ERROR")
		return
	}
	if done {
		m.hangup()
		m.reply("+FHS:00", "OK")
		return
	}
	var p faxPage
	select {
	case p = <-c.pages:
	case <-c.ended:
		m.hangup()
		m.reply("+FHS:70", "ERROR") // the sender went away
		return
	case <-time.After(pageTimeout):
		m.hangup()
		m.reply("+FHS:70", "ERROR")
		return
	}
	m.mu.Lock()
	m.inData = true
	m.mu.Unlock()
	var b bytes.Buffer
	b.WriteString("\r\n" + fcs(p.vr) + "\r\n\r\nCONNECT\r\n")
	for _, x := range p.data {
		if x == 0x10 {
			b.WriteByte(0x10)
		}
		b.WriteByte(x)
	}
	b.Write([]byte{0x10, 0x03})
	m.write(b.Bytes())
	m.endData()
	lines, bad := countLinesBad(p.data, p.vr)
	res := 1 // MCF
	if lines == 0 || bad*4 > lines {
		res = 2 // RTN: the page was not good enough
	}
	fet := map[byte]int{',': 0, ';': 1, '.': 2}[p.ppm]
	if p.ppm == '.' {
		m.mu.Lock()
		c.done = true
		m.mu.Unlock()
	}
	m.reply(fmt.Sprintf("+FPS:%d,%d,%d,0,0", res, lines, bad), fmt.Sprintf("+FET:%d", fet), "OK")
	select {
	case c.acks <- res:
	case <-c.ended:
	case <-time.After(pageTimeout):
	}
}

func countLines(data []byte, vr int) int {
	n, _ := countLinesBad(data, vr)
	return n
}

// countLinesBad decodes a page as the receiving modem's copy-quality check
// would: lines and bad lines.
func countLinesBad(data []byte, vr int) (int, int) {
	p, err := t4.Decode(data, t4.Width, t4.Resolution(vr), t4.LSBFirst)
	if err != nil {
		return 0, 0
	}
	return p.Height, p.BadLines
}
