package firmware

import (
	"callbox/webui"
)

// Status is what the web UI, /healthz and the console show: version,
// uptime, the store, the hardware found or simulated, and each service.
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
	return st
}

func (a *Appliance) gpioStatus() webui.Hardware {
	chip := a.board.Chip()
	detail := a.board.Summary()
	if note := a.board.Note(); note != "" {
		detail += " (" + note + ")"
	}
	return webui.Hardware{Kind: "gpio", Name: chip.Label() + ": " + a.cfg.GPIOLayout.Name, Simulated: chip.Simulated(), Detail: detail}
}
