// Package record writes call recordings as WAVE files while the call goes
// on.
//
// A Recorder takes the caller's and the other party's 20 ms frames and
// writes them as stereo (caller left, other party right) or as a mono mix,
// at 8 kHz, as 16-bit PCM or as G.711 μ-law (half the bytes; call
// recordings use it, see docs/decisions/recording-ulaw.md). Each party's
// frames are placed by that party's own count of frames, which its
// decoder keeps on the sender's RTP timeline
// (media/jitter conceals lost and missing audio by timestamp), so the two
// channels stay aligned whatever order and pace the frames arrive in: a
// burst of seconds from one side is written where it belongs, and the
// other side's frames for the same stretch, when they come, are merged
// into the file beside it. Nothing waits for a party that sends nothing
// (hold): its channel is silence there.
//
// Memory is bounded and small: a 5 KB ring keeps the newest frames (320
// ms of μ-law stereo, 160 ms of 16-bit stereo) and is written out half
// at a time as the recording moves on, so a party up to half the ring
// behind the other is still placed in memory. The header's sizes are
// patched every second of audio, so the file on disk is a valid WAVE
// file up to the last second at any moment. If the process dies
// (SIGKILL, power cut after the page cache reached the disk), Recover run
// at the next start fixes the headers of the files it left behind,
// keeping everything that reached the file.
//
// Pause writes silence instead of the audio (for card numbers) and records
// where, so the gap is explained. Close returns the SHA-256 of the finished
// file for the recording record, so later tampering shows.
package record
