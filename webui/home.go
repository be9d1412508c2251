package webui

import (
	"net/http"

	"callbox/acd/ivr"

	"callbox/firmware/store"
)

// homeSection is one block of the home page: a kind of record the box
// holds, with how many there are and, where the API serves it already,
// where to read it.
type homeSection struct {
	Kind  string
	Label string
	N     int
	API   string // "" until an endpoint exists
}

// homeView is the content of the home page.
type homeView struct {
	Sections []homeSection
	Healthy  bool
	Failing  []string
}

// homeKinds are the configuration records an installer manages, in the
// order the admin pages will present them.
var homeKinds = []store.Kind{
	store.KindExtension, store.KindUser, store.KindTrunk, store.KindLine, store.KindAgent,
	store.KindSkill, store.KindQueue, store.KindFlow, store.KindHours, store.KindCustomer,
}

// homeAPI lists the kinds the JSON API already serves.
var homeAPI = map[store.Kind]string{
	store.KindExtension: "/api/v1/extensions",
	store.KindUser:      "/api/v1/users",
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	var v homeView
	if rc.user.Role == store.RoleAdmin || rc.user.Role == store.RoleSupervisor {
		v.Healthy, v.Failing = s.status().Healthy()
	}
	if rc.user.Role == store.RoleAdmin {
		counts, err := s.store.Counts()
		if err != nil {
			s.log.Warn("store counts", "err", err)
		}
		if counts == nil {
			counts = map[store.Kind]int{}
		}
		counts[store.KindFlow] = s.liveFlows()
		for _, k := range homeKinds {
			v.Sections = append(v.Sections, homeSection{Kind: string(k), Label: kindLabel(rc.lang, string(k)), N: counts[k], API: homeAPI[k]})
		}
	}
	s.render(w, r, rc, http.StatusOK, "home", "web.home.title", v)
}

// liveFlows counts the IVR flows an installer made: the store also keeps
// each flow's draft and earlier versions under keys of their own.
func (s *Server) liveFlows() int {
	flows, err := store.List[store.Flow](s.store)
	if err != nil {
		s.log.Warn("store flows", "err", err)
		return 0
	}
	n := 0
	for _, f := range flows {
		if ivr.LiveID(f.Key()) {
			n++
		}
	}
	return n
}
