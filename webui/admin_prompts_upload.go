package webui

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"

	"callbox/firmware/i18n"
	"callbox/media"
	"callbox/media/prompt"
	"callbox/media/wav"
)

// readPromptUpload reads the "file" field of a prompt upload and checks
// it (checkPromptUpload). It returns the audio as it is stored, or a
// message for the field.
func readPromptUpload(r *http.Request, lang i18n.Lang) ([]byte, time.Duration, string) {
	f, hdr, err := r.FormFile("file")
	if err != nil || hdr.Size == 0 {
		return nil, 0, i18n.T(lang, "prompts.err.file_missing")
	}
	defer f.Close()
	if hdr.Size > maxPromptFile {
		return nil, 0, i18n.T(lang, "prompts.err.file_large", maxPromptFile>>20)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxPromptFile+1))
	if err != nil {
		return nil, 0, i18n.T(lang, "prompts.err.file_missing")
	}
	if len(data) > maxPromptFile {
		return nil, 0, i18n.T(lang, "prompts.err.file_large", maxPromptFile>>20)
	}
	audio, d, key, args := checkPromptUpload(data)
	if key != "" {
		return nil, 0, i18n.T(lang, key, args...)
	}
	return audio, d, ""
}

// uploadName is the uploaded file's base name, for the audit log.
func uploadName(r *http.Request) string {
	if r.MultipartForm == nil {
		return ""
	}
	if fs := r.MultipartForm.File["file"]; len(fs) > 0 {
		return filepath.Base(fs[0].Filename)
	}
	return ""
}

// checkPromptUpload decides whether an uploaded file can become a prompt:
// a WAVE file of 16-bit PCM at 8 or 16 kHz, or G.711 at 8 kHz, mono, of
// sound, between minPromptLength and maxPromptLength. It returns the
// audio converted to what the media engine plays (8 kHz μ-law) and its
// length, or the catalogue key and arguments of what is wrong.
func checkPromptUpload(data []byte) (audio []byte, d time.Duration, key string, args []any) {
	h, err := wav.ParseHeader(bytes.NewReader(data))
	switch {
	case errors.Is(err, wav.ErrUnsupported):
		return nil, 0, "prompts.err.format_other", nil
	case err != nil:
		return nil, 0, "prompts.err.not_wav", nil
	}
	pcm := h.Format == wav.FormatPCM && h.BitsPerSample == 16 && (h.SampleRate == 8000 || h.SampleRate == 16000)
	g711 := (h.Format == wav.FormatMuLaw || h.Format == wav.FormatALaw) && h.SampleRate == 8000
	if h.Channels != 1 || !pcm && !g711 {
		return nil, 0, "prompts.err.format", []any{describeWAV(h)}
	}
	audio, d, err = prompt.Convert(bytes.NewReader(data), maxPromptLength)
	switch {
	case errors.Is(err, prompt.ErrTooLong):
		return nil, 0, "prompts.err.too_long", []any{int(maxPromptLength.Seconds())}
	case errors.Is(err, prompt.ErrSilent):
		return nil, 0, "prompts.err.silent", nil
	case err != nil:
		return nil, 0, "prompts.err.broken", nil
	case d < minPromptLength:
		return nil, 0, "prompts.err.too_short", []any{minPromptLength.Seconds()}
	}
	return audio, d, "", nil
}

// describeWAV names a file's format the way an audio editor's export
// dialog does, so the installer sees what to change.
func describeWAV(h wav.Header) string {
	var f string
	switch h.Format {
	case wav.FormatMuLaw:
		f = "μ-law"
	case wav.FormatALaw:
		f = "A-law"
	default:
		f = fmt.Sprintf("PCM %d-bit", h.BitsPerSample)
	}
	ch := "mono"
	if h.Channels > 1 {
		ch = fmt.Sprintf("%d channels", h.Channels)
	}
	return fmt.Sprintf("WAV %s %d Hz %s", f, h.SampleRate, ch)
}

// servePlayable sends a recording for the browser's player as 16-bit PCM at
// 8 kHz: every browser plays that, not every one plays G.711 WAV.
func (s *Server) servePlayable(w http.ResponseWriter, r *http.Request, rc *reqCtx, src io.Reader) {
	rd, err := wav.NewReader(src)
	if err != nil {
		s.log.Warn("cannot play a recording in the browser", "path", r.URL.Path, "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	var samples []int16
	var f media.Frame
	for {
		err := rd.ReadFrame(&f)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.log.Warn("recording unreadable", "path", r.URL.Path, "err", err)
			break
		}
		samples = append(samples, f[:]...)
	}
	var b bytes.Buffer
	if err := wav.Write(&b, wav.Header{Format: wav.FormatPCM, Channels: 1, SampleRate: media.SampleRate, BitsPerSample: 16}, wav.PCM16(samples)); err != nil {
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "audio/wav")
	h.Set("Cache-Control", "no-store")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b.Bytes()))
}
