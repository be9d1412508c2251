// Package prompt plays the box's recorded announcements.
//
// The system prompt set (digits, numbers, queue position and wait, callback
// offer, voicemail, hours, fax) exists in English ("en") and Mandarin
// ("zh"). Each language has one text list, text/<lang>.txt, of "key = text"
// lines; scripts/gen-prompts.sh speaks every line with espeak-ng into
// sounds/<lang>/<key>.wav (8 kHz mono μ-law), and those files are embedded
// in the binary. A Library finds a prompt by language and key, preferring a
// file an installer uploaded into the override directory, so any prompt can
// be re-recorded without a firmware change. The installer's prompts are
// kept as store records (store.CustomPrompt, so backups carry them);
// Follow mirrors them into the override directory, Convert turns an
// upload into the 8 kHz μ-law the set is stored in, and Speak says a text
// with espeak-ng the way the generator script does (ErrNoSpeech on a box
// without it). SayNumber, SayDigits and the
// phrase helpers build key sequences that read numbers the way each
// language does.
//
// Playback is paced by a Pacer: one timer loop that serves every playing
// call, writing one 20 ms frame per player per tick, instead of one timer
// per call. Play blocks the call's goroutine until the prompt ends, the
// context ends, or (when barge-in is allowed) the caller presses a key.
package prompt
