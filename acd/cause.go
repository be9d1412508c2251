package acd

import (
	"errors"
	"fmt"
	"strconv"
)

// Cause is an ITU-T Q.850 release cause: why a leg or call ended. SIP
// legs map it to and from SIP status codes as RFC 3398 describes.
type Cause uint8

// The causes the box produces or understands by name (Q.850 table 1).
const (
	CauseUnallocatedNumber       Cause = 1
	CauseNoRoute                 Cause = 3
	CauseNormalClearing          Cause = 16
	CauseUserBusy                Cause = 17
	CauseNoUserResponding        Cause = 18
	CauseNoAnswer                Cause = 19
	CauseSubscriberAbsent        Cause = 20
	CauseCallRejected            Cause = 21
	CauseNumberChanged           Cause = 22
	CauseExchangeRoutingError    Cause = 25
	CauseDestinationOutOfOrder   Cause = 27
	CauseInvalidNumberFormat     Cause = 28
	CauseNormalUnspecified       Cause = 31
	CauseNoCircuitAvailable      Cause = 34
	CauseNetworkOutOfOrder       Cause = 38
	CauseTemporaryFailure        Cause = 41
	CauseSwitchingCongestion     Cause = 42
	CauseResourceUnavailable     Cause = 47
	CauseIncomingCallsBarred     Cause = 55
	CauseBearerNotAuthorized     Cause = 57
	CauseBearerNotAvailable      Cause = 58
	CauseServiceUnavailable      Cause = 63
	CauseBearerNotImplemented    Cause = 65
	CauseServiceNotImplemented   Cause = 79
	CauseIncompatibleDestination Cause = 88
	CauseRecoveryOnTimerExpiry   Cause = 102
	CauseProtocolError           Cause = 111
	CauseInterworking            Cause = 127
)

var causeNames = map[Cause]string{
	CauseUnallocatedNumber:       "unallocated number",
	CauseNoRoute:                 "no route to destination",
	CauseNormalClearing:          "normal clearing",
	CauseUserBusy:                "user busy",
	CauseNoUserResponding:        "no user responding",
	CauseNoAnswer:                "no answer",
	CauseSubscriberAbsent:        "subscriber absent",
	CauseCallRejected:            "call rejected",
	CauseNumberChanged:           "number changed",
	CauseExchangeRoutingError:    "exchange routing error",
	CauseDestinationOutOfOrder:   "destination out of order",
	CauseInvalidNumberFormat:     "invalid number format",
	CauseNormalUnspecified:       "normal, unspecified",
	CauseNoCircuitAvailable:      "no circuit available",
	CauseNetworkOutOfOrder:       "network out of order",
	CauseTemporaryFailure:        "temporary failure",
	CauseSwitchingCongestion:     "switching equipment congestion",
	CauseResourceUnavailable:     "resource unavailable",
	CauseIncomingCallsBarred:     "incoming calls barred",
	CauseBearerNotAuthorized:     "bearer capability not authorized",
	CauseBearerNotAvailable:      "bearer capability not available",
	CauseServiceUnavailable:      "service or option not available",
	CauseBearerNotImplemented:    "bearer capability not implemented",
	CauseServiceNotImplemented:   "service or option not implemented",
	CauseIncompatibleDestination: "incompatible destination",
	CauseRecoveryOnTimerExpiry:   "recovery on timer expiry",
	CauseProtocolError:           "protocol error",
	CauseInterworking:            "interworking, unspecified",
}

// String is the Q.850 name, or "cause N" for a code without a name here.
func (c Cause) String() string {
	if n, ok := causeNames[c]; ok {
		return n
	}
	return "cause " + strconv.Itoa(int(c))
}

// Valid reports whether c is in the Q.850 range 1-127.
func (c Cause) Valid() bool { return c >= 1 && c <= 127 }

// SIPStatus is the SIP final response that carries this cause toward a
// SIP peer (RFC 3398 section 8.2.6.1); 480 for causes it does not list.
func (c Cause) SIPStatus() int {
	switch c {
	case CauseUnallocatedNumber, CauseNoRoute:
		return 404
	case CauseNormalClearing, CauseNormalUnspecified, CauseNoAnswer, CauseSubscriberAbsent:
		return 480
	case CauseUserBusy:
		return 486
	case CauseNoUserResponding:
		return 408
	case CauseCallRejected, CauseIncomingCallsBarred, CauseBearerNotAuthorized:
		return 403
	case CauseNumberChanged:
		return 410
	case CauseExchangeRoutingError:
		return 483
	case CauseDestinationOutOfOrder:
		return 502
	case CauseInvalidNumberFormat:
		return 484
	case CauseNoCircuitAvailable, CauseNetworkOutOfOrder, CauseTemporaryFailure,
		CauseSwitchingCongestion, CauseResourceUnavailable, CauseBearerNotAvailable:
		return 503
	case CauseServiceUnavailable, CauseServiceNotImplemented:
		return 501
	case CauseBearerNotImplemented, CauseIncompatibleDestination:
		return 488
	case CauseRecoveryOnTimerExpiry:
		return 504
	case CauseProtocolError, CauseInterworking:
		return 500
	}
	return 480
}

// CauseFromSIP maps a SIP final response status to the Q.850 cause a
// line or CDR records (RFC 3398 section 7.2.4.1). 2xx maps to normal
// clearing; unknown codes map by class.
func CauseFromSIP(status int) Cause {
	switch status {
	case 400, 481, 500, 503:
		return CauseTemporaryFailure
	case 401, 402, 403, 407, 603:
		return CauseCallRejected
	case 404, 485, 604:
		return CauseUnallocatedNumber
	case 405:
		return CauseServiceUnavailable
	case 406, 415, 501:
		return CauseServiceNotImplemented
	case 408:
		return CauseRecoveryOnTimerExpiry
	case 410:
		return CauseNumberChanged
	case 480:
		return CauseNoUserResponding
	case 482, 483:
		return CauseExchangeRoutingError
	case 484:
		return CauseInvalidNumberFormat
	case 486, 600:
		return CauseUserBusy
	case 487:
		return CauseNormalClearing
	case 488, 606:
		return CauseIncompatibleDestination
	case 502:
		return CauseDestinationOutOfOrder
	case 504:
		return CauseRecoveryOnTimerExpiry
	}
	switch {
	case status >= 200 && status < 300:
		return CauseNormalClearing
	case status >= 500 && status < 600:
		return CauseTemporaryFailure
	}
	return CauseInterworking
}

// CauseError is an error that carries a release cause: a handler returns
// one (see Reject) to end its call with that cause instead of the
// default.
type CauseError struct {
	Cause Cause
	Err   error // optional detail
}

func (e *CauseError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("acd: %s: %v", e.Cause, e.Err)
	}
	return "acd: " + e.Cause.String()
}

func (e *CauseError) Unwrap() error { return e.Err }

// Reject returns an error that ends the call with cause c.
func Reject(c Cause) error { return &CauseError{Cause: c} }

// CauseOf finds the cause carried by err; ok is false when err carries
// none.
func CauseOf(err error) (c Cause, ok bool) {
	var ce *CauseError
	if errors.As(err, &ce) {
		return ce.Cause, true
	}
	return 0, false
}
