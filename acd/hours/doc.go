// Package hours decides whether a business is open: a weekly schedule of
// opening ranges per weekday plus a holiday calendar, read in one IANA time
// zone.
//
// A Schedule is compiled once from plain data (or from a store.Hours
// record) and is then immutable, so any number of calls may ask it at once.
// Every question takes the instant to judge; the caller supplies it from its
// own (injected) clock, which keeps the package free of hidden time.
//
// Ranges are wall-clock times in the schedule's zone. A range whose end is
// not after its start runs overnight into the next day ("22:00"-"06:00" on
// Friday is open Friday 22:00 to Saturday 06:00); "24:00" is the end of the
// day. Holidays close whole calendar dates in the zone, overriding any
// range, including the tail of an overnight range that reaches into them.
// A holiday is a date ("2026-10-01"), a range of dates, or a yearly date or
// range ("01-01", "12-24" to "12-26", "12-31" to "01-02").
//
// Around daylight-saving changes the schedule follows the wall clock: a
// range that starts in the skipped hour opens when the clock jumps past its
// start, and NextChange reports the real instant of every change, so timers
// armed from it fire at the right moment.
package hours
