package cti

import (
	"slices"
	"strconv"

	"callbox/firmware/store"
)

// CheckAnswers walks a script along the answers given, in order, from its
// start: each answer must be for the step the previous ones lead to, and
// a choice step's answer one of its values. The answers may stop before
// the end (a call cut short). It returns the answers with each step's
// question filled in, and the problems, by answer index
// ("answers[2].value"), with message keys of the catalogue.
func CheckAnswers(s store.Script, in []store.ScriptAnswer) ([]store.ScriptAnswer, []store.FieldError) {
	var probs []store.FieldError
	out := make([]store.ScriptAnswer, 0, len(in))
	at := s.Start
	for i, a := range in {
		field := indexedField("answers", i)
		n, ok := s.Node(at)
		if at == "" || !ok || n.Type == store.ScriptEnd || a.Node != at {
			probs = append(probs, store.FieldError{Field: field + ".node", Code: "cti.script.order", Args: []any{a.Node}})
			break
		}
		switch n.Type {
		case store.ScriptChoice:
			j := slices.IndexFunc(n.Choices, func(c store.ScriptNodeChoice) bool { return c.Value == a.Value })
			if j < 0 {
				probs = append(probs, store.FieldError{Field: field + ".value", Code: "cti.script.answer", Args: []any{a.Value}})
				return out, probs
			}
			at = n.Choices[j].Next
		case store.ScriptText:
			if a.Value == "" {
				probs = append(probs, store.FieldError{Field: field + ".value", Code: "cti.script.required"})
				return out, probs
			}
			at = n.Next
		}
		out = append(out, store.ScriptAnswer{Node: n.ID, Question: n.Text, Value: a.Value})
	}
	return out, probs
}

func indexedField(field string, i int) string {
	return field + "[" + strconv.Itoa(i) + "]"
}
