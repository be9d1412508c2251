package ivr

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"callbox/media/prompt"
)

// PromptItem is one entry of a node's prompt list: exactly one of Key (a
// prompt played in the call's language, or in Lang when set: a language
// menu speaks each choice in its own language), File (an uploaded
// recording) or Say (read a variable aloud, As "number" or "digits", in the
// call's language). OnlyLang limits the item to callers in that language,
// which is how a flow plays an uploaded recording per language.
type PromptItem struct {
	Key      string `json:"key,omitempty"`
	File     string `json:"file,omitempty"`
	Say      string `json:"say,omitempty"`
	As       string `json:"as,omitempty"`
	Lang     string `json:"lang,omitempty"`
	OnlyLang string `json:"onlyLang,omitempty"`
}

// resolve turns items into prompts for the call's language.
func (r *runner) resolve(items []PromptItem) []Prompt {
	var out []Prompt
	for _, it := range items {
		if it.OnlyLang != "" && it.OnlyLang != r.lang {
			continue
		}
		switch {
		case it.Key != "":
			lang := r.lang
			if it.Lang != "" {
				lang = it.Lang
			}
			out = append(out, Prompt{Lang: lang, Key: it.Key})
		case it.File != "":
			out = append(out, Prompt{File: it.File})
		case it.Say != "":
			keys, err := sayKeys(r.lang, it.As, r.value(it.Say))
			if err != nil {
				// A value that cannot be read aloud (empty, too large)
				// is skipped rather than ending the call.
				r.log.Info("ivr: cannot say variable", "node", r.step.Node, "var", it.Say, "err", err)
				continue
			}
			for _, k := range keys {
				out = append(out, Prompt{Lang: r.lang, Key: k})
			}
		}
	}
	r.notePrompts(out)
	return out
}

func (r *runner) notePrompts(ps []Prompt) {
	for _, p := range ps {
		r.step.Prompts = append(r.step.Prompts, p.String())
	}
}

func sayKeys(lang, as, v string) ([]string, error) {
	v = strings.TrimSpace(v)
	if as == "digits" {
		return prompt.SayDigits(lang, v)
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		// Amounts like "12.50" are read as their whole part.
		whole, _, found := strings.Cut(v, ".")
		if n, err = strconv.Atoi(whole); !found || err != nil {
			return nil, fmt.Errorf("%q is not a number", v)
		}
	}
	return prompt.SayNumber(lang, n)
}

// templateVars lists the variable names used as {{name}} in s.
func templateVars(s string) []string {
	var names []string
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			return names
		}
		j := strings.Index(s[i+2:], "}}")
		if j < 0 {
			return names
		}
		names = append(names, strings.TrimSpace(s[i+2:i+2+j]))
		s = s[i+2+j+2:]
	}
}

// expand replaces {{name}} in s with variable values, each passed through
// escape (nil: as is).
func (r *runner) expand(s string, escape func(string) string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			break
		}
		j := strings.Index(s[i+2:], "}}")
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		v := r.value(strings.TrimSpace(s[i+2 : i+2+j]))
		if escape != nil {
			v = escape(v)
		}
		b.WriteString(v)
		s = s[i+2+j+2:]
	}
	b.WriteString(s)
	return b.String()
}

// urlEscape makes a value safe in any part of a URL: a caller's digits
// must not be able to add a path segment or a query parameter.
func urlEscape(v string) string {
	return strings.ReplaceAll(url.QueryEscape(v), "+", "%20")
}
