// Package record writes call recordings as WAVE files while the call goes
// on.
//
// A Recorder takes the caller's and the other party's 20 ms frames and
// writes them as stereo (caller left, other party right) or as a mono mix,
// 16-bit PCM at 8 kHz. Memory is bounded: samples collect in a one-second
// buffer that is written out every second, and the header's sizes are
// patched after each write, so the file on disk is a valid WAVE file up to
// the last whole second at any moment. If the process dies (SIGKILL, power
// cut after the page cache reached the disk), Recover run at the next start
// fixes the headers of the files it left behind.
//
// Pause writes silence instead of the audio (for card numbers) and records
// where, so the gap is explained. Close returns the SHA-256 of the finished
// file for the recording record, so later tampering shows.
package record
