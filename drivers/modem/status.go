package modem

import (
	"time"

	"callbox/firmware/i18n"
)

// State is where a modem is in its life, as the status page shows it.
type State string

// The modem states.
const (
	StateStarting   State = "starting"
	StateReady      State = "ready"
	StateRecovering State = "recovering"
	StateAlarm      State = "alarm" // not answering; needs attention
	StateStopped    State = "stopped"
)

// Message names the state in lang for the status page.
func (s State) Message(lang i18n.Lang) string { return i18n.T(lang, "modem.state."+string(s)) }

// Info is what the probe learned about a modem.
type Info struct {
	Ident        string   `json:"ident"` // ATI
	Manufacturer string   `json:"manufacturer"`
	Model        string   `json:"model"`
	Revision     string   `json:"revision"`
	FaxClasses   []string `json:"faxClasses"` // from AT+FCLASS=?, e.g. ["0","1","2.0"]
	SMSPDU       bool     `json:"smsPdu"`     // AT+CMGF=0 accepted
	// SignalRSSI is the +CSQ rssi (0..31, 99 unknown); SignalDBm its value
	// in dBm (0 when unknown).
	SignalRSSI int `json:"signalRssi"`
	SignalDBm  int `json:"signalDbm"`
	// SIM is the +CPIN? answer ("READY", "SIM PIN", ...) or "" for a modem
	// without a SIM (an analog fax modem).
	SIM string `json:"sim"`
}

// Fax reports whether the modem offers fax service class 2.0.
func (i Info) Fax() bool {
	for _, c := range i.FaxClasses {
		if c == "2.0" {
			return true
		}
	}
	return false
}

// Status is a modem's state for the status page (HTML and JSON).
type Status struct {
	Name      string    `json:"name"`
	State     State     `json:"state"`
	Since     time.Time `json:"since"`
	LastError string    `json:"lastError,omitempty"`
	Info      Info      `json:"info"`
	// Resets counts recoveries (ATZ or power cycles) since start.
	Resets int `json:"resets"`
	// GarbageBytes counts bytes dropped as line noise.
	GarbageBytes int `json:"garbageBytes"`
}

// Status returns a copy of the modem's current status.
func (m *Modem) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.status
	s.Info.FaxClasses = append([]string(nil), s.Info.FaxClasses...)
	return s
}

// State returns the modem's current state.
func (m *Modem) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status.State
}

func (m *Modem) setState(s State, lastErr string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.status.State != s {
		m.status.Since = m.cfg.now()
	}
	m.status.State = s
	if lastErr != "" || s == StateReady {
		m.status.LastError = lastErr
	}
}
