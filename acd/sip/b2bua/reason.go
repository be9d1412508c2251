package b2bua

import (
	"strconv"
	"strings"

	"callbox/acd"
)

// parseReason reads the Q.850 cause from a Reason header value (RFC
// 3326): `Q.850;cause=16;text="normal clearing"`. Values of another
// protocol (SIP) or without a valid cause report false.
func parseReason(v string) (acd.Cause, bool) {
	for part := range strings.SplitSeq(v, ",") {
		params := strings.Split(part, ";")
		if !strings.EqualFold(strings.TrimSpace(params[0]), "Q.850") {
			continue
		}
		for _, p := range params[1:] {
			name, val, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(name), "cause") {
				continue
			}
			n, err := strconv.Atoi(strings.TrimSpace(val))
			if err != nil || !acd.Cause(n).Valid() || n > 127 {
				return 0, false
			}
			return acd.Cause(n), true
		}
	}
	return 0, false
}

// reasonPhrase is the reason phrase of the final responses the box
// sends for causes.
func reasonPhrase(code int) string {
	switch code {
	case 100:
		return "Trying"
	case 200:
		return "OK"
	case 400:
		return "Bad Request"
	case 481:
		return "Call/Transaction Does Not Exist"
	case 487:
		return "Request Terminated"
	case 491:
		return "Request Pending"
	case 603:
		return "Decline"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 408:
		return "Request Timeout"
	case 410:
		return "Gone"
	case 480:
		return "Temporarily Unavailable"
	case 483:
		return "Too Many Hops"
	case 484:
		return "Address Incomplete"
	case 486:
		return "Busy Here"
	case 488:
		return "Not Acceptable Here"
	case 500:
		return "Server Internal Error"
	case 501:
		return "Not Implemented"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	case 504:
		return "Server Time-out"
	}
	return "Call Failed"
}
