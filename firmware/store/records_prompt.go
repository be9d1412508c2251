package store

import (
	"bytes"
	"time"

	"callbox/firmware/i18n"
)

// Custom prompts are the recordings an installer uploaded (or had the box
// speak from text) in place of a shipped system prompt or as a new prompt
// of the site's own. They live in the store, not only as files, so a
// backup carries them and the standby gets them over the change feed;
// media/prompt's Follow mirrors them into the prompt library's override
// directory, where calls play them. Like the CTI's kinds the bucket came
// without a schema step.

// KindCustomPrompt keeps the installer's prompts.
const KindCustomPrompt Kind = "prompts"

// MaxPromptAudio bounds a custom prompt's WAV file: two minutes of 8 kHz
// μ-law and its header, comfortably under MaxRecordSize once encoded.
const MaxPromptAudio = 2*60*8000 + 4096

// PromptSource says where a custom prompt's audio came from.
type PromptSource string

// The prompt sources.
const (
	PromptUpload PromptSource = "upload" // a file the installer uploaded
	PromptSpoken PromptSource = "tts"    // spoken from Text by the box's text-to-speech
)

// CustomPrompt is one language's recording of a prompt. Key: PromptKey(Lang, Name).
type CustomPrompt struct {
	Lang i18n.Lang `json:"lang"`
	// Name is the prompt key the IVR plays it by: a shipped key replaces
	// the shipped prompt, any other adds one (a-z, 0-9, '-', 1-64).
	Name string `json:"name"`
	// Audio is a whole WAV file, 8 kHz mono μ-law (what the prompt
	// library plays without converting).
	Audio  []byte       `json:"audio"`
	Source PromptSource `json:"source"`
	// Text is what the prompt says: the text spoken for PromptSpoken, an
	// optional description for uploads.
	Text string `json:"text,omitempty"`
	// Millis is the audio's length.
	Millis    int       `json:"millis"`
	UpdatedAt time.Time `json:"updatedAt"`
	UpdatedBy string    `json:"updatedBy,omitempty"`
}

// PromptKey is the store key of a language's prompt: "en/welcome".
func PromptKey(lang i18n.Lang, name string) string { return string(lang) + "/" + name }

// Kind implements Record.
func (CustomPrompt) Kind() Kind { return KindCustomPrompt }

// Key implements Record.
func (p CustomPrompt) Key() string { return PromptKey(p.Lang, p.Name) }

// Validate implements Record.
func (p CustomPrompt) Validate() error {
	var f fields
	f.lang("lang", p.Lang, true)
	if !IsPromptName(p.Name) {
		f.add("name", codePromptName, 64)
	}
	switch {
	case len(p.Audio) == 0:
		f.add("audio", codeRequired)
	case len(p.Audio) > MaxPromptAudio:
		f.add("audio", codeTooLong, MaxPromptAudio)
	case len(p.Audio) < 44 || !bytes.Equal(p.Audio[0:4], []byte("RIFF")) || !bytes.Equal(p.Audio[8:12], []byte("WAVE")):
		f.add("audio", codePromptWAV)
	}
	oneOf(&f, "source", p.Source, true, PromptUpload, PromptSpoken)
	f.para("text", p.Text, p.Source == PromptSpoken, 1000)
	f.intRange("millis", p.Millis, 0, 2*60*1000+1000)
	f.text("updatedBy", p.UpdatedBy, false, 64)
	return f.result(KindCustomPrompt, p.Key())
}

// Message keys of the prompt fields (firmware/i18n/webadmin1.go).
const (
	codePromptName = "store.err.prompt_name"
	codePromptWAV  = "store.err.prompt_wav"
)

// IsPromptName reports whether s can name a prompt: 1-64 of a-z, 0-9 and
// '-' (names become file names, so nothing else may pass; the same rule
// media/prompt.ValidKey is this check).
func IsPromptName(s string) bool { return IsSlug(s, 64) }

// HasCustomPrompt reports whether the installer stored a recording of
// name in lang.
func HasCustomPrompt(s *Store, lang i18n.Lang, name string) bool {
	_, err := Get[CustomPrompt](s, PromptKey(lang, name))
	return err == nil
}

func init() {
	recordVersions[KindCustomPrompt] = 1
	codecs[KindCustomPrompt] = codecFor[CustomPrompt]()
}
