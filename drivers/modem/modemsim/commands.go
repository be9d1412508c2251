package modemsim

import (
	"fmt"
	"strconv"
	"strings"

	"callbox/drivers/modem/sms"
)

// dispatch answers one AT command line.
func (m *Modem) dispatch(in *input, line string) {
	up := strings.ToUpper(line)
	arg := func(prefix string) string { return strings.TrimSpace(line[len(prefix):]) }
	switch {
	case up == "AT":
		m.reply("OK")
	case up == "ATZ" || up == "AT&F":
		m.mu.Lock()
		m.reset()
		m.mu.Unlock()
		m.reply("OK")
	case up == "ATV1", up == "ATQ0", up == "ATQ", up == "ATX", strings.HasPrefix(up, "ATX"),
		strings.HasPrefix(up, "ATL"), strings.HasPrefix(up, "ATM"), strings.HasPrefix(up, "AT&"),
		strings.HasPrefix(up, "ATS"):
		// Speaker, result code set, DTR/DCD handling and S-registers are
		// accepted and have no effect on the simulated line.
		m.reply("OK")
	case up == "ATE0" || up == "ATE1":
		m.mu.Lock()
		m.echo = up == "ATE1"
		m.mu.Unlock()
		m.reply("OK")
	case up == "ATI":
		m.reply(m.cfg.Manufacturer+" "+m.cfg.Model+" simulated modem", "OK")
	case up == "AT+CGMI":
		m.reply(m.cfg.Manufacturer, "OK")
	case up == "AT+CGMM":
		m.reply(m.cfg.Model, "OK")
	case up == "AT+CGMR":
		m.reply("1.0", "OK")
	case strings.HasPrefix(up, "AT+CMEE="):
		m.reply("OK")
	case up == "AT+FCLASS=?":
		if m.cfg.Fax {
			m.reply("0,1,2.0", "OK")
		} else {
			m.reply("0", "OK")
		}
	case up == "AT+FCLASS?":
		m.mu.Lock()
		c := m.class
		m.mu.Unlock()
		m.reply(c, "OK")
	case strings.HasPrefix(up, "AT+FCLASS="):
		c := arg("AT+FCLASS=")
		if c != "0" && !(m.cfg.Fax && (c == "2.0" || c == "1")) {
			m.reply("ERROR")
			return
		}
		m.mu.Lock()
		m.class = c
		m.mu.Unlock()
		m.reply("OK")
	case strings.HasPrefix(up, "AT+CLIP="):
		m.mu.Lock()
		m.clip = arg("AT+CLIP=") == "1"
		m.mu.Unlock()
		m.reply("OK")
	case up == "ATA":
		m.answer()
	case strings.HasPrefix(up, "ATD"):
		m.dial(strings.TrimRight(strings.TrimPrefix(arg("ATD"), "T"), ";"))
	case up == "ATH" || up == "ATH0" || up == "AT+FKS":
		m.hangup()
		m.reply("OK")
	case strings.HasPrefix(up, "AT+F"):
		m.faxCommand(in, line, up)
	case strings.HasPrefix(up, "AT+C") && !m.cfg.SMS:
		m.reply("ERROR")
	default:
		m.smsCommand(in, line, up)
	}
}

// smsCommand answers the SMS and SIM commands of 3GPP TS 27.005/27.007.
func (m *Modem) smsCommand(in *input, line, up string) {
	arg := func(prefix string) string { return strings.TrimSpace(line[len(prefix):]) }
	switch {
	case up == "AT+CSQ":
		m.reply("+CSQ: 21,99", "OK")
	case up == "AT+CPIN?":
		m.reply("+CPIN: READY", "OK")
	case up == "AT+CMGF=?":
		m.reply("+CMGF: (0,1)", "OK")
	case up == "AT+CMGF=0":
		m.reply("OK")
	case strings.HasPrefix(up, "AT+CMGF="):
		m.reply("+CMS ERROR: 303") // text mode is not simulated
	case strings.HasPrefix(up, "AT+CNMI="):
		f := strings.Split(arg("AT+CNMI="), ",")
		m.mu.Lock()
		if len(f) > 1 {
			m.cnmiMT, _ = strconv.Atoi(strings.TrimSpace(f[1]))
		}
		if len(f) > 3 {
			m.cnmiDS, _ = strconv.Atoi(strings.TrimSpace(f[3]))
		}
		m.mu.Unlock()
		m.reply("OK")
	case strings.HasPrefix(up, "AT+CPMS"):
		used, _ := m.StoredCount()
		n := len(m.slots)
		if up == "AT+CPMS?" || strings.HasPrefix(up, "AT+CPMS=") {
			s := fmt.Sprintf(`"SM",%d,%d`, used, n)
			m.reply("+CPMS: "+s+","+s+","+s, "OK")
			return
		}
		m.reply("ERROR")
	case strings.HasPrefix(up, "AT+CSMP=") || strings.HasPrefix(up, "AT+CSCS="):
		m.reply("OK")
	case strings.HasPrefix(up, "AT+CMGS="):
		n, err := strconv.Atoi(arg("AT+CMGS="))
		if err != nil || n < 7 || n > 164 {
			m.reply("+CMS ERROR: 304")
			return
		}
		in.mode, in.pduLen = modePrompt, n
		m.write([]byte("\r\n> "))
	case strings.HasPrefix(up, "AT+CMGR="):
		i, err := strconv.Atoi(arg("AT+CMGR="))
		s := m.slot(i)
		if err != nil || s == nil {
			m.reply("+CMS ERROR: 321")
			return
		}
		m.reply(fmt.Sprintf("+CMGR: %d,,%d", stat(s), s.n), s.pdu, "OK")
		m.mu.Lock()
		s.read = true
		m.mu.Unlock()
	case strings.HasPrefix(up, "AT+CMGL="):
		which, _ := strconv.Atoi(arg("AT+CMGL="))
		var lines []string
		m.mu.Lock()
		for i, s := range m.slots {
			if s == nil || (which != 4 && which != stat(s)) {
				continue
			}
			lines = append(lines, fmt.Sprintf("+CMGL: %d,%d,,%d", i, stat(s), s.n), s.pdu)
			s.read = true
		}
		m.mu.Unlock()
		m.reply(append(lines, "OK")...)
	case strings.HasPrefix(up, "AT+CMGD="):
		f := strings.Split(arg("AT+CMGD="), ",")
		i, err := strconv.Atoi(strings.TrimSpace(f[0]))
		if err != nil || i < 0 || i >= len(m.slots) {
			m.reply("+CMS ERROR: 321")
			return
		}
		m.mu.Lock()
		if len(f) > 1 && strings.TrimSpace(f[1]) == "4" {
			clear(m.slots)
		} else {
			m.slots[i] = nil
		}
		m.mu.Unlock()
		m.reply("OK")
		m.fillFreedSlots()
	default:
		m.reply("ERROR")
	}
}

func stat(s *stored) int {
	if s.read {
		return 1
	}
	return 0
}

func (m *Modem) slot(i int) *stored {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i < 0 || i >= len(m.slots) {
		return nil
	}
	return m.slots[i]
}

// submit handles the PDU typed after the AT+CMGS prompt.
func (m *Modem) submit(pdu string, n int) {
	s, err := sms.DecodeSubmit(pdu, n)
	if err != nil {
		m.log.Info("bad PDU submitted", "err", err)
		m.reply("+CMS ERROR: 304")
		return
	}
	m.mu.Lock()
	m.mr++
	mr := m.mr
	m.sent = append(m.sent, Sent{MR: mr, Submit: s})
	m.mu.Unlock()
	m.reply(fmt.Sprintf("+CMGS: %d", mr), "OK")
	m.net.route(m, s, mr)
}
