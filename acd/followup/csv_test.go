package followup

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"callbox/acd/directory"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

func importOptions() ImportOptions {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	return ImportOptions{Plan: directory.PlanCN, Zone: sh, Now: t0, Agents: map[string]bool{"11": true, "12": true}, By: "boss"}
}

func TestParseCSV_ReadsEveryColumnInTheSitesZone(t *testing.T) {
	in := "\ufeffNumber,Agent,Reason,Due,Priority,Name,Customer\n" +
		"13800138000,11,\"Refund, second try\",2026-12-01 14:30,7,Wang Wei,c1\n" +
		"010-8765 4321,12,Quote,2026-12-02T09:00:00Z,,,\n"
	p := ParseCSV(strings.NewReader(in), importOptions())
	if !p.OK() {
		t.Fatalf("problems: %v", p.Messages(i18n.EN))
	}
	f := p.Rows[0].Followup
	if f.Number != "+8613800138000" || f.Agent != "11" || f.Reason != "Refund, second try" || f.Priority != 7 ||
		f.Name != "Wang Wei" || f.CustomerID != "c1" || f.Source != store.FollowupFromImport || f.CreatedBy != "boss" {
		t.Fatalf("row 1: %+v", f)
	}
	if want := time.Date(2026, 12, 1, 6, 30, 0, 0, time.UTC); !f.Due.Equal(want) {
		t.Fatalf("due %v, want %v (14:30 in Shanghai)", f.Due, want)
	}
	if g := p.Rows[1].Followup; g.Number != "+861087654321" || !g.Due.Equal(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)) || p.Rows[1].Line != 3 {
		t.Fatalf("row 2: %+v line %d", g, p.Rows[1].Line)
	}
}

func TestImport_ABadRowImportsNothing(t *testing.T) {
	b, st, _ := newBook(t)
	in := "agent,number,reason,due,priority\n" +
		"11,13800138000,Refund,2026-12-01 14:30,1\n" +
		"99,n/a,,tomorrow,high\n"
	p := ParseCSV(strings.NewReader(in), importOptions())
	if p.OK() {
		t.Fatal("a file with a bad row is OK")
	}
	got := map[string]string{}
	for _, f := range p.Rows[1].Problems {
		got[f.Field] = f.Code
	}
	for field, code := range map[string]string{"agent": "followup.err.agent", "number": "directory.csv.number",
		"reason": "store.err.required", "due": "followup.csv.due", "priority": "followup.csv.priority"} {
		if got[field] != code {
			t.Errorf("row 2 field %s: %q, want %q (all: %v)", field, got[field], code, got)
		}
	}
	msgs := p.Messages(i18n.ZH)
	if len(msgs) != 5 || !strings.HasPrefix(msgs[0], "第 3 行") {
		t.Errorf("messages %q", msgs)
	}
	if n, err := b.Import(context.Background(), p); !errors.Is(err, ErrImportInvalid) || n != 0 {
		t.Fatalf("import of a bad file: %d %v", n, err)
	}
	if fs, _ := store.List[store.Followup](st); len(fs) != 0 {
		t.Fatalf("a bad file half-imported: %+v", fs)
	}
	p = ParseCSV(strings.NewReader("agent,number,reason,due\n11,13800138000,Refund,2026-12-01\n12,13900139000,Quote,2026-12-01\n"), importOptions())
	if n, err := b.Import(context.Background(), p); err != nil || n != 2 {
		t.Fatalf("import: %d %v", n, err)
	}
	fs, err := b.List(context.Background(), Filter{})
	if err != nil || len(fs) != 2 || fs[0].Agent != "11" {
		t.Fatalf("imported %+v %v", fs, err)
	}
}

func TestParseCSV_NamesWhatIsWrongWithTheFile(t *testing.T) {
	for in, code := range map[string]string{
		"":                                  "directory.csv.empty",
		"agent,number,reason,due\n":         "directory.csv.empty",
		"agent,number,reason\n11,12,x\n":    "directory.csv.header",
		"agent,number,reason,due,colour\n":  "directory.csv.unknown",
		"agent,number,reason,due\n\"11,1\n": "directory.csv.syntax",
	} {
		p := ParseCSV(strings.NewReader(in), importOptions())
		if p.OK() || len(p.Problems) == 0 || p.Problems[0].Code != code {
			t.Errorf("%q: problems %+v, want %s", in, p.Problems, code)
		}
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add("agent,number,reason,due,priority,name,customer\n11,13800138000,Refund,2026-12-01 14:30,7,Wang,c1\n")
	f.Add("agent,number,reason,due\n99,12,,tomorrow\n")
	f.Add("\ufeffdue,reason,number,agent\n2026-12-01T09:00:00+08:00,\"a\nb\",+8613800138000,12\n")
	f.Add("agent,number\n\"")
	o := importOptions()
	f.Fuzz(func(t *testing.T, in string) {
		p := ParseCSV(strings.NewReader(in), o)
		_ = p.Messages(i18n.ZH)
		if !p.OK() {
			return
		}
		// What the preview accepts, the store accepts.
		for _, r := range p.Rows {
			if err := r.Followup.Validate(); err != nil {
				t.Fatalf("row %d passed the preview but not the store: %v", r.Line, err)
			}
			if !o.Agents[r.Followup.Agent] {
				t.Fatalf("row %d names unknown agent %q", r.Line, r.Followup.Agent)
			}
		}
	})
}
