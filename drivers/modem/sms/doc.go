// Package sms sends and receives short messages through a GSM modem in PDU
// mode (3GPP TS 23.040, TS 27.005).
//
// The codec half is pure: Submit.Encode builds the SMS-SUBMIT PDU for
// AT+CMGS, DecodeDeliver and DecodeStatusReport read what the modem reports
// (+CMGR, +CMGL, +CMT, +CDS). Texts travel in the GSM 7-bit default alphabet
// with its extension table when they can, in UCS-2 otherwise (Chinese);
// Split cuts long texts into concatenated parts (8- or 16-bit references)
// and a Reassembler joins received parts in any order, drops duplicates and
// gives out, after a timeout on an injected clock, messages whose parts
// never all came, marked partial.
//
// The service half, Service, runs on a drivers/modem Modem: it sends queued
// store.Message records with retries and marks them sent and delivered from
// status reports, and reads, joins, stores and deletes received messages,
// emptying the SIM when it is full. It lists the SIM once it listens for
// +CMTI (at start and after a modem reset), so a message stored while no one
// listened is read too; one read twice that way is stored once and its slot
// deleted once. A full SIM is listed again before an incomplete message is
// given up to make room, in case its missing part is there unread.
package sms
