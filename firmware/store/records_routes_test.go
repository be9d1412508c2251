package store

import (
	"errors"
	"testing"
)

// validRouteRecords are valid records of the route kinds, for the table
// of every kind in records_test.go.
func validRouteRecords() []Record {
	return []Record{
		InboundRoute{Name: "sales-did", Order: 10, Via: "carrier", DID: "_8000XXXX", Caller: "_138.", Target: "queue:sales"},
		OutboundRoute{Name: "national", Order: 1, Pattern: "_9ZX.", Strip: 1, Prepend: "17909", CallerID: "+861012345678",
			CallerPrepend: "8610", From: "_2XX", Gateways: []string{"trunk:carrier", "line:fxo1"}},
	}
}

func TestRoutes_RefuseWhatTheDialplanCannotRead(t *testing.T) {
	for _, r := range []Record{
		InboundRoute{Name: "x", Target: "queue:sales", DID: "_80a"}, // a letter in a pattern
		InboundRoute{Name: "x", Target: "fax:1"},
		InboundRoute{Name: "x", Target: "queue:"},
		InboundRoute{Name: "x", Target: "ext:20a"},
		InboundRoute{Name: "x"},
		InboundRoute{Name: "-x", Target: "ext:201"},
		InboundRoute{Name: "x", Target: "ext:201", Order: -1},
		InboundRoute{Name: "x", Target: "ext:201", Caller: "_"},
		OutboundRoute{Name: "x", Gateways: []string{"trunk:a"}},
		OutboundRoute{Name: "x", Pattern: "_9.", Strip: 21, Gateways: []string{"trunk:a"}},
		OutboundRoute{Name: "x", Pattern: "_9.", Prepend: "0x", Gateways: []string{"trunk:a"}},
		OutboundRoute{Name: "x", Pattern: "_9."},
		OutboundRoute{Name: "x", Pattern: "_9.", Gateways: []string{"sip:a"}},
		OutboundRoute{Name: "x", Pattern: "_9.", Gateways: []string{"trunk:a", "trunk:a"}},
		OutboundRoute{Name: "x", Pattern: "_9.", CallerID: "abc", Gateways: []string{"trunk:a"}},
	} {
		var ve *ValidationError
		if err := r.Validate(); !errors.As(err, &ve) {
			t.Errorf("%+v: got %v, want a validation error", r, err)
		}
	}
}

func TestSettings_ChecksFeatureCodesAndEmergencyNumbers(t *testing.T) {
	ok := DefaultSettings()
	ok.FeatureCodes = map[string]string{"voicemail": "*98", "pickup": ""}
	ok.Emergency = []string{"112", "911"}
	ok.EmergencyCallerID = "01012345678"
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid settings: %v", err)
	}
	for _, mod := range []func(*Settings){
		func(s *Settings) { s.FeatureCodes = map[string]string{"teleport": "*1"} },
		func(s *Settings) { s.FeatureCodes = map[string]string{"voicemail": "*9a"} },
		func(s *Settings) { s.FeatureCodes = map[string]string{"voicemail": "*123456789"} },
		func(s *Settings) { s.Emergency = []string{"1"} },
		func(s *Settings) { s.Emergency = []string{"112", "112"} },
		func(s *Settings) { s.EmergencyCallerID = "main" },
	} {
		s := ok
		mod(&s)
		var ve *ValidationError
		if err := s.Validate(); !errors.As(err, &ve) {
			t.Errorf("%+v: got %v, want a validation error", s, err)
		}
	}
}

func TestRoutes_KeptInTheirOwnBuckets(t *testing.T) {
	s := openTemp(t)
	in := InboundRoute{Name: "vip", Caller: "_138.", Target: "ext:201"}
	if _, err := Put(s, in); err != nil {
		t.Fatal(err)
	}
	out := OutboundRoute{Name: "intl", Pattern: "_900.", Strip: 1, Gateways: []string{"trunk:a", "line:fxo1"}}
	if _, err := Put(s, out); err != nil {
		t.Fatal(err)
	}
	gotIn, err := Get[InboundRoute](s, "vip")
	if err != nil || gotIn != in {
		t.Fatalf("inbound: got %+v, %v", gotIn, err)
	}
	gotOut, err := List[OutboundRoute](s)
	if err != nil || len(gotOut) != 1 || gotOut[0].Gateways[1] != "line:fxo1" {
		t.Fatalf("outbound: got %+v, %v", gotOut, err)
	}
}
