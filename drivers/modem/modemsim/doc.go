// Package modemsim simulates serial AT modems on pseudo-terminals, so that
// the real driver (drivers/modem, opened with modem.OpenSerial on the
// simulator's Path) runs unchanged against it in tests and under make run.
//
// A Network joins simulated modems: a GSM network with a SIM per modem for
// SMS in PDU mode (message storage, +CMTI, status reports as +CDS,
// concatenated and UCS-2 messages, a full SIM holding back new messages until
// a slot is freed), and a phone line on which Class 2.0 fax modems call each
// other and exchange T.4 pages (ATD/ATA, +FDT/+FDR, DLE framing, +FPS, +FHS).
//
// Faults are injected on purpose: Hang makes a modem stop answering (until
// ATZ, or until PowerCycle), SendGarbage puts noise on the line, and
// StoreRaw puts a malformed PDU into the SIM.
package modemsim
