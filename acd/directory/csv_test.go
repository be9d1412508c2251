package directory

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var now = time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)

func TestParseCSV_ReportsEveryBadRowWithItsLine(t *testing.T) {
	in := "\ufeffID,Name,Numbers,vip,email\n" +
		"c1,Li Lei,138 1234 5678;0086 139 0000 0001,yes,li@example.com\n" +
		"c2,,13800000000,,\n" +
		"c3,Han,abc,,not-an-email\n" +
		"c1,Dup,,,\n" +
		"c4,Short\n"
	p := ParseCSV(strings.NewReader(in), PlanCN, nil)
	if p.OK() || len(p.Rows) != 5 || len(p.Problems) != 0 {
		t.Fatalf("%+v", p)
	}
	if c := p.Rows[0].Customer; len(p.Rows[0].Problems) != 0 || !c.VIP ||
		!reflect.DeepEqual(c.Numbers, []string{"+8613812345678", "+8613900000001"}) {
		t.Fatalf("row 1 %+v", p.Rows[0])
	}
	has := func(row int, field string) bool {
		for _, f := range p.Rows[row].Problems {
			if f.Field == field {
				return true
			}
		}
		return false
	}
	if p.Rows[1].Line != 3 || !has(1, "name") {
		t.Errorf("row 2 %+v", p.Rows[1])
	}
	if !has(2, "numbers[0]") || !has(2, "email") {
		t.Errorf("row 3 %+v", p.Rows[2])
	}
	if !has(3, "id") || !has(4, "record") {
		t.Errorf("rows 4-5 %+v %+v", p.Rows[3], p.Rows[4])
	}
	msgs := strings.Join(p.Messages(i18n.EN), "\n")
	if len(p.Messages(i18n.EN)) != 5 {
		t.Errorf("messages:\n%s", msgs)
	}
	// Until the catalogue is registered in i18n.go, T shows the keys.
	if i18n.Has("directory.csv.at") && !strings.Contains(msgs, "line 3, name:") {
		t.Errorf("messages:\n%s", msgs)
	}
}

func TestParseCSV_RejectsUnknownAndMissingColumns(t *testing.T) {
	p := ParseCSV(strings.NewReader("id,colour\nc1,red\n"), PlanCN, nil)
	if p.OK() || len(p.Problems) != 2 {
		t.Fatalf("%+v", p.Problems)
	}
}

func TestImport_BadRowImportsNothing(t *testing.T) {
	st := openStore(t)
	p := ParseCSV(strings.NewReader("id,name,numbers\nc1,Good,13812345678\nc2,,13900000000\n"), PlanCN, nil)
	if _, err := Import(st, p, now); !errors.Is(err, ErrImportInvalid) {
		t.Fatal(err)
	}
	if cs, _ := store.List[store.Customer](st); len(cs) != 0 {
		t.Fatalf("half-imported %v", cs)
	}
}

func TestImport_ExportRoundTrips(t *testing.T) {
	st := openStore(t)
	in := "id,name,company,numbers,email,lang,vip,notes,vip_level,tags\n" +
		"c1,李雷,\"ACME, Ltd\",+8613812345678;+861012345678,li@example.com,zh,yes,\"says \"\"hi\"\"\nline two\",1,\n" +
		"c2,Han Meimei,,+8613900000001,,en,,,,\n"
	p := ParseCSV(strings.NewReader(in), PlanCN, nil)
	if !p.OK() {
		t.Fatalf("%v", p.Messages(i18n.EN))
	}
	if n, err := Import(st, p, now); err != nil || n != 2 {
		t.Fatal(n, err)
	}
	var out bytes.Buffer
	if err := ExportStore(&out, st, nil); err != nil {
		t.Fatal(err)
	}
	if out.String() != in {
		t.Fatalf("export differs:\n%s\nwant:\n%s", out.String(), in)
	}
	// Re-importing keeps the creation time and moves the update time.
	later := now.Add(time.Hour)
	Import(st, ParseCSV(strings.NewReader(in), PlanCN, nil), later)
	c, _ := store.Get[store.Customer](st, "c1")
	if !c.CreatedAt.Equal(now) || !c.UpdatedAt.Equal(later) {
		t.Fatalf("times %v %v", c.CreatedAt, c.UpdatedAt)
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add("id,name,numbers\nc1,A,13812345678\n")
	f.Add("id,name,company,numbers,email,lang,vip,notes\nc1,\"x\ny\",,+1;+2,,zz,maybe,\n")
	f.Add("id,name\n\"unterminated\n")
	f.Add("\ufeffid,name,numbers\nc1,A,00861\n")
	f.Fuzz(func(t *testing.T, in string) {
		p := ParseCSV(strings.NewReader(in), PlanCN, nil)
		p.Messages(i18n.ZH)
		if !p.OK() {
			return
		}
		// A clean file exports and parses back to the same customers.
		var cs []store.Customer
		for _, r := range p.Rows {
			cs = append(cs, r.Customer)
		}
		var buf bytes.Buffer
		if err := ExportCSV(&buf, cs, nil); err != nil {
			t.Fatal(err)
		}
		q := ParseCSV(&buf, PlanCN, nil)
		if !q.OK() || len(q.Rows) != len(cs) {
			t.Fatalf("re-parse: %v", q.Messages(i18n.EN))
		}
		for i, r := range q.Rows {
			if !reflect.DeepEqual(r.Customer, cs[i]) {
				t.Fatalf("row %d: %+v != %+v", i, r.Customer, cs[i])
			}
		}
	})
}
