package webui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
	"callbox/media/prompt"
)

// Prompts spoken by the box: one prompt from a text, or a whole language
// again from the shipped text list (prompt.Speak runs espeak-ng as
// scripts/gen-prompts.sh did when the firmware was built).

// adminPromptSpeak records a prompt by speaking a text with espeak-ng.
func (s *Server) adminPromptSpeak(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	v, _, ok := s.promptOf(w, r, rc)
	if !ok {
		return
	}
	text := strings.TrimSpace(r.PostFormValue("text"))
	v.SpeakText = text
	msg := ""
	switch {
	case !v.CanSpeak:
		msg = i18n.T(rc.lang, "prompts.no_speech")
	case text == "":
		msg = i18n.T(rc.lang, "prompts.err.text")
	case len([]rune(text)) > maxPromptText:
		msg = i18n.T(rc.lang, "store.err.too_long", maxPromptText)
	}
	if msg == "" {
		ctx, cancel := context.WithTimeout(r.Context(), speakTimeout)
		audio, d, err := prompt.Speak(ctx, v.Lang, text, maxPromptLength)
		cancel()
		if err != nil {
			s.log.Info("prompt speech failed", "prompt", v.Lang+"/"+v.Name, "err", err)
			msg = speechMessage(rc.lang, err)
		} else {
			p := store.CustomPrompt{Lang: i18n.Lang(v.Lang), Name: v.Name, Audio: audio, Source: store.PromptSpoken, Text: text, Millis: int(d.Milliseconds())}
			if msg, err = s.savePrompt(r, rc, p, "speak-prompt", text); err != nil {
				s.storeFail(w, r, rc, err)
				return
			}
			if msg == "" {
				backTo(w, r, "/admin/prompts/"+v.Lang+"/"+v.Name, "admin.done.prompt_saved")
				return
			}
		}
	}
	v.Errors["text"] = msg
	s.renderPrompt(w, r, rc, http.StatusUnprocessableEntity, v, adminPage{})
}

func speechMessage(lang i18n.Lang, err error) string {
	switch {
	case errors.Is(err, prompt.ErrNoSpeech):
		return i18n.T(lang, "prompts.no_speech")
	case errors.Is(err, prompt.ErrTooLong):
		return i18n.T(lang, "prompts.err.too_long", int(maxPromptLength.Seconds()))
	}
	return i18n.T(lang, "prompts.err.speech", err.Error())
}

// adminPromptsRegenerate speaks every system prompt of a language again,
// as the firmware build did, keeping uploaded recordings. Two prompts are
// spoken at a time (the box has few cores and calls come first).
func (s *Server) adminPromptsRegenerate(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	lang, ok := promptLang(r.PostFormValue("lang"))
	if !ok {
		s.fail(w, r, rc, http.StatusBadRequest, "admin.err.bad_request")
		return
	}
	if !prompt.CanSpeak(string(lang)) {
		s.renderPrompts(w, r, rc, http.StatusConflict, lang, adminPage{Error: i18n.T(rc.lang, "prompts.no_speech")}, nil, nil)
		return
	}
	custom, err := s.customPrompts(lang)
	if err != nil {
		s.storeFail(w, r, rc, err)
		return
	}
	texts, keys := shippedEntries(lang)
	type job struct{ name, text string }
	var jobs []job
	for _, k := range keys {
		c, ok := custom[k]
		switch {
		case !ok:
			jobs = append(jobs, job{k, texts[k]})
		case c.Source == store.PromptSpoken:
			jobs = append(jobs, job{k, c.Text})
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), regenerateTime)
	defer cancel()
	work := make(chan job)
	var (
		mu    sync.Mutex
		done  int
		first error
		wg    sync.WaitGroup
	)
	for range 2 {
		wg.Go(func() {
			for j := range work {
				audio, d, err := prompt.Speak(ctx, string(lang), j.text, maxPromptLength)
				if err == nil {
					p := store.CustomPrompt{Lang: lang, Name: j.name, Audio: audio, Source: store.PromptSpoken, Text: j.text,
						Millis: int(d.Milliseconds()), UpdatedAt: s.now(), UpdatedBy: rc.user.Name}
					_, err = store.Put(s.store, p)
				}
				mu.Lock()
				if err == nil {
					done++
				} else if first == nil {
					first = fmt.Errorf("%s: %w", j.name, err)
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, j := range jobs {
		select {
		case work <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	s.audit(r, rc, "regenerate-prompts", store.KindCustomPrompt, string(lang), fmt.Sprintf("%d of %d", done, len(jobs)))
	ap := adminPage{Notice: i18n.T(rc.lang, "prompts.regen_done", done)}
	code := http.StatusOK
	if done < len(jobs) {
		cause := context.DeadlineExceeded.Error()
		if first != nil {
			cause = first.Error()
		}
		s.log.Warn("prompt regeneration incomplete", "lang", lang, "done", done, "of", len(jobs), "err", first)
		ap = adminPage{Error: i18n.T(rc.lang, "prompts.regen_partial", done, len(jobs), cause)}
		code = http.StatusInternalServerError
	}
	s.renderPrompts(w, r, rc, code, lang, ap, nil, nil)
}
