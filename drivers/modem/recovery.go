package modem

import (
	"context"
	"errors"
	"time"
)

// Recovery timing: a modem that is merely slow answers "AT" within a
// second or two; one that was reset needs a moment before it listens.
const (
	pingTimeout      = 2 * time.Second
	resetTimeout     = 5 * time.Second
	powerCycleTries  = 3
	powerCycleSettle = 2 * time.Second
	drainQuiet       = 150 * time.Millisecond
)

func isTimeout(err error) bool { return errors.Is(err, ErrTimeout) }

// recover brings back a modem that stopped answering: a plain AT (it may
// have been busy or stuck at an SMS prompt), then ATZ, then a power cycle
// where the board has one. Failing all, the modem goes to the alarm state
// and the health check keeps trying.
func (m *Modem) recover(ctx context.Context) {
	m.setState(StateRecovering, "modem stopped answering")
	m.log.Warn("modem not answering, recovering")
	steps := []struct {
		name string
		do   func() bool
	}{
		{"ping", func() bool { return m.ping(ctx, "AT", pingTimeout) }},
		{"reset", func() bool { return m.ping(ctx, "ATZ", resetTimeout) }},
		{"power cycle", func() bool { return m.cyclePower(ctx) }},
	}
	for _, s := range steps {
		if ctx.Err() != nil {
			return
		}
		if !s.do() {
			continue
		}
		if s.name != "ping" {
			m.mu.Lock()
			m.status.Resets++
			m.mu.Unlock()
		}
		if err := m.initialise(ctx); err != nil {
			m.log.Warn("re-init after "+s.name+" failed", "err", err)
			continue
		}
		m.log.Info("modem recovered", "by", s.name)
		m.emit(URC{Name: URCReinit})
		return
	}
	m.setState(StateAlarm, "modem does not answer (AT, ATZ, power cycle)")
	m.log.Error("modem in alarm: does not answer")
}

// ping sends cmd after breaking out of a possible SMS prompt, and reports
// whether the modem answered at all.
func (m *Modem) ping(ctx context.Context, cmd string, timeout time.Duration) bool {
	_, _ = m.port.Write([]byte{esc})
	m.drain(ctx)
	_, err := m.run(ctx, cmd, min(timeout, m.cfg.timeout*2))
	if err != nil && !errors.Is(err, ErrCommand) {
		return false
	}
	// A late answer to an earlier command may still be on its way; let it
	// arrive and be dropped so it is not taken for the next reply.
	m.drain(ctx)
	return true
}

// drain reads and drops replies until the line has been quiet for a while;
// unsolicited codes are still passed on.
func (m *Modem) drain(ctx context.Context) {
	quiet := time.NewTimer(drainQuiet)
	defer quiet.Stop()
	for {
		select {
		case b := <-m.rd:
			m.fr.push(b)
			m.idleLines()
			quiet.Reset(drainQuiet)
		case <-quiet.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

func (m *Modem) cyclePower(ctx context.Context) bool {
	if m.cfg.powerCycle == nil {
		return false
	}
	m.log.Warn("power-cycling modem")
	if err := m.cfg.powerCycle(ctx); err != nil {
		m.log.Error("power cycle failed", "err", err)
		return false
	}
	for range powerCycleTries {
		if m.ping(ctx, "AT", powerCycleSettle) {
			return true
		}
	}
	return false
}

// checkHealth runs on a timer while the modem is idle: it refreshes the
// signal level of a ready modem, and retries a modem in alarm.
func (m *Modem) checkHealth(ctx context.Context) {
	switch m.State() {
	case StateAlarm:
		if m.ping(ctx, "AT", pingTimeout) && m.initialise(ctx) == nil {
			m.log.Info("modem answers again")
			m.emit(URC{Name: URCReinit})
		}
	case StateReady:
		r, err := m.run(ctx, "AT+CSQ", m.cfg.timeout)
		if isTimeout(err) {
			m.recover(ctx)
			return
		}
		if err == nil {
			rssi, dbm := parseCSQ(r)
			m.mu.Lock()
			m.status.Info.SignalRSSI, m.status.Info.SignalDBm = rssi, dbm
			m.mu.Unlock()
		}
	}
}
