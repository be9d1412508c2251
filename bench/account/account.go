// Package account names the benchmark's extensions and their SIP
// secrets, so that the seeder, the SIPp injection files and the Kamailio
// peer (which computes the same secret from the user name) agree.
package account

import (
	"fmt"
	"strconv"
)

// First is the first extension number; the benchmark's extensions are
// First, First+1, ... (four digits, clear of feature and emergency codes).
const First = 3000

// Number is the i-th extension (0-based).
func Number(i int) string { return fmt.Sprint(First + i) }

// Secret is the SIP digest secret of extension number: "Bx-" and the
// number plus 12345, then "-Load!". It passes the store's strength rules
// (which forbid the number itself inside the secret), and
// bench/peers/kamailio.cfg computes the same string from the user name.
func Secret(number string) string {
	n, err := strconv.Atoi(number)
	if err != nil {
		return "Bx-" + number + "-Load!"
	}
	return "Bx-" + strconv.Itoa(n+12345) + "-Load!"
}
