package fax

import (
	"context"
	"fmt"

	"callbox/drivers/modem"
	"callbox/media/t4"
)

// SendResult is what a finished send reports.
type SendResult struct {
	Pages    int
	RemoteID string // the receiver's station ID (+FCI)
}

// Send dials number and sends the pages. It returns a *HangupError when
// the call ends abnormally, or the modem's error when dialing fails.
func Send(ctx context.Context, m ATModem, number, localID string, pages []*t4.Page) (SendResult, error) {
	var res SendResult
	if len(pages) == 0 {
		return res, fmt.Errorf("fax: %w", ErrEmptyDocument)
	}
	if err := setup(ctx, m, localID); err != nil {
		return res, err
	}
	r, err := m.CommandTimeout(ctx, "ATD"+number, dialTimeout)
	if err != nil {
		if code, ok := fhs(r); ok {
			return res, &HangupError{Code: code}
		}
		hangup(m)
		return res, fmt.Errorf("fax: dialing %s: %w", number, err)
	}
	res.RemoteID = stationID(r, "+FCI", "+FCSI")
	fine := false
	for i, p := range pages {
		if i == 0 || (p.Resolution == t4.Fine) != fine {
			fine = p.Resolution == t4.Fine
			if _, err := m.Command(ctx, fmt.Sprintf("AT+FIS=%d", boolInt(fine))); err != nil {
				hangup(m)
				return res, fmt.Errorf("fax: setting resolution: %w", err)
			}
		}
		data, err := t4.Encode(p, t4.EncodeOptions{Order: t4.LSBFirst})
		if err != nil {
			hangup(m)
			return res, err
		}
		ppm := byte(mps)
		if i == len(pages)-1 {
			ppm = eop
		}
		r, err := sendPage(ctx, m, data, ppm)
		if code, ok := fhs(r); ok && code != "00" {
			hangup(m)
			return res, &HangupError{Code: code, Page: i + 1}
		}
		if err != nil {
			hangup(m)
			return res, fmt.Errorf("fax: page %d: %w", i+1, err)
		}
		res.Pages++
	}
	return res, nil
}

// sendPage sends one page; a page the receiver asks to be sent again (RTN)
// is sent once more before giving up.
func sendPage(ctx context.Context, m ATModem, data []byte, ppm byte) (modem.Response, error) {
	for try := 0; ; try++ {
		r, err := m.SendData(ctx, "AT+FDT", data, []byte{dle, ppm}, pageIdle)
		if err != nil {
			return r, err
		}
		result, _, _, ok := pageStatus(r)
		if !ok || result == 1 || result == 3 {
			return r, nil
		}
		if try == 1 {
			return r, fmt.Errorf("receiver rejected the page twice (+FPS:%d)", result)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
