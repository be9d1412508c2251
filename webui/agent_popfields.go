package webui

import (
	"slices"
	"strings"

	"callbox/acd/directory/source"
	"callbox/firmware/i18n"
	"callbox/firmware/store"
)

// popFields turns a pop's customer fields into what the console shows:
// the installer's custom fields under their labels, in form order, only
// those marked to show in the pop; fields other sources add (a CRM's)
// under their own names, after them; the built-in VIP level and tags on
// their own. A failed read of the definitions shows every field by name.
func (s *Server) popFields(lang i18n.Lang, fields map[string]string) (rows [][2]string, vipLevel string, tags []string) {
	rest := make(map[string]string, len(fields))
	for k, v := range fields {
		rest[k] = v
	}
	if v, ok := rest[source.FieldVIPLevel]; ok {
		vipLevel = v
		delete(rest, source.FieldVIPLevel)
	}
	if v, ok := rest[source.FieldTags]; ok {
		for t := range strings.SplitSeq(v, ";") {
			if t = strings.TrimSpace(t); t != "" {
				tags = append(tags, t)
			}
		}
		delete(rest, source.FieldTags)
	}
	defs, err := store.CustomerFields(s.store)
	if err != nil {
		s.log.Error("pop: read custom field definitions", "err", err)
	}
	for _, d := range defs {
		v, ok := rest[d.Name]
		if !ok {
			continue
		}
		delete(rest, d.Name)
		if d.ShowInPop && v != "" {
			rows = append(rows, [2]string{d.Label(lang), v})
		}
	}
	others := make([]string, 0, len(rest))
	for k := range rest {
		others = append(others, k)
	}
	slices.Sort(others)
	for _, k := range others {
		rows = append(rows, [2]string{k, rest[k]})
	}
	return rows, vipLevel, tags
}
