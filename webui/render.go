package webui

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strings"

	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

//go:embed zones.txt
var zonesTxt string

// pages holds one parsed template per page, each combined with the layout.
type pages struct {
	byName map[string]*template.Template
}

// parsePages parses the layout once and every page on a clone of it.
func parsePages() (*pages, error) {
	base, err := template.New("layout.html").ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, file := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(file, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, file)
		if err != nil {
			return nil, err
		}
		p.byName[name] = t
	}
	return p, nil
}

// timeZones returns the IANA zones the setup page offers.
func timeZones() ([]string, error) {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(zonesTxt))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty zone list")
	}
	return out, sc.Err()
}

// pageData is what every page template sees: the layout's needs plus View,
// the page's own content.
type pageData struct {
	Lang     i18n.Lang
	TitleKey string
	SiteName string
	User     *store.User
	CSRF     string
	Here     string // the current path, where the language switch returns to
	CSS      string // versioned stylesheet URL
	View     any
}

// T looks a message up in the page's language.
func (p pageData) T(key string, args ...any) string { return i18n.T(p.Lang, key, args...) }

// TOr looks key up, or returns fallback when the catalogue lacks it (for
// names that come from other parts, such as hardware kinds).
func (p pageData) TOr(key, fallback string) string {
	if i18n.Has(key) {
		return i18n.T(p.Lang, key)
	}
	return fallback
}

// Is reports whether the logged-in user has one of roles.
func (p pageData) Is(roles ...string) bool {
	return p.User != nil && slices.Contains(roles, string(p.User.Role))
}

// Langs lists the languages the switch offers, with their names in
// their own language so that a lost reader finds theirs.
func (p pageData) Langs() []langChoice {
	out := make([]langChoice, 0, len(i18n.Langs))
	for _, l := range i18n.Langs {
		out = append(out, langChoice{Code: string(l), Name: i18n.T(l, "web.lang.self"), Current: l == p.Lang})
	}
	return out
}

// langChoice is one button of the language switch.
type langChoice struct {
	Code    string
	Name    string
	Current bool
}

// render writes page name with view, or a plain 500 if the template fails
// (rendered into a buffer first, so a failure never sends half a page).
func (s *Server) render(w http.ResponseWriter, r *http.Request, rc *reqCtx, code int, name, titleKey string, view any) {
	t, ok := s.pages.byName[name]
	if !ok {
		s.log.Error("no such page template", "page", name)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	site := ""
	if done, _ := s.isSetupDone(); done {
		if st, err := store.GetSettings(s.store); err == nil {
			site = st.SiteName
		}
	}
	data := pageData{
		Lang: rc.lang, TitleKey: titleKey, SiteName: site, User: rc.user, CSRF: rc.csrf,
		Here: localPath(r.URL.RequestURI()), CSS: cssURL, View: view,
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// writeJSON writes v as the JSON answer with code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, `{"error":"encoding failed"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// apiError writes {"error": msg}.
func apiError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// cssURL carries a hash of the stylesheet, so that a browser caches it for
// long and still fetches the new one after a firmware update.
var cssURL = func() string {
	b, err := assetFS.ReadFile("assets/style.css")
	if err != nil {
		return "/assets/style.css" // cannot happen: the file is embedded at build
	}
	sum := sha256.Sum256(b)
	return "/assets/style.css?v=" + hex.EncodeToString(sum[:6])
}()

// assetHandler serves the embedded files under /assets/.
func assetHandler() http.Handler {
	files := http.FileServerFS(assetFS)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if r.URL.Query().Get("v") != "" {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "public, max-age=3600")
		}
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}
