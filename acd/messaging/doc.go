// Package messaging routes what the box's serial modems carry: SMS and fax,
// in and out, the way calls are routed.
//
// Service is a firmware service (Name, Run). It opens every enabled
// store.Line of type gsm, a serial AT modem: the driver (drivers/modem)
// probes it, and the line gets the SMS role when the modem speaks SMS PDU
// mode, else the fax role when it offers fax class 2.0; only then is it
// started with that role's settings. Line records are
// followed live: an added, changed or removed line starts, restarts or
// stops its modem. Each modem's state (model, signal, SIM, last error) is
// in Status for the status page.
//
// Everything that must survive a restart is in the store, so the web API
// needs no reference to the running service: QueueSMS and QueueFax write
// queued store.Message records (with an empty Line when any modem may
// send them), and the service, following the store's change feed, gives
// each to a modem of the right kind and wakes its outbox, which retries
// and records a final state (sent, delivered, failed).
//
// Inbound SMS go through the auto-reply rules (Evaluate): the installer's
// stored rules (store.AutoReply, read for every message so an edit applies
// to the next one; by Order, then Name), then Config.Rules. The first
// that matches decides: its reply, in the sender's language, goes out on
// the line the message came in on; its queue and tag are kept on the
// conversation (store.Conversation). A message a rule answered without
// naming a queue stops there; any other goes into a conversation: all
// messages with the same far-end number (its normalised form is the
// conversation key). The queue of a conversation is the one a rule sent
// it to, else the Route of the line it came in on; its agent is whoever
// claimed it (Claim), kept in the Agent field of the contact history
// entries. Close ends a conversation's piece of work (thread.go): the
// next inbound message reopens the same conversation, unassigned. Every SMS and fax, in and out,
// gets a store.Contact with the same ID as its message: the customer's
// contact history by number (acd/directory.History).
//
// Received faxes are TIFF-F files with a PNG preview of the first page and a
// PDF of all pages (media/t4.WritePDF) next to them; documents for sending
// and fax-on-demand are uploaded once (SaveDocument checks and converts
// them to TIFF-F) and named afterwards.
//
// Fax calls on voice lines (CNG): the serial fax modems sit on their own
// analog lines and the line cards carry voice to the switch as 8 kHz
// audio; the box has no software fax modem and no T.38, so a fax that
// reaches a voice line cannot be received from that line's audio. What the
// hardware allows is the switch's part, not this package's: a fax modem
// wired to an FXS port of the line card is an ordinary line the router can
// dial, so on CNG (media/detect) the router bridges the call to that port
// and the modem answers it as any fax call (G.711 inside the box carries
// fax well enough at 9600 bit/s). Fax-on-demand likewise cannot send on
// the caller's voice call; SendFax queues a fax back to the caller's
// number (a callback), which is what the send-fax node offers.
//
// Automatic notifications go out as SMS: a missed call from an outside
// number (acd.CallEnded on the bus) and a scheduled callback (a new
// store.Callback), in the caller's language.
package messaging
