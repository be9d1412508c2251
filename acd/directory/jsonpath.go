package directory

import (
	"encoding/json"
	"strconv"
	"strings"
)

// PickJSON follows a dotted path of object keys and array indexes
// ("data.0.full_name") into a decoded JSON value and renders what it finds
// as text: strings as they are, numbers (float64, or json.Number from a
// decoder with UseNumber) and booleans as written, objects and arrays as
// JSON. A null is found and empty (""), a missing key or index is not
// found. The HTTP source's field map and the IVR lookup node both read a
// CRM's answer this way, so an installer's paths mean the same in both.
func PickJSON(v any, path string) (string, bool) {
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[part]; !ok {
				return "", false
			}
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return "", false
			}
			v = x[i]
		default:
			return "", false
		}
	}
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", false
	}
	return string(b), true
}
