// Package modem drives serial AT modems: GSM modules for SMS and analog
// fax modems, on a serial port opened with OpenSerial (tarm/serial, 8N1,
// RTS/CTS set through termios because tarm has no flow control option).
//
// One goroutine, Modem.Run, owns each port. It writes every command and
// reads every byte (through a reader goroutine it starts and waits for),
// parses final results (OK, ERROR, +CME ERROR, +CMS ERROR with the code's
// meaning as a *CommandError, NO CARRIER, BUSY, ...), and separates
// unsolicited result codes (RING, +CLIP, +CMTI, +CDS, ...) from replies:
// those go to the URCs channel. Callers use Command, CommandPrompt (SMS
// PDUs after "> "), SendData and ReceiveData (fax pages, DLE-framed).
//
// When a command times out, Run recovers the modem: AT, then ATZ, then the
// power-cycle hook (a GPIO relay where the board has one), re-sending the
// init commands each time and announcing URCReinit so that services re-read
// what the modem holds. A modem that does not come back is in StateAlarm
// (commands fail fast with ErrAlarm, the health check keeps trying); the
// status page shows Status: state, probe results (ATI, +CGMI/+CGMM,
// +FCLASS=?, PDU mode, +CSQ signal, +CPIN? SIM state), resets, line noise.
//
// ServiceLoop is the run loop the SMS and fax services share: their
// outbox sends on a goroutine of its own while the URCs they subscribed
// to are handled one at a time. It subscribes before anything else runs,
// so a code raised while the service starts is handled, not lost.
//
// Sub-packages: sms (PDU codec, concatenation, SMS service), fax (Class
// 2.0 send and receive, fax service), outbox (the persistent send queue
// both use) and modemsim (the simulator on pseudo-terminals that the tests
// and make run drive the real code against).
package modem
