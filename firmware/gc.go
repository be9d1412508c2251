package firmware

import (
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
)

// setGCPercent sets the collector's heap growth to percent (Config's
// GCPercent), unless it is 0 or the GOGC environment variable chose one:
// the operator's GOGC is the runtime's own setting and is left as it is.
func setGCPercent(percent int) {
	if percent == 0 {
		return
	}
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	debug.SetGCPercent(percent)
}

// gcPercent is the collector's heap growth in force (-1: collection off,
// GOGC=off).
func gcPercent() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	v := s[0].Value.Uint64()
	if v > math.MaxInt32 { // the runtime's -1, read as unsigned
		return -1
	}
	return int(v)
}
