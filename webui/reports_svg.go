package webui

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// Charts drawn on the server as inline SVG: no script, no library, and
// they print. Every text put into the SVG is escaped (queue and agent
// names are typed by people).

// chartSeries is one set of bars, one value per category.
type chartSeries struct {
	Name  string
	Class string // CSS class of its bars (bar-a .. bar-d)
	// Fill is a colour for a series beyond the stylesheet's four classes
	// (a stacked chart of agent states); a presentation attribute, so the
	// page's CSP, which forbids inline styles, allows it.
	Fill   string
	Values []float64
}

// svgChart is a drawn chart, ready for a template.
type svgChart struct {
	Title string
	SVG   template.HTML
}

const (
	chartW, chartH                               = 640.0, 260.0
	chartLeft, chartRight, chartTop, chartBottom = 52.0, 12.0, 40.0, 34.0
)

// barChart draws grouped bars: one group per label, one bar per series,
// with a value axis of about five steps labelled by format.
func barChart(title string, labels []string, series []chartSeries, format func(float64) string) svgChart {
	esc := template.HTMLEscapeString
	top := 0.0
	for _, s := range series {
		for _, v := range s.Values {
			top = max(top, v)
		}
	}
	stepV := niceStep(top / 5)
	top = math.Max(stepV, math.Ceil(top/stepV)*stepV)
	plotW, plotH := chartW-chartLeft-chartRight, chartH-chartTop-chartBottom
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, chartW, chartH, esc(title))
	fmt.Fprintf(&b, `<text class="title" x="%.0f" y="16">%s</text>`, chartLeft, esc(title))
	// Legend, right-aligned on the title line.
	x := chartW - chartRight
	for i := len(series) - 1; i >= 0; i-- {
		w := 14 + textWidth(series[i].Name)
		x -= w + 10
		fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="7" width="10" height="10"></rect><text x="%.1f" y="16">%s</text>`,
			esc(series[i].Class), x, x+14, esc(series[i].Name))
	}
	for v := 0.0; v <= top+stepV/2; v += stepV {
		y := chartTop + plotH - v/top*plotH
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"></line>`, chartLeft, y, chartW-chartRight, y)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`, chartLeft-6, y+4, esc(format(v)))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"></line>`, chartLeft, chartTop+plotH, chartW-chartRight, chartTop+plotH)
	if n := len(labels); n > 0 && len(series) > 0 {
		group := plotW / float64(n)
		// Bars stay slim when there are few categories (a week, two
		// agents), so the chart does not turn into blocks.
		barW := math.Min(36, math.Max(1, (group*0.8)/float64(len(series))))
		// Thin out the category labels so they never overlap.
		every := int(math.Ceil(float64(n) * 34 / plotW))
		for i, label := range labels {
			gx := chartLeft + group*float64(i) + (group-barW*float64(len(series)))/2
			for k, s := range series {
				if i >= len(s.Values) || s.Values[i] <= 0 {
					continue
				}
				h := s.Values[i] / top * plotH
				fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s · %s: %s</title></rect>`,
					esc(s.Class), gx+barW*float64(k), chartTop+plotH-h, barW, h, esc(label), esc(s.Name), esc(format(s.Values[i])))
			}
			if every <= 1 || i%every == 0 {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, chartLeft+group*(float64(i)+0.5), chartH-chartBottom+16, esc(shorten(label, 12)))
			}
		}
	}
	b.WriteString(`</svg>`)
	// The markup is built above from escaped text and numbers only.
	return svgChart{Title: title, SVG: template.HTML(b.String())}
}

// niceStep rounds a raw axis step up to 1, 2 or 5 times a power of ten
// (at least 1).
func niceStep(raw float64) float64 {
	if raw <= 1 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// shorten cuts s to n runes with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// textWidth estimates the drawn width of s at the charts' 11px font: wide
// (CJK) characters take about twice a Latin one.
func textWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		if r >= 0x2E80 {
			w += 11.5
		} else {
			w += 6.5
		}
	}
	return w
}

// stackedChart draws one bar per label with the series stacked in it,
// bottom first (an agent's time by state), on a value axis labelled by
// format.
func stackedChart(title string, labels []string, series []chartSeries, format func(float64) string) svgChart {
	esc := template.HTMLEscapeString
	top := 0.0
	for i := range labels {
		sum := 0.0
		for _, s := range series {
			if i < len(s.Values) && s.Values[i] > 0 {
				sum += s.Values[i]
			}
		}
		top = max(top, sum)
	}
	stepV := niceStep(top / 5)
	top = math.Max(stepV, math.Ceil(top/stepV)*stepV)
	plotW, plotH := chartW-chartLeft-chartRight, chartH-chartTop-chartBottom
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, chartW, chartH, esc(title))
	fmt.Fprintf(&b, `<text class="title" x="%.0f" y="16">%s</text>`, chartLeft, esc(title))
	// The legend goes on its own line under the title: five states do
	// not fit beside it.
	x := chartLeft
	for _, s := range series {
		fmt.Fprintf(&b, `<rect%s x="%.1f" y="23" width="10" height="10"></rect><text x="%.1f" y="32">%s</text>`,
			seriesPaint(s), x, x+14, esc(s.Name))
		x += 14 + textWidth(s.Name) + 10
	}
	for v := 0.0; v <= top+stepV/2; v += stepV {
		y := chartTop + plotH - v/top*plotH
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"></line>`, chartLeft, y, chartW-chartRight, y)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`, chartLeft-6, y+4, esc(format(v)))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"></line>`, chartLeft, chartTop+plotH, chartW-chartRight, chartTop+plotH)
	if n := len(labels); n > 0 {
		group := plotW / float64(n)
		barW := math.Min(48, math.Max(1, group*0.7))
		every := int(math.Ceil(float64(n) * 34 / plotW))
		for i, label := range labels {
			gx := chartLeft + group*float64(i) + (group-barW)/2
			base := chartTop + plotH
			for _, s := range series {
				if i >= len(s.Values) || s.Values[i] <= 0 {
					continue
				}
				h := s.Values[i] / top * plotH
				base -= h
				fmt.Fprintf(&b, `<rect%s x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s · %s: %s</title></rect>`,
					seriesPaint(s), gx, base, barW, h, esc(label), esc(s.Name), esc(format(s.Values[i])))
			}
			if every <= 1 || i%every == 0 {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, chartLeft+group*(float64(i)+0.5), chartH-chartBottom+16, esc(shorten(label, 12)))
			}
		}
	}
	b.WriteString(`</svg>`)
	// The markup is built above from escaped text and numbers only.
	return svgChart{Title: title, SVG: template.HTML(b.String())}
}

// seriesPaint is the class or fill attribute of a series' shapes.
func seriesPaint(s chartSeries) string {
	if s.Fill != "" {
		return ` fill="` + template.HTMLEscapeString(s.Fill) + `"`
	}
	return ` class="` + template.HTMLEscapeString(s.Class) + `"`
}
