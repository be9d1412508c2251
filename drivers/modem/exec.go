package modem

import (
	"context"
	"fmt"
	"time"
)

type execState int

const (
	stFinal   execState = iota // collecting lines up to a final result
	stPrompt                   // waiting for "> "
	stConnect                  // waiting for CONNECT before a data phase
	stData                     // receiving DLE-framed data
)

// exec runs one request on the port. It is called only from Run's goroutine.
func (m *Modem) exec(ctx context.Context, r *request) (Response, error) {
	rctx := r.ctx
	if rctx == nil {
		rctx = ctx
	}
	var resp Response
	if err := m.write(rctx, []byte(r.cmd+"\r")); err != nil {
		return resp, err
	}
	st := stFinal
	switch r.kind {
	case promptRequest:
		st = stPrompt
	case sendDataRequest, recvDataRequest:
		st = stConnect
	}
	var data *unstuffer
	timer := time.NewTimer(r.timeout)
	defer timer.Stop()
	for {
		// Work through everything already buffered before waiting.
		for {
			progressed, done, err := m.step(rctx, r, &st, &resp, &data)
			if done {
				m.noteGarbage()
				return resp, err
			}
			if !progressed {
				break
			}
			if st == stData || r.kind == sendDataRequest {
				timer.Reset(r.timeout)
			}
		}
		select {
		case b := <-m.rd:
			m.fr.push(b)
			if st == stData {
				timer.Reset(r.timeout)
			}
		case <-timer.C:
			m.abort(st)
			return resp, fmt.Errorf("%w: %s", ErrTimeout, r.cmd)
		case <-rctx.Done():
			m.abort(st)
			return resp, rctx.Err()
		case <-ctx.Done():
			return resp, ctx.Err()
		case err := <-m.rdErr:
			m.rdErr <- err // Run reports the lost port
			return resp, fmt.Errorf("modem %s: %w", m.cfg.name, err)
		}
	}
}

// abort leaves a half-finished exchange so the next command is understood:
// ESC cancels an SMS at its prompt.
func (m *Modem) abort(st execState) {
	if st == stPrompt {
		_, _ = m.port.Write([]byte{esc})
	}
}

// step consumes one unit of buffered input. progressed reports whether it
// did; done whether the request has its answer.
func (m *Modem) step(ctx context.Context, r *request, st *execState, resp *Response, data **unstuffer) (progressed, done bool, err error) {
	if *st == stData {
		u := *data
		rest := u.feed(m.fr.take())
		if u.out.Len() > maxDataBytes {
			return true, true, fmt.Errorf("modem %s: data phase over %d bytes", m.cfg.name, maxDataBytes)
		}
		if !u.ended {
			return false, false, nil
		}
		m.fr.push(rest)
		resp.Data, resp.Signals = u.out.Bytes(), u.signal
		*st = stFinal
		return true, false, nil
	}
	if *st == stPrompt && m.fr.prompt() {
		body := append(append([]byte(nil), r.body...), ctrlZ)
		if err := m.write(ctx, body); err != nil {
			return true, true, err
		}
		*st = stFinal
		return true, false, nil
	}
	l, ok := m.fr.line()
	if !ok {
		return false, false, nil
	}
	if l == r.cmd { // echo, before ATE0 took effect
		return true, false, nil
	}
	if m.takeURC(l, r.cmd) {
		return true, false, nil
	}
	f, ce := ParseFinal(l)
	if f == FinalConnect && *st == stConnect {
		switch r.kind {
		case sendDataRequest:
			out := append(stuff(r.body), r.term...)
			if err := m.write(ctx, out); err != nil {
				return true, true, err
			}
			*st = stFinal
		case recvDataRequest:
			*data = &unstuffer{}
			*st = stData
		}
		return true, false, nil
	}
	if f != FinalNone {
		resp.Final = l
		return true, true, finalErr(r.cmd, f, ce)
	}
	resp.Lines = append(resp.Lines, l)
	return true, false, nil
}
