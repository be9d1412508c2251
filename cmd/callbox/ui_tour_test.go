package main

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The tour: every page reachable from the header and the admin menu,
// found in the rendered menus (so pages added later are included), for
// each person and language. The screenshots mode photographs each page;
// the escaping test looks for stored markup turned into elements.

// tourLinks are where a person can go from the header, the admin menu
// and the tabs of those pages, as paths with their queries, in the order
// first found. With deep, each of those pages adds up to four pages
// below it that it links to (a "new" form, the first record, a bulk
// form), so that forms are seen too.
func tourLinks(t *testing.T, ctx context.Context, base string, deep bool) []string {
	t.Helper()
	var out []string
	seen := map[string]bool{"/logout": true}
	collect := func(sel, under string, most int) []string {
		hrefs := js[[]string](t, ctx, `[...document.querySelectorAll(`+quote(sel)+`)].map(a => a.href)`)
		var found []string
		for _, h := range hrefs {
			u, err := url.Parse(h)
			if err != nil || "http://"+u.Host != base || len(found) == most {
				continue
			}
			p := u.Path
			if u.RawQuery != "" {
				p += "?" + u.RawQuery
			}
			// Below a page: its pages, not files it offers (CSV,
			// backups, recordings).
			if under != "" && (!strings.HasPrefix(p, under+"/") || strings.Contains(p, ".csv") || strings.Contains(p, "download") || strings.Contains(p, "/recordings/")) {
				continue
			}
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
				found = append(found, p)
			}
		}
		return found
	}
	act(t, ctx, "home", chromedp.Navigate(base+"/"), chromedp.WaitReady(chromedp.CSS("header.top")))
	collect(`a.brand`, "", -1)
	top := collect(`header.top nav a[href]`, "", -1)
	for _, p := range top {
		act(t, ctx, "open "+p, chromedp.Navigate(base+p), chromedp.WaitReady(chromedp.CSS("header.top")))
		// The admin menu, and tabs within a section (reports).
		top = append(top, collect(`nav.side a[href], .tabs a[href]`, "", -1)...)
	}
	if deep {
		for _, p := range slices.Clone(out) {
			if p == "/" {
				continue
			}
			act(t, ctx, "open "+p, chromedp.Navigate(base+p), chromedp.WaitReady(chromedp.CSS("header.top")))
			collect(`main a[href]`, strings.SplitN(p, "?", 2)[0], 4)
		}
	}
	return out
}

// tourPage is one page of the tour as a person saw it.
type tourPage struct {
	path string
	// overflow is how many CSS pixels the page is wider than the
	// window (0: no horizontal scrolling).
	overflow int
	// rawKeys are catalogue keys shown as is (a missing message).
	rawKeys []string
}

// openPage loads path and waits for it to settle (scripts run, the
// event stream connects).
func openPage(t *testing.T, ctx context.Context, base, path string) tourPage {
	t.Helper()
	act(t, ctx, "open "+path, chromedp.Navigate(base+path), chromedp.WaitReady(chromedp.CSS("body")))
	until(t, ctx, path+" settled", `document.readyState === "complete" && (document.querySelector("#stream") === null || document.querySelector("#stream.live") !== null)`)
	p := tourPage{path: path}
	p.overflow = js[int](t, ctx, `Math.max(0, document.documentElement.scrollWidth - window.innerWidth)`)
	p.rawKeys = js[[]string](t, ctx, `[...new Set(document.body.innerText.match(/\b(admin|web|agentui|designer|reports|store|ivr|queue|wallboard|msg|cti|dir|sms|fax)\.[a-z_]+(\.[a-zA-Z_-]+)+\b/g) || [])]`)
	return p
}

// uiTour is the screenshots mode: it visits each page in each language
// and writes <lang>-<path>.png.
func uiTour(t *testing.T, br *browser, site uiSite, shots shooter) {
	t.Helper()
	people := []struct {
		name string
		// only are the pages this person is photographed on (nil:
		// all); the rest are the admin's.
		only []string
	}{{"admin", nil}, {"anna", []string{"/", "/agent"}}}
	for _, who := range people {
		ctx := br.person(t)
		logIn(t, ctx, site.base, who.name, "/")
		for _, lang := range []string{"en", "zh"} {
			act(t, ctx, "home", chromedp.Navigate(site.base+"/"), chromedp.WaitVisible(chromedp.CSS("form.langs")))
			navigate(t, ctx, "switch to "+lang, `form.langs button[value="`+lang+`"]`)
			links := tourLinks(t, ctx, site.base, true)
			for _, path := range links {
				if who.only != nil && !slices.Contains(who.only, path) {
					continue
				}
				p := openPage(t, ctx, site.base, path)
				name := lang + "-" + fileSafe(path)
				if path == "/" {
					name += "-" + who.name
				}
				shots.shot(t, ctx, name)
				if p.overflow > 0 {
					t.Logf("LAYOUT %s (%s): %d px wider than 1366", path, lang, p.overflow)
				}
				for _, k := range p.rawKeys {
					t.Logf("TRANSLATION %s (%s): key %q shown as is", path, lang, k)
				}
				if strings.HasPrefix(path, "/wallboard") {
					act(t, ctx, "tablet", chromedp.EmulateViewport(1024, 768))
					if p := openPage(t, ctx, site.base, path); p.overflow > 0 {
						t.Logf("LAYOUT %s (%s) on a 1024x768 tablet: %d px wider than the screen", path, lang, p.overflow)
					}
					shots.shot(t, ctx, lang+"-wallboard-tablet")
					act(t, ctx, "desktop", chromedp.EmulateViewport(1366, 768))
				}
			}
			t.Logf("%s in %s: %d pages: %s", who.name, lang, len(links), strings.Join(links, " "))
		}
	}
}
