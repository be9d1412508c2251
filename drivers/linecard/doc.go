// Package linecard drives PSTN lines: each line is a Channel that rings
// with a caller ID, goes off-hook and on-hook, reports DTMF digits and
// carries 20 ms frames of 8 kHz PCM in and out.
//
// Two implementations share the interface:
//
//   - DAHDI (dahdi_linux.go): a channel device of a telephony card,
//     /dev/dahdi/channel opened and bound to a channel number with the
//     DAHDI_SPECIFY ioctl, audio as 160-byte G.711 chunks, hook and
//     events through ioctls. The caller ID the exchange sends between the
//     first and second ring (V.23 or Bell 202 FSK, SDMF or MDMF) is
//     demodulated from the audio (callerid.go), and EventRing waits for
//     it or for the second ring.
//   - Sim (sim.go): each simulated line is a SIP user agent on loopback
//     (127.0.0.1, one port per line), so SIPp or baresip can call "from
//     the PSTN" with any caller number (the From user is the caller ID)
//     and audio flows over media/rtp; a call out on a simulated line is
//     an INVITE to a configured peer.
//
// Probe finds DAHDI channels and falls back to simulated lines, so the
// appliance runs the same way on a laptop and on the box.
package linecard
