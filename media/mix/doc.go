// Package mix combines call audio: Conference mixes N parties so each hears
// everyone but themselves, and Mode mixes a supervised two-party call for
// the supervisor's listen, whisper and barge modes. Sums are computed in
// 32 bits and saturated to 16, so loud parties clip instead of wrapping
// around into noise.
package mix
