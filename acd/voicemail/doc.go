// Package voicemail keeps voice mailboxes: messages left by callers,
// stored as WAV files with their details beside them, the limits that keep
// a box from filling the disk, the phone menu a mailbox owner uses to
// listen, save and delete, and the message-waiting summary (RFC 3842) that
// lights the lamp on the owner's SIP phone.
package voicemail
