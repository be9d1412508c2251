package store

import (
	"strings"
	"testing"
)

func TestIsSlug_AcceptsOnlyLowerCaseLettersDigitsAndDashUpToMax(t *testing.T) {
	for _, c := range []struct {
		s    string
		max  int
		want bool
	}{
		{"welcome", 64, true},
		{"queue-2", 32, true},
		{"-", 1, true},
		{"", 64, false},
		{"Welcome", 64, false},
		{"a_b", 64, false},
		{"a.b", 64, false},
		{"../etc", 64, false},
		{"a b", 64, false},
		{"语音", 64, false},
		{strings.Repeat("a", 32), 32, true},
		{strings.Repeat("a", 33), 32, false},
	} {
		if got := IsSlug(c.s, c.max); got != c.want {
			t.Errorf("IsSlug(%q, %d) = %v, want %v", c.s, c.max, got, c.want)
		}
	}
	// The names built on it keep their limits.
	if !IsPromptName(strings.Repeat("p", 64)) || IsPromptName(strings.Repeat("p", 65)) {
		t.Error("prompt names are 1-64 long")
	}
	if !isReasonCode(strings.Repeat("r", 32)) || isReasonCode(strings.Repeat("r", 33)) {
		t.Error("reason codes are 1-32 long")
	}
}
