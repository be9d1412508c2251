package b2bua

import (
	"testing"

	"callbox/acd"
)

func TestParseReason_ReadsTheQ850Cause(t *testing.T) {
	for _, c := range []struct {
		in   string
		want acd.Cause
		ok   bool
	}{
		{`Q.850;cause=16;text="Normal call clearing"`, 16, true},
		{`SIP;cause=200;text="Call completed elsewhere", Q.850 ; cause = 26`, 26, true},
		{`q.850;CAUSE=17`, 17, true},
		{`SIP;cause=486`, 0, false},
		{`Q.850;cause=0`, 0, false},
		{`Q.850;cause=300`, 0, false},
		{`Q.850;cause=abc`, 0, false},
		{``, 0, false},
	} {
		got, ok := parseReason(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("parseReason(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func FuzzParseReason(f *testing.F) {
	for _, s := range []string{`Q.850;cause=16;text="x"`, `SIP;cause=200`, `Q.850;cause=;`, `,;=`, ``} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := parseReason(s)
		if ok && !c.Valid() {
			t.Fatalf("parseReason(%q) accepted invalid cause %d", s, c)
		}
		// What the box writes, it reads back.
		if ok {
			if back, ok2 := parseReason(reasonHeader(c).Value()); !ok2 || back != c {
				t.Fatalf("round trip of %d gave %d, %v", c, back, ok2)
			}
		}
	})
}

func TestFailureCause_PrefersBusy(t *testing.T) {
	for _, c := range []struct {
		statuses []int
		want     acd.Cause
	}{
		{[]int{480, 486}, acd.CauseUserBusy},
		{[]int{603, 480}, acd.CauseCallRejected},
		{[]int{487, 404}, acd.CauseUnallocatedNumber},
		{[]int{0}, acd.CauseDestinationOutOfOrder},
	} {
		var fails []forkResult
		for _, s := range c.statuses {
			fails = append(fails, forkResult{status: s})
		}
		if got := failureCause(fails); got != c.want {
			t.Errorf("failureCause(%v) = %v, want %v", c.statuses, got, c.want)
		}
	}
}

func TestDisplayName_CannotBreakTheHeader(t *testing.T) {
	if got := DisplayName("Bob \"the\" \\ Boss\r\nX: y"); got != "Bob the  Boss  X: y" {
		t.Errorf("displayName = %q", got)
	}
}
