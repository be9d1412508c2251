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

// tourPage is one page of the tour as a person saw it.
type tourPage struct {
	path string
	// overflow is how many CSS pixels the page is wider than the
	// window (0: no horizontal scrolling).
	overflow int
	// rawKeys are catalogue keys shown as is (a missing message).
	rawKeys []string
}

// tour opens every page a person can reach from the header, from the
// admin menu and from the tabs of those pages, in the order first found,
// and calls visit on each while it is open. Each menu page adds up to
// deep pages below it that it links to (a "new" form, the first record,
// a bulk form), so that forms are seen too. It returns the paths
// visited.
func tour(t *testing.T, ctx context.Context, base string, deep int, visit func(tourPage)) []string {
	t.Helper()
	type stop struct {
		path string
		menu bool // found in a menu: its own menus and children are followed
	}
	var queue []stop
	seen := map[string]bool{"/logout": true}
	collect := func(sel, under string, most int, menu bool) {
		hrefs := js[[]string](t, ctx, `[...document.querySelectorAll(`+quote(sel)+`)].map(a => a.href)`)
		found := 0
		for _, h := range hrefs {
			u, err := url.Parse(h)
			if err != nil || "http://"+u.Host != base || found == most {
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
				queue = append(queue, stop{path: p, menu: menu})
				found++
			}
		}
	}
	act(t, ctx, "home", chromedp.Navigate(base+"/"), chromedp.WaitReady(chromedp.CSS("header.top")))
	collect(`a.brand, header.top nav a[href]`, "", -1, true)
	var out []string
	for i := 0; i < len(queue); i++ {
		s := queue[i]
		visit(openPage(t, ctx, base, s.path))
		out = append(out, s.path)
		if !s.menu {
			continue
		}
		// The admin menu, and tabs within a section (reports).
		collect(`nav.side a[href], .tabs a[href]`, "", -1, true)
		if deep > 0 && s.path != "/" {
			collect(`main a[href]`, strings.SplitN(s.path, "?", 2)[0], deep, false)
		}
	}
	return out
}

// openPage loads path and waits for it to settle (scripts run, the
// event stream connects, the designer draws).
func openPage(t *testing.T, ctx context.Context, base, path string) tourPage {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, uiWait)
	res, err := chromedp.Run(sctx, chromedp.NavigateResponse(base+path))
	cancel()
	if err != nil {
		failPage(t, ctx, "open "+path, err)
	}
	// A menu that leads to an error page is broken.
	if res != nil && res.Status >= 400 {
		t.Errorf("%s answers HTTP %d", path, res.Status)
	}
	until(t, ctx, path+" settled", `document.readyState === "complete" &&
		(document.querySelector("#stream") === null || document.querySelector("#stream.live") !== null) &&
		(document.querySelector("#designer") === null || document.querySelector('#designer[data-ready="1"]') !== null)`)
	seen := js[struct {
		Overflow int
		RawKeys  []string
	}](t, ctx, `({Overflow: Math.max(0, document.documentElement.scrollWidth - window.innerWidth),
		RawKeys: [...new Set(document.body.innerText.match(/\b(admin|web|agentui|designer|reports|store|ivr|queue|wallboard|msg|cti|dir|sms|fax)\.[a-z_]+(\.[a-zA-Z_-]+)+\b/g) || [])]})`)
	return tourPage{path: path, overflow: seen.Overflow, rawKeys: seen.RawKeys}
}

// uiTour is the screenshots mode: it visits each page in each language
// as the admin (and the agent's own pages as the agent) and writes
// <lang>-<path>.png, plus the wallboard on a 1024x768 tablet. Layout
// overflow and catalogue keys shown as is are logged for people to fix.
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
			deep := 0
			if who.only == nil {
				deep = 4
			}
			visited := tour(t, ctx, site.base, deep, func(p tourPage) {
				if who.only != nil && !slices.Contains(who.only, p.path) {
					return
				}
				name := lang + "-" + fileSafe(p.path)
				if p.path == "/" {
					name += "-" + who.name
				}
				shots.shot(t, ctx, name)
				if p.overflow > 0 {
					t.Logf("LAYOUT %s (%s): %d px wider than 1366", p.path, lang, p.overflow)
				}
				for _, k := range p.rawKeys {
					t.Logf("TRANSLATION %s (%s): key %q shown as is", p.path, lang, k)
				}
				if strings.HasPrefix(p.path, "/wallboard") {
					// A tablet on the wall, landscape and portrait.
					for _, tab := range []struct {
						name string
						w, h int64
					}{{"tablet", 1024, 768}, {"tablet-portrait", 768, 1024}} {
						act(t, ctx, tab.name, chromedp.EmulateViewport(tab.w, tab.h))
						if tp := openPage(t, ctx, site.base, p.path); tp.overflow > 0 {
							t.Logf("LAYOUT %s (%s) on a %dx%d tablet: %d px wider than the screen", p.path, lang, tab.w, tab.h, tp.overflow)
						}
						shots.shot(t, ctx, lang+"-wallboard-"+tab.name)
					}
					act(t, ctx, "desktop", chromedp.EmulateViewport(1366, 768))
				}
			})
			t.Logf("%s in %s: %d pages: %s", who.name, lang, len(visited), strings.Join(visited, " "))
		}
	}
}
