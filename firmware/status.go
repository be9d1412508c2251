package firmware

import (
	"sort"
	"strings"

	"callbox/acd"
	"callbox/firmware/store"
	"callbox/webui"
)

// Status is what the web UI, /healthz and the console show: version,
// uptime, the store, the hardware found or simulated, each service, and
// the switch: SIP listeners, registered phones, lines, active calls.
func (a *Appliance) Status() webui.Status {
	a.mu.Lock()
	started := a.startedAt
	a.mu.Unlock()
	st := webui.Status{Version: a.cfg.Version, StartedAt: started, Services: a.sup.states()}
	if !started.IsZero() {
		st.Uptime = a.now().Sub(started)
	}
	var err error
	if st.Store, err = webui.StoreStatusOf(a.store); err != nil {
		a.log.Warn("status: store counts", "err", err)
	}
	st.Hardware = []webui.Hardware{a.gpioStatus()}
	if a.tel != nil {
		tel := a.telephonyStatus()
		st.Telephony = &tel
		for _, l := range tel.Lines {
			st.Hardware = append(st.Hardware, webui.Hardware{Kind: "linecard", Name: l.ID + " (" + l.Device + ")",
				Simulated: l.Simulated, Detail: lineDetail(l)})
		}
		if m := a.tel.parts.messaging; m != nil {
			for _, ms := range m.Status() {
				detail := string(ms.Modem.State)
				if ms.Error != "" {
					detail += ": " + ms.Error
				} else if ms.Modem.LastError != "" {
					detail += ": " + ms.Modem.LastError
				}
				st.Hardware = append(st.Hardware, webui.Hardware{Kind: "modem", Name: ms.Line + " (" + ms.Device + ")",
					Simulated: strings.HasPrefix(ms.Device, "sim:"), Detail: detail})
			}
		}
	}
	return st
}

func lineDetail(l webui.LineStatus) string {
	if l.Address != "" {
		return l.State + ", SIP " + l.Address
	}
	return l.State
}

func (a *Appliance) gpioStatus() webui.Hardware {
	chip := a.board.Chip()
	detail := a.board.Summary()
	if note := a.board.Note(); note != "" {
		detail += " (" + note + ")"
	}
	return webui.Hardware{Kind: "gpio", Name: chip.Label() + ": " + a.cfg.GPIOLayout.Name, Simulated: chip.Simulated(), Detail: detail}
}

// telephonyStatus reads the switch's live state.
func (a *Appliance) telephonyStatus() webui.Telephony {
	t := a.tel
	out := webui.Telephony{Listeners: []string{}, Phones: []webui.PhoneStatus{}, Lines: []webui.LineStatus{},
		Calls: []webui.CallStatus{}}
	for _, tr := range []string{"udp", "tcp", "tls"} {
		if ap := t.srv.Addr(tr); ap.IsValid() {
			out.Listeners = append(out.Listeners, tr+" "+ap.String())
		}
	}
	exts, err := store.List[store.Extension](a.store)
	if err != nil {
		a.log.Warn("status: extensions", "err", err)
	}
	for _, e := range exts {
		for _, b := range t.srv.Contacts(e.Number) {
			out.Phones = append(out.Phones, webui.PhoneStatus{Extension: b.Extension, Contact: b.Contact,
				Source: b.Source.String(), Transport: b.Transport, UserAgent: b.UserAgent, Expires: b.Expires,
				Reachable: b.Reachable})
		}
	}
	calls := t.sw.Calls()
	busy := map[string]bool{}
	for _, c := range calls {
		for _, l := range c.Legs {
			if l.Party.Source == acd.SourceLine {
				busy[l.Party.Via] = true
			}
		}
		from := c.Caller.Origin()
		out.Calls = append(out.Calls, webui.CallStatus{ID: c.ID, Caller: c.Caller.String(), From: from, Dialed: c.Dialed,
			Direction: string(c.Direction), Start: c.Start, Answered: !c.Answer.IsZero(), Route: c.RouteString()})
	}
	if tr := t.parts.trunks; tr != nil {
		out.Trunks = tr.Status()
	}
	recs, err := store.List[store.Line](a.store)
	if err != nil {
		a.log.Warn("status: lines", "err", err)
	}
	enabled := map[string]bool{}
	for _, r := range recs {
		enabled[r.ID] = r.Enabled
	}
	addrs := map[string]string{}
	if t.lines.Sim != nil {
		for _, l := range t.lines.Sim.Lines() {
			addrs[l.ID()] = l.Addr().String()
		}
	}
	for _, id := range t.lineIDs {
		dev := t.devices[id]
		ls := webui.LineStatus{ID: id, Device: dev, Address: addrs[dev], Simulated: t.lines.Sim != nil,
			Enabled: enabled[id], State: "idle"}
		switch {
		case busy[id]:
			ls.State = "in-call"
		case !ls.Enabled:
			ls.State = "disabled"
		}
		out.Lines = append(out.Lines, ls)
	}
	sort.SliceStable(out.Phones, func(i, j int) bool { return out.Phones[i].Extension < out.Phones[j].Extension })
	return out
}
