package webui

import (
	"net/http"
	"strings"

	"callbox/acd/ivr"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
	"callbox/media/prompt"
)

// The visual IVR designer (admin): a list of flows and, per flow, an SVG
// canvas driven by assets/designer.js. The page itself holds no flow
// data: the script reads and writes the flow over the flow API
// (api_flows.go), so the designer can do nothing the API would refuse, and
// takes its form fields and the names to choose from from schema.json
// (designer_fields.go).

// designerCSP is the page policy plus what the designer needs: fetch to
// the flow API on this server.
const designerCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func (s *Server) designerRoutes(handle func(string, access, handlerFunc), admins []store.Role) {
	handle("GET /designer", page(admins...), s.designerList)
	handle("GET /designer/open", page(admins...), s.designerOpen)
	handle("GET /designer/schema.json", api(admins...), s.designerSchema)
	handle("GET /designer/flow/{id}", page(admins...), s.designerEdit)
}

// designerListView is the flow list page.
type designerListView struct {
	Flows []ivr.FlowInfo
	Error string // the "new flow" id was refused
	NewID string
}

func (s *Server) designerList(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.renderDesignerList(w, r, rc, http.StatusOK, designerListView{})
}

func (s *Server) renderDesignerList(w http.ResponseWriter, r *http.Request, rc *reqCtx, code int, v designerListView) {
	list, err := s.flowShelf().List()
	if err != nil {
		s.log.Error("designer: list flows", "err", err)
		s.fail(w, r, rc, http.StatusInternalServerError, "web.error.internal")
		return
	}
	v.Flows = list
	s.render(w, r, rc, code, "designer_list", "designer.title", v)
}

// designerOpen sends the "open or create" form to the flow's editor after
// checking the id, so a bad id gets its message next to the field.
func (s *Server) designerOpen(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	id := strings.TrimSpace(r.URL.Query().Get("id"))
	if !ivr.ValidFlowID(id) || !ivr.LiveID(id) {
		s.renderDesignerList(w, r, rc, http.StatusBadRequest,
			designerListView{NewID: id, Error: i18n.T(rc.lang, "designer.bad-id")})
		return
	}
	http.Redirect(w, r, "/designer/flow/"+id, http.StatusSeeOther)
}

// designerEditView is the editor page; the script loads the rest.
type designerEditView struct {
	ID string
}

func (s *Server) designerEdit(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	id := r.PathValue("id")
	if !ivr.ValidFlowID(id) || !ivr.LiveID(id) {
		s.notFound(w, r, rc)
		return
	}
	w.Header().Set("Content-Security-Policy", designerCSP)
	s.render(w, r, rc, http.StatusOK, "designer", "designer.title", designerEditView{ID: id})
}

// designerSchemaJSON is what the editor script needs besides the flow:
// the palette with each type's settings fields, the names it may pick
// (queues, hours, flows, mailboxes, prompt keys), and its texts in the
// user's language.
type designerSchemaJSON struct {
	Lang  string              `json:"lang"`
	Types []designerTypeJSON  `json:"types"`
	Names map[string][]string `json:"names"`
	Text  map[string]string   `json:"text"`
	// Exits names the fixed exits in the user's language (menu keys and
	// rule exits show as they are).
	Exits map[string]string `json:"exits"`
}

type designerTypeJSON struct {
	ivr.NodeType
	Label  string          `json:"label"`
	Help   string          `json:"help"`
	Fields []fieldSpecJSON `json:"fields"`
	// Hidden keeps a type out of the palette while nodes of it already in
	// a flow still draw: the fax node when the box has no fax line.
	Hidden bool `json:"hidden,omitempty"`
}

func (s *Server) designerSchema(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	out := designerSchemaJSON{Lang: string(rc.lang), Names: s.designerNames(), Text: map[string]string{}, Exits: map[string]string{}}
	offered := map[string]bool{}
	for _, t := range ivr.Palette(s.faxSender()) {
		offered[t.Name] = true
	}
	for _, t := range ivr.NodeTypes() {
		out.Types = append(out.Types, designerTypeJSON{NodeType: t,
			Label: i18n.T(rc.lang, "designer.node."+t.Name), Help: i18n.T(rc.lang, "designer.help."+t.Name),
			Fields: fieldsOf(t.Name, rc.lang), Hidden: !offered[t.Name]})
	}
	for _, t := range ivr.NodeTypes() {
		for _, e := range t.Exits {
			if k := "designer.exit." + e.Name; i18n.Has(k) {
				out.Exits[e.Name] = i18n.T(rc.lang, k)
			}
		}
	}
	for _, k := range designerTexts {
		out.Text[k] = i18n.T(rc.lang, "designer.js."+k)
	}
	writeJSON(w, http.StatusOK, out)
}

// designerNames lists what the store offers for the settings that name
// another record; a failed read leaves that list empty (the field is then
// typed by hand, and validation still checks it).
func (s *Server) designerNames() map[string][]string {
	names := map[string][]string{"langs": {"zh", "en"}}
	if qs, err := store.List[store.Queue](s.store); err == nil {
		for _, q := range qs {
			names["queues"] = append(names["queues"], q.Name)
			names["mailboxes"] = append(names["mailboxes"], q.Name)
		}
	}
	if hs, err := store.List[store.Hours](s.store); err == nil {
		for _, h := range hs {
			names["hours"] = append(names["hours"], h.Key())
		}
	}
	if xs, err := store.List[store.Extension](s.store); err == nil {
		for _, x := range xs {
			names["extensions"] = append(names["extensions"], x.Number)
			if x.Voicemail {
				names["mailboxes"] = append(names["mailboxes"], x.Number)
			}
		}
	}
	if fs, err := store.List[store.Flow](s.store); err == nil {
		for _, f := range fs {
			if ivr.LiveID(f.Key()) && f.Published {
				names["flows"] = append(names["flows"], f.Key())
			}
		}
	}
	lib := prompt.NewLibrary("")
	seen := map[string]bool{}
	for _, l := range []string{"en", "zh"} {
		es, err := lib.Entries(l)
		if err != nil {
			continue
		}
		for _, e := range es {
			if !seen[e.Key] {
				seen[e.Key] = true
				names["prompts"] = append(names["prompts"], e.Key)
			}
		}
	}
	return names
}

// designerTexts are the script's own words (keys "designer.js.<name>").
var designerTexts = []string{
	"palette", "settings", "save", "saved", "validate", "valid", "publish", "published", "dryrun", "run",
	"versions", "restore", "restored", "live", "label", "id", "delete-node", "no-node", "problems",
	"ani", "dnis", "at", "digits", "digits-hint", "path", "actions", "end", "error", "unsaved",
	"loading", "load-failed", "exit-open", "version", "draft", "new-flow", "name", "languages", "zoom-fit",
	"drag-hint", "json-bad", "lines-hint", "none", "keys",
}
