package fax_test

import (
	"bytes"
	"context"
	"testing"

	"callbox/drivers/modem/fax"
	"callbox/media/t4"
)

func FuzzLoadDocument(f *testing.F) {
	var png bytes.Buffer
	_ = encodePNG(&png)
	f.Add(png.Bytes())
	f.Add([]byte("P4\n16 2\n\xff\x00\x0f\xf0"))
	f.Add([]byte("II*\x00\x08\x00\x00\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.HasPrefix(data, []byte("%PDF-")) {
			return // rendered by an external program, not fuzzed here
		}
		pages, err := fax.LoadDocument(context.Background(), data, t4.Standard)
		if err != nil {
			if fax.Message("zh", err) == "" {
				t.Fatal("no message for the error")
			}
			return
		}
		for _, p := range pages {
			if len(p.Pix) < p.Stride*p.Height {
				t.Fatal("short page")
			}
		}
	})
}
