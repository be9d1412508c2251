package fax

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"callbox/media/t4"
)

// Received is a fax that came in.
type Received struct {
	// Path is the TIFF-F file with the pages (empty when no page came).
	Path     string
	Pages    []*t4.Page
	RemoteID string // the sender's station ID (+FTI)
	// Hangup is the +FHS status; "00" is a normal end.
	Hangup string
	// Partial is set when the call ended abnormally after some pages.
	Partial bool
	// Raw holds each page's T.4 data as the modem delivered it.
	Raw [][]byte
}

// Receive answers a ringing call and receives the fax into a new TIFF-F
// file in dir named name (".tif" is added). Pages that came before an
// abnormal end are kept (Partial) and the *HangupError is returned with
// them.
func Receive(ctx context.Context, m ATModem, localID, dir, name string) (Received, error) {
	var rec Received
	if err := setup(ctx, m, localID); err != nil {
		return rec, err
	}
	r, err := m.CommandTimeout(ctx, "ATA", answerTimout)
	if err != nil {
		hangup(m)
		return rec, fmt.Errorf("fax: answering: %w", err)
	}
	rec.RemoteID = stationID(r, "+FTI", "+FTSI")
	sess := parseFCS(r, session{width: t4.Width})
	var ended error
	for {
		r, err := m.ReceiveData(ctx, "AT+FDR", pageIdle)
		sess = parseFCS(r, sess)
		if code, ok := fhs(r); ok {
			rec.Hangup = code
			if code != "00" {
				ended = &HangupError{Code: code, Page: len(rec.Pages) + 1}
			}
			break
		}
		if err != nil {
			ended = fmt.Errorf("fax: page %d: %w", len(rec.Pages)+1, err)
			hangup(m)
			break
		}
		res := t4.Standard
		if sess.fine {
			res = t4.Fine
		}
		page, err := t4.Decode(r.Data, sess.width, res, t4.LSBFirst)
		if err != nil {
			ended = fmt.Errorf("fax: page %d: %w", len(rec.Pages)+1, err)
			hangup(m)
			break
		}
		rec.Pages = append(rec.Pages, page)
		rec.Raw = append(rec.Raw, r.Data)
		if len(rec.Pages) > MaxPages {
			ended = fmt.Errorf("fax: %w", ErrTooManyPages)
			hangup(m)
			break
		}
	}
	if len(rec.Pages) > 0 {
		path, err := writeTIFF(dir, name, rec.Pages)
		if err != nil {
			return rec, errors.Join(ended, err)
		}
		rec.Path = path
		rec.Partial = ended != nil
	}
	return rec, ended
}

// writeTIFF writes the pages crash-safe: a temporary file, fsync, rename,
// fsync of the directory.
func writeTIFF(dir, name string, pages []*t4.Page) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := t4.WriteTIFF(&buf, pages); err != nil {
		return "", err
	}
	final := filepath.Join(dir, name+".tif")
	tmp, err := os.CreateTemp(dir, "."+name+"-*.tmp")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return final, nil
}
