package prompt

import (
	"fmt"
	"strconv"
)

// MaxNumber is the largest number SayNumber reads.
const MaxNumber = 999_999_999

// SayNumber returns the prompt keys that read n aloud in lang: "en" as
// "two hundred fifty three", "zh" as 两百五十三 with 零 for inner zeros and
// 十 (not 一十) leading the teens.
func SayNumber(lang string, n int) ([]string, error) {
	if n < 0 || n > MaxNumber {
		return nil, fmt.Errorf("%w: number %d out of range 0-%d", ErrBadKey, n, MaxNumber)
	}
	switch lang {
	case "en":
		if n == 0 {
			return []string{digitKey(0)}, nil
		}
		return sayEN(nil, n), nil
	case "zh":
		if n == 0 {
			return []string{digitKey(0)}, nil
		}
		return sayZH(n), nil
	}
	return nil, fmt.Errorf("%w: no number reading for language %q", ErrNotFound, lang)
}

func digitKey(d int) string { return "digit-" + strconv.Itoa(d) }

func sayEN(keys []string, n int) []string {
	if n >= 1_000_000 {
		keys = append(sayEN(keys, n/1_000_000), "num-million")
		n %= 1_000_000
	}
	if n >= 1000 {
		keys = append(sayEN(keys, n/1000), "num-thousand")
		n %= 1000
	}
	if n >= 100 {
		keys = append(keys, digitKey(n/100), "num-hundred")
		n %= 100
	}
	switch {
	case n == 0:
	case n < 10:
		keys = append(keys, digitKey(n))
	case n < 20 || n%10 == 0:
		keys = append(keys, "num-"+strconv.Itoa(n))
	default:
		keys = append(keys, "num-"+strconv.Itoa(n/10*10), digitKey(n%10))
	}
	return keys
}

// sayZH reads n in groups of four digits joined by 亿 and 万.
func sayZH(n int) []string {
	var keys []string
	groups := []struct {
		value int
		unit  string
	}{{n / 100_000_000, "num-hundred-million"}, {n / 10_000 % 10_000, "num-ten-thousand"}, {n % 10_000, ""}}
	zero := false // a zero is owed before the next nonzero digit
	for _, g := range groups {
		if g.value == 0 {
			if len(keys) > 0 {
				zero = true
			}
			continue
		}
		if len(keys) > 0 && g.value < 1000 {
			zero = true
		}
		if g.value == 2 && g.unit != "" {
			// 两万, 两亿: a lone two before a big unit reads liang.
			if zero {
				keys = append(keys, digitKey(0))
			}
			keys, zero = append(keys, "num-liang", g.unit), false
			continue
		}
		keys, zero = sayZHGroup(keys, g.value, len(keys) == 0, zero)
		if g.unit != "" {
			keys = append(keys, g.unit)
		}
	}
	return keys
}

// sayZHGroup appends 1-9999. first says whether nothing precedes it (then
// 10-19 read 十, 十一 ...), zero whether a 零 is owed before the next digit.
func sayZHGroup(keys []string, v int, first, zero bool) ([]string, bool) {
	units := []string{"num-thousand", "num-hundred", "num-10", ""}
	div := 1000
	started := false
	for _, unit := range units {
		d := v / div % 10
		div /= 10
		if d == 0 {
			if started {
				zero = true
			}
			continue
		}
		if zero {
			keys = append(keys, digitKey(0))
			zero = false
		}
		switch {
		case unit == "num-10" && d == 1 && first && !started:
			// 十五, not 一十五, at the head of a number.
		case d == 2 && (unit == "num-thousand" || unit == "num-hundred") && !started:
			keys = append(keys, "num-liang")
		default:
			keys = append(keys, digitKey(d))
		}
		if unit != "" {
			keys = append(keys, unit)
		}
		started = true
	}
	return keys, false
}

// SayDigits returns the keys reading a string of digits one by one (a
// phone number, an account number); '*' and '#' read as star and pound.
func SayDigits(lang string, digits string) ([]string, error) {
	keys := make([]string, 0, len(digits))
	for _, c := range digits {
		switch {
		case c >= '0' && c <= '9':
			keys = append(keys, digitKey(int(c-'0')))
		case c == '*':
			keys = append(keys, "key-star")
		case c == '#':
			keys = append(keys, "key-pound")
		default:
			return nil, fmt.Errorf("%w: %q is not a digit", ErrBadKey, c)
		}
	}
	return keys, nil
}

// SayPosition returns "you are caller number n" in lang.
func SayPosition(lang string, n int) ([]string, error) {
	num, err := SayNumber(lang, n)
	if err != nil {
		return nil, err
	}
	keys := append([]string{"you-are-caller-number"}, num...)
	if lang == "zh" {
		keys = append(keys, "caller-number-suffix")
	}
	return keys, nil
}

// SayWait returns "the estimated wait is n minutes" in lang; under one
// minute reads "less than one minute".
func SayWait(lang string, minutes int) ([]string, error) {
	if minutes < 1 {
		return []string{"estimated-wait-is", "less-than-a-minute"}, nil
	}
	num, err := SayNumber(lang, minutes)
	if err != nil {
		return nil, err
	}
	unit := "minutes"
	if minutes == 1 {
		unit = "minute"
	}
	keys := append([]string{"estimated-wait-is"}, num...)
	return append(keys, unit), nil
}

// SayNewMessages returns "you have n new messages" in lang.
func SayNewMessages(lang string, n int) ([]string, error) {
	if n == 0 {
		return []string{"vm-no-messages"}, nil
	}
	num, err := SayNumber(lang, n)
	if err != nil {
		return nil, err
	}
	unit := "vm-new-messages"
	if n == 1 {
		unit = "vm-new-message"
	}
	keys := append([]string{"vm-you-have"}, num...)
	return append(keys, unit), nil
}
