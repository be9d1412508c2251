package t4

import (
	"bytes"
	"fmt"
	"io"
	"math"
)

// WritePDF writes the pages as a PDF 1.4 document, one page per fax page at
// its true size: each page is its T.4 1-D data in an image with the
// CCITTFaxDecode filter (K 0), so the file is as small as the TIFF and any
// PDF reader shows it (a person opening a received fax, the web UI).
func WritePDF(w io.Writer, pages []*Page) error {
	if len(pages) == 0 {
		return fmt.Errorf("%w: no pages", ErrBadSize)
	}
	p := &pdfWriter{}
	p.printf("%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n")
	// Objects: 1 catalog, 2 page tree, then per page: page, content, image.
	n := len(pages)
	kids := new(bytes.Buffer)
	for i := range n {
		fmt.Fprintf(kids, "%d 0 R ", 3+3*i)
	}
	p.object(1, "<< /Type /Catalog /Pages 2 0 R >>")
	p.object(2, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", bytes.TrimSpace(kids.Bytes()), n))
	for i, pg := range pages {
		if pg == nil || pg.Width <= 0 || pg.Width > MaxWidth || pg.Height <= 0 || pg.Height > MaxHeight {
			return fmt.Errorf("%w: page %d", ErrBadSize, i+1)
		}
		data, err := Encode(pg, EncodeOptions{Order: MSBFirst, NoRTC: true})
		if err != nil {
			return fmt.Errorf("t4: page %d: %w", i+1, err)
		}
		// Size in points (1/72 in): 204 dpi across, 98 or 196 lpi down.
		// Truncated, not rounded: a renderer at the fax resolution then
		// makes exactly Width x Height pixels rather than one more.
		wpt := math.Floor(float64(pg.Width)*72/DPI*1e4) / 1e4
		hpt := math.Floor(float64(pg.Height)*72/float64(pg.Resolution.LinesPerInch())*1e4) / 1e4
		page, content, image := 3+3*i, 4+3*i, 5+3*i
		p.object(page, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.4f %.4f] "+
			"/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>", wpt, hpt, image, content))
		p.stream(content, "", fmt.Appendf(nil, "q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q", wpt, hpt))
		p.stream(image, fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "+
			"/BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K 0 /Columns %d /Rows %d /EndOfLine true >>",
			pg.Width, pg.Height, pg.Width, pg.Height), data)
	}
	xref := p.buf.Len()
	total := 3 + 3*n
	p.printf("xref\n0 %d\n0000000000 65535 f \n", total)
	for i := 1; i < total; i++ {
		p.printf("%010d 00000 n \n", p.offsets[i])
	}
	p.printf("trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", total, xref)
	_, err := w.Write(p.buf.Bytes())
	return err
}

type pdfWriter struct {
	buf     bytes.Buffer
	offsets map[int]int
}

func (p *pdfWriter) printf(format string, args ...any) { fmt.Fprintf(&p.buf, format, args...) }

func (p *pdfWriter) object(id int, body string) {
	p.mark(id)
	p.printf("%d 0 obj\n%s\nendobj\n", id, body)
}

func (p *pdfWriter) stream(id int, dict string, data []byte) {
	p.mark(id)
	p.printf("%d 0 obj\n<< %s /Length %d >>\nstream\n", id, dict, len(data))
	p.buf.Write(data)
	p.printf("\nendstream\nendobj\n")
}

func (p *pdfWriter) mark(id int) {
	if p.offsets == nil {
		p.offsets = map[int]int{}
	}
	p.offsets[id] = p.buf.Len()
}
