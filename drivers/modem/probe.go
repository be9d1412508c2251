package modem

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// run sends one command from Run's own goroutine (initialisation, probe,
// recovery), bypassing the request channel.
func (m *Modem) run(ctx context.Context, cmd string, timeout time.Duration) (Response, error) {
	return m.exec(ctx, &request{ctx: ctx, kind: plainRequest, cmd: cmd, timeout: timeout})
}

// initialise sends the init commands and probes the modem. Errors of the
// optional commands are ignored (not every modem has SMS or fax); a timeout
// is returned so that recovery starts.
func (m *Modem) initialise(ctx context.Context) error {
	for _, c := range append([]string{"ATE0", "ATV1", "AT+CMEE=1"}, m.cfg.init...) {
		if _, err := m.run(ctx, c, m.cfg.timeout); err != nil {
			if isTimeout(err) || ctx.Err() != nil {
				return err
			}
			m.log.Info("init command refused", "cmd", c, "err", err)
		}
	}
	info, err := m.probe(ctx)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.status.Info = info
	m.mu.Unlock()
	m.setState(StateReady, "")
	m.log.Info("modem ready", "manufacturer", info.Manufacturer, "model", info.Model,
		"fax", info.FaxClasses, "smsPdu", info.SMSPDU, "signalDbm", info.SignalDBm, "sim", info.SIM)
	return nil
}

// probe identifies the modem and its capabilities.
func (m *Modem) probe(ctx context.Context) (Info, error) {
	var info Info
	text := func(cmd string) (string, error) {
		r, err := m.run(ctx, cmd, m.cfg.timeout)
		if err != nil {
			return "", err
		}
		return strings.Join(r.Lines, " "), nil
	}
	var err error
	for _, p := range []struct {
		cmd string
		dst *string
	}{{"ATI", &info.Ident}, {"AT+CGMI", &info.Manufacturer}, {"AT+CGMM", &info.Model}, {"AT+CGMR", &info.Revision}} {
		if *p.dst, err = text(p.cmd); isTimeout(err) {
			return info, err
		}
		*p.dst = strings.TrimSpace(strings.TrimPrefix(*p.dst, p.cmd[2:]+":"))
	}
	if r, err := m.run(ctx, "AT+FCLASS=?", m.cfg.timeout); err == nil {
		info.FaxClasses = parseClasses(strings.Join(r.Lines, ","))
	} else if isTimeout(err) {
		return info, err
	}
	if r, err := m.run(ctx, "AT+CMGF=?", m.cfg.timeout); err == nil {
		v, _ := r.Value("+CMGF")
		info.SMSPDU = strings.Contains(v, "0")
	} else if isTimeout(err) {
		return info, err
	}
	info.SignalRSSI, info.SignalDBm = 99, 0
	if r, err := m.run(ctx, "AT+CSQ", m.cfg.timeout); err == nil {
		info.SignalRSSI, info.SignalDBm = parseCSQ(r)
	} else if isTimeout(err) {
		return info, err
	}
	if r, err := m.run(ctx, "AT+CPIN?", m.cfg.timeout); err == nil {
		info.SIM, _ = r.Value("+CPIN")
	} else if isTimeout(err) {
		return info, err
	}
	return info, nil
}

// parseClasses reads "0,1,2,2.0" or "(0,1,2.0)".
func parseClasses(v string) []string {
	v = strings.NewReplacer("(", "", ")", "", "+FCLASS:", "").Replace(v)
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseCSQ reads "+CSQ: rssi,ber" (3GPP TS 27.007 §8.5): rssi 0 is -113 dBm
// or less, each step 2 dB, 31 is -51 dBm or more, 99 unknown.
func parseCSQ(r Response) (rssi, dbm int) {
	v, ok := r.Value("+CSQ")
	if !ok {
		return 99, 0
	}
	n, err := strconv.Atoi(Fields(v)[0])
	if err != nil || n < 0 || n > 31 {
		return 99, 0
	}
	return n, -113 + 2*n
}
