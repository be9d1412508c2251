package webui

import (
	"net/http"
	"strings"
	"testing"

	"callbox/firmware/store"
)

func TestCTIAnswer_PhoneRefusalsAreConflictsAndSilenceABadGateway(t *testing.T) {
	cf := newCTIFixture(t)
	sup := cf.token(store.RoleSupervisor, "")
	for _, c := range []struct {
		ext  string
		code int
		says string
	}{
		{"201", http.StatusNoContent, ""},
		{"301", http.StatusConflict, "489 Bad Event"},
		{"302", http.StatusBadGateway, "did not respond"},
		{"303", http.StatusConflict, "no call is ringing the phone of extension 303"},
	} {
		code, body := cf.callJSON(sup, http.MethodPost, "/api/v1/calls/call-1/answer", map[string]string{"extension": c.ext})
		if code != c.code || !strings.Contains(body, c.says) {
			t.Errorf("answer at %s: %d %s, want %d saying %q", c.ext, code, body, c.code, c.says)
		}
	}
	if code, body := cf.callJSON(sup, http.MethodPost, "/api/v1/calls/call-1/answer", map[string]string{"extension": "x1"}); code != http.StatusBadRequest || !strings.Contains(body, `"extension"`) {
		t.Errorf("bad extension: %d %s", code, body)
	}
	// Without a pop nor an offer, the box cannot tell which phone rings.
	if code, body := cf.call(sup, http.MethodPost, "/api/v1/calls/call-1/answer", "", nil); code != http.StatusBadRequest || !strings.Contains(body, `"extension"`) {
		t.Errorf("no extension: %d %s", code, body)
	}
}

func TestCTIConsult_ControlWithoutTheFeatureAnswers501(t *testing.T) {
	cf := newCTIFixture(t)
	sup := cf.token(store.RoleSupervisor, "")
	if code, _ := cf.callJSON(sup, http.MethodPost, "/api/v1/calls/call-1/consult", map[string]string{"target": "203"}); code != http.StatusNotImplemented {
		t.Errorf("consult: %d", code)
	}
	if code, _ := cf.call(sup, http.MethodPost, "/api/v1/calls/call-1/consult/complete", "", nil); code != http.StatusNotImplemented {
		t.Errorf("complete: %d", code)
	}
	if code, _ := cf.call(sup, http.MethodPost, "/api/v1/calls/call-1/consult/sideways", "", nil); code != http.StatusNotFound {
		t.Errorf("unknown step: %d", code)
	}
}

func TestCTICallbacks_NoQueueWiredAnswers503AndBadJSONIsNamed(t *testing.T) {
	cf := newCTIFixture(t)
	sup := cf.token(store.RoleSupervisor, "")
	if code, body := cf.call(sup, http.MethodPost, "/api/v1/callbacks", "application/json", []byte(`{"number":true}`)); code != http.StatusBadRequest || !strings.Contains(body, `"number"`) {
		t.Errorf("type error: %d %s", code, body)
	}
	if code, body := cf.call(sup, http.MethodPost, "/api/v1/callbacks", "application/json", []byte(`{"numbr":"203"}`)); code != http.StatusBadRequest || !strings.Contains(body, `"numbr"`) {
		t.Errorf("unknown field: %d %s", code, body)
	}
	if code, _ := cf.callJSON(sup, http.MethodPost, "/api/v1/callbacks", map[string]string{"number": "203", "queue": "sales"}); code != http.StatusServiceUnavailable {
		t.Errorf("no queue wired: %d", code)
	}
	if code, _ := cf.call(sup, http.MethodDelete, "/api/v1/callbacks/cb-nope", "", nil); code != http.StatusNotFound {
		t.Errorf("cancel unknown: %d", code)
	}
}
