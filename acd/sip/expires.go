package sip

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// errExpires is returned for an Expires value that is not delta-seconds.
var errExpires = errors.New("sip: bad expires value")

// parseExpires reads delta-seconds (RFC 3261 §20.19 and the Contact
// "expires" parameter): 1*DIGIT up to 2^32-1, surrounding whitespace
// allowed. Anything else, including a date (RFC 2543) or a sign, is an
// error, because guessing would keep a phone registered for a time it did
// not ask for.
func parseExpires(s string) (time.Duration, error) {
	s = strings.Trim(s, " \t")
	if s == "" || len(s) > 10 {
		return 0, fmt.Errorf("%w: %q", errExpires, s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%w: %q", errExpires, s)
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > math.MaxUint32 {
		return 0, fmt.Errorf("%w: %q", errExpires, s)
	}
	return time.Duration(n) * time.Second, nil
}
