package acd

import "testing"

func TestCause_SIPMapping(t *testing.T) {
	for _, tc := range []struct {
		cause  Cause
		status int
	}{
		{CauseUnallocatedNumber, 404},
		{CauseUserBusy, 486},
		{CauseNoUserResponding, 408},
		{CauseNoAnswer, 480},
		{CauseCallRejected, 403},
		{CauseInvalidNumberFormat, 484},
		{CauseNoCircuitAvailable, 503},
		{CauseRecoveryOnTimerExpiry, 504},
		{CauseIncompatibleDestination, 488},
	} {
		if got := tc.cause.SIPStatus(); got != tc.status {
			t.Errorf("%v.SIPStatus() = %d, want %d", tc.cause, got, tc.status)
		}
	}
	for _, tc := range []struct {
		status int
		cause  Cause
	}{
		{200, CauseNormalClearing},
		{404, CauseUnallocatedNumber},
		{486, CauseUserBusy},
		{600, CauseUserBusy},
		{480, CauseNoUserResponding},
		{487, CauseNormalClearing},
		{503, CauseTemporaryFailure},
		{599, CauseTemporaryFailure},
		{699, CauseInterworking},
	} {
		if got := CauseFromSIP(tc.status); got != tc.cause {
			t.Errorf("CauseFromSIP(%d) = %v, want %v", tc.status, got, tc.cause)
		}
	}
	if CauseUserBusy.String() != "user busy" || Cause(99).String() != "cause 99" {
		t.Error("names")
	}
}
