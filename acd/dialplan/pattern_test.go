package dialplan

import (
	"errors"
	"testing"
)

func TestPattern_Match(t *testing.T) {
	for _, tc := range []struct {
		pattern, number string
		want            bool
	}{
		{"201", "201", true},
		{"201", "2011", false},
		{"_2XX", "201", true},
		{"_2XX", "2011", false},
		{"_2XX", "20", false},
		{"_NXXNXXXXXX", "2125551234", true},
		{"_NXXNXXXXXX", "1125551234", false},
		{"_ZXX", "011", false},
		{"_ZXX", "911", true},
		{"_9.", "9", false},
		{"_9.", "913800138000", true},
		{"_9!", "9", true},
		{"_9!", "91", true},
		{"_[1-5]0", "30", true},
		{"_[1-5]0", "60", false},
		{"_[137]X", "75", true},
		{"_[137]X", "25", false},
		{"_[1-37-9]", "8", true},
		{"_[1-37-9]", "5", false},
		{"_[*#]1", "#1", true},
		{"_138.", "13800138000", true},
		{"_138.", "13900138000", false},
		{"_+86.", "+8613800138000", true},
		{"_x", "7", true},
		{"_.", "", false},
		{"_.", "5", true},
	} {
		p, err := CompilePattern(tc.pattern)
		if err != nil {
			t.Fatalf("%q: %v", tc.pattern, err)
		}
		if got := p.Match(tc.number); got != tc.want {
			t.Errorf("%q.Match(%q) = %v, want %v", tc.pattern, tc.number, got, tc.want)
		}
	}
}

func TestPattern_RejectsBadSyntax(t *testing.T) {
	for _, s := range []string{"", "_", "2O1", "_2.X", "_[1-5", "_[]", "_[5-1]", "_[a]", "_2Q", "_9!.", "_[1-]"} {
		if _, err := CompilePattern(s); !errors.Is(err, ErrPattern) {
			t.Errorf("CompilePattern(%q) = %v, want ErrPattern", s, err)
		}
	}
}

func FuzzPattern(f *testing.F) {
	for _, s := range []string{"_NXXNXXXXXX", "_9.", "_[1-37-9]!", "201", "_[*#]X", "_[", "_[9-0]"} {
		f.Add(s, "2125551234")
	}
	f.Fuzz(func(t *testing.T, pattern, number string) {
		p, err := CompilePattern(pattern)
		if err != nil {
			if !errors.Is(err, ErrPattern) {
				t.Fatalf("unnamed error %v", err)
			}
			return
		}
		m := p.Match(number)
		if p.String() != pattern {
			t.Fatalf("String() = %q, want %q", p.String(), pattern)
		}
		if m && len(number) < p.Fixed() {
			t.Fatalf("%q matched %q, shorter than its %d fixed positions", pattern, number, p.Fixed())
		}
		if m && !validNumber(number) {
			t.Fatalf("%q matched non-number %q", pattern, number)
		}
	})
}
