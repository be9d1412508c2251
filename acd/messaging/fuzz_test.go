package messaging

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"callbox/media/t4"
)

// FuzzRule checks that rules built from any input validate or refuse
// without panicking, and that a valid keyword rule answers a text whose
// first word is its keyword.
func FuzzRule(f *testing.F) {
	f.Add("hours", "HOURS", "+86", "We open at 9.", "hours? please")
	f.Add("x", "", "", "r", "")
	f.Add("价格", "价格", "", "见网站", "价格。多少")
	f.Add("p", "a b", "1", "r", "\x00\xff")
	f.Fuzz(func(t *testing.T, name, keyword, from, reply, text string) {
		r := Rule{Name: name, Keyword: keyword, From: from, Reply: reply}
		if err := r.Validate(); err != nil {
			if !errors.Is(err, ErrBadRule) {
				t.Fatalf("error %v is not ErrBadRule", err)
			}
			return
		}
		_ = r.matches(from+"1", text)
		// From is a prefix of itself, so the rule must answer its own
		// keyword from that number, followed by punctuation and more.
		if _, ok := match([]Rule{r}, from, keyword+"? now"); !ok {
			t.Fatalf("rule %+v does not match its own keyword", r)
		}
	})
}

// FuzzSaveDocument feeds uploads (name and bytes) to SaveDocument: it
// refuses with a named error or keeps a document that reads back, and
// never writes outside the document directory.
func FuzzSaveDocument(f *testing.F) {
	p, _ := t4.NewPage(64, 16, t4.Standard)
	p.Set(3, 3, true)
	f.Add("menu", []byte("P1\n4 2\n1 0 0 1\n0 1 1 0\n"))
	f.Add("../up", []byte("P1\n1 1\n1\n"))
	f.Add("a.b-c_d", []byte{})
	f.Add(".hidden", []byte("II*\x00"))
	f.Add("x", []byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if len(data) > 1<<16 || strings.HasPrefix(string(data), "%PDF") {
			return // PDFs go to pdftoppm: covered by the fax package's tests
		}
		dir := t.TempDir()
		doc, err := SaveDocument(context.Background(), dir, name, data)
		if err != nil {
			if !errors.Is(err, ErrBadName) && !errors.Is(err, ErrBadDocument) {
				t.Fatalf("unnamed error %v", err)
			}
			if ents, _ := os.ReadDir(filepath.Join(dir, DocDir)); len(ents) != 0 {
				t.Fatal("a refused upload left files")
			}
			return
		}
		if doc.Pages < 1 || filepath.Dir(filepath.Join(dir, doc.Path)) != filepath.Join(dir, DocDir) {
			t.Fatalf("document %+v", doc)
		}
		docs, err := Documents(dir)
		if err != nil || len(docs) != 1 || docs[0].Pages != doc.Pages {
			t.Fatalf("listed %+v, %v", docs, err)
		}
	})
}
