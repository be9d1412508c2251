package messaging

import (
	"bytes"
	"context"

	"callbox/firmware/store"
	"callbox/media/t4"
)

// DemoLines are the modem lines of make run, on simulated modems (see
// Simulator): a GSM modem whose conversations go to queue, and a fax modem
// whose faxes are work items for it.
func DemoLines(queue string) []store.Line {
	return []store.Line{
		{ID: "gsm0", Name: "GSM modem (simulated)", Type: store.LineGSM, Device: SimPrefix + "gsm0", Number: "+8613800138000", Route: queue, Enabled: true},
		{ID: "fax0", Name: "Fax modem (simulated)", Type: store.LineGSM, Device: SimPrefix + "fax0", Number: "+862150550001", Route: queue, Enabled: true},
	}
}

// DemoRules answer "HOURS" and "FAX" by SMS in the demo.
func DemoRules() []Rule {
	return []Rule{
		{Name: "hours", Keyword: "hours", Reply: "We are open Monday to Friday, 9:00-18:00. 营业时间：周一至周五 9:00-18:00。"},
		{Name: "fax", Keyword: "fax", Reply: "Call us and press 3 to get our price list by fax. 致电并按3即可获取传真价目表。"},
	}
}

// DemoDocument is the fax-on-demand document of the demo, "100": a drawn
// page (a frame and ruled lines), since the box has no fonts to render
// text with.
func DemoDocument(ctx context.Context, dataDir string) (Document, error) {
	p, err := t4.NewPage(t4.Width, 1100, t4.Standard)
	if err != nil {
		return Document{}, err
	}
	for y := range p.Height {
		for x := range p.Width {
			frame := x < 40 || x >= p.Width-40 || y < 30 || y >= p.Height-30
			ruled := y > 120 && y%48 < 2 && x > 120 && x < p.Width-120
			title := y > 60 && y < 90 && x > 120 && x < 900
			p.Set(x, y, frame && !(x < 36 || x >= p.Width-36 || y < 26 || y >= p.Height-26) || ruled || title)
		}
	}
	var tif bytes.Buffer
	if err := t4.WriteTIFF(&tif, []*t4.Page{p}); err != nil {
		return Document{}, err
	}
	return SaveDocument(ctx, dataDir, "100", tif.Bytes())
}
