// Package dtmf carries DTMF digits both ways a call can carry them.
//
// Out of band, as RFC 4733 telephone-events: Event is the 4-byte payload,
// Sender lays out the packets for one digit (start packet with the marker
// bit, continuations every 20 ms, the end packet three times, all with the
// event's start timestamp) for the RTP layer to send, and Receiver turns the
// received packets back into each digit once, whatever was lost or repeated.
//
// In band, in PSTN audio: Detector is a media.FrameWriter stage that runs
// Goertzel filters over 8 kHz PCM and reports digits that meet the usual
// rules (both tones present, twist limits, tones well above the rest of the
// signal, at least 40 ms long), so speech, music and single tones do not
// raise digits. Generator plays digits in band, for legs that cannot carry
// RFC 4733.
//
// Digits are the bytes '0'-'9', '*', '#' and 'A'-'D'.
package dtmf
