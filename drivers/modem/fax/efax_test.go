package fax_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"callbox/drivers/modem/fax"
	"callbox/drivers/modem/modemsim"
	"callbox/media/t4"
)

// TestFax_EfaxSendsThroughSimulatorToDriver is a cross-check against a
// real fax program: Debian's efax drives simulated modem A in Class 2.0
// and sends a TIFF-F made here; the driver on modem B receives it.
func TestFax_EfaxSendsThroughSimulatorToDriver(t *testing.T) {
	efax, err := exec.LookPath("efax")
	if err != nil {
		t.Skip("efax (Debian package efax) not installed")
	}
	net := modemsim.NewNetwork("")
	// efax divides by the whole seconds a page took: the line is paced so
	// that every page takes more than one.
	simA, err := net.Add(modemsim.Config{Number: "+862150550001", Fax: true, LineRate: 57600})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { simA.Close() })
	b := newStation(t, net, "+862150550002")
	pages := []*t4.Page{drawPage(t, 1, 1143, t4.Standard), drawPage(t, 2, 800, t4.Standard)}
	var doc bytes.Buffer
	if err := t4.WriteTIFF(&doc, pages); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var files []string
	for i := range pages {
		// efax sends one file per page.
		var one bytes.Buffer
		if err := t4.WriteTIFF(&one, pages[i:i+1]); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, "page"+string(rune('1'+i))+".tif")
		if err := os.WriteFile(f, one.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append([]string{"-d", simA.Path(), "-o0", "-l", "+862150550001", "-v", "ewinchmart", "-t", "+862150550002"}, files...)
	out, err := exec.CommandContext(ctx, efax, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("efax: %v\n%s", err, out)
	}
	waitFor(t, "fax at b", func() bool { r, _ := b.received(); return len(r) == 1 })
	recs, _ := b.received()
	if len(recs[0].Pages) != len(pages) {
		t.Fatalf("%d pages received", len(recs[0].Pages))
	}
	for i, p := range pages {
		got := recs[0].Pages[i]
		// efax puts a header line (date, ID, page) on top of the page in
		// place of the first lines; the rest must follow unchanged.
		top, skip, ok := locate(got, p)
		if !ok {
			t.Fatalf("page %d (%d lines received for %d sent) does not contain the sent page", i+1, got.Height, p.Height)
		}
		t.Logf("page %d: efax replaced the first %d lines with a %d-line header", i+1, skip, top)
	}
}

// locate finds how many header lines (top) stand in place of how many of
// the sent page's first lines (skip), with the rest identical.
func locate(got, want *t4.Page) (top, skip int, ok bool) {
	for skip = 0; skip <= 40; skip++ {
		top = got.Height - (want.Height - skip)
		if top >= 0 && top <= 60 && sameRows(got, want, top, skip) {
			return top, skip, true
		}
	}
	return 0, 0, false
}

func sameRows(got, want *t4.Page, top, skip int) bool {
	for y := skip; y < want.Height; y++ {
		if !bytes.Equal(got.Row(y-skip+top), want.Row(y)) {
			return false
		}
	}
	return true
}

// TestFax_DriverSendsThroughSimulatorToEfax is the other direction: the
// driver sends from modem A, Debian's efax answers on modem B and stores
// the pages, which efix turns back into bitmaps.
func TestFax_DriverSendsThroughSimulatorToEfax(t *testing.T) {
	efax, err1 := exec.LookPath("efax")
	efix, err2 := exec.LookPath("efix")
	if err1 != nil || err2 != nil {
		t.Skip("efax/efix (Debian package efax) not installed")
	}
	net := modemsim.NewNetwork("")
	a := newStation(t, net, "+862150550001")
	simB, err := net.Add(modemsim.Config{Number: "+862150550002", Fax: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { simB.Close() })
	pages := []*t4.Page{drawPage(t, 1, 1143, t4.Standard), drawPage(t, 2, 700, t4.Fine)}
	sent := make(chan error, 1)
	go func() {
		_, err := fax.Send(context.Background(), a.m, "+862150550002", "+862150550001", pages)
		sent <- err
	}()
	waitFor(t, "ringing at b", simB.Ringing)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, efax, "-d", simB.Path(), "-o0", "-l", "+862150550002", "-v", "ewin",
		"-r", filepath.Join(dir, "rx")).CombinedOutput()
	if err != nil {
		t.Fatalf("efax: %v\n%s", err, out)
	}
	if err := <-sent; err != nil {
		t.Fatalf("send: %v\n%s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "rx.*"))
	if len(files) != len(pages) {
		t.Fatalf("efax stored %d pages: %v\n%s", len(files), files, out)
	}
	for i, f := range files {
		pbm := filepath.Join(dir, "page.pbm")
		if b, err := exec.Command(efix, "-v", "e", "-o", "pbm", "-n", pbm, f).CombinedOutput(); err != nil {
			t.Fatalf("efix: %v: %s", err, b)
		}
		data, err := os.ReadFile(pbm)
		if err != nil {
			t.Fatal(err)
		}
		got, err := t4.ReadPBM(data)
		if err != nil {
			t.Fatal(err)
		}
		p := pages[i]
		if got.Width != p.Width || got.Height < p.Height {
			t.Fatalf("page %d: efax stored %dx%d for %dx%d", i+1, got.Width, got.Height, p.Width, p.Height)
		}
		got.Height = p.Height
		if !got.Equal(p) {
			t.Fatalf("page %d: efax received a different image", i+1)
		}
	}
}
