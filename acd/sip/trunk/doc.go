// Package trunk runs the box's SIP trunks: the store.Trunk records made
// live. A Set follows the records through the store's change feed and,
// per enabled trunk:
//
//   - registers with the carrier when Register is set (register.go):
//     REGISTER with digest (MD5 or SHA-256, the strongest offered),
//     refreshed before it expires, retried with exponential backoff after
//     a failure, removed (Expires: 0) when the trunk is deleted, changed,
//     disabled or the Set stops;
//   - checks health with OPTIONS when OptionsInterval is set (health.go):
//     down after Config.DownAfter unanswered pings in a row, up again
//     after Config.UpAfter answered ones, round-trip time kept;
//   - recognises the carrier's requests (peers.go, acdsip.Peers): from
//     the trunk's addresses (Host resolved, again every
//     Config.ResolveEvery for a name, plus Addresses), or sent to
//     the Contact user the box registered with, they skip digest. An
//     INVITE becomes an inbound leg with acd.Party{Source: SourceTrunk,
//     Via: the trunk's name}; its dialled number is the Request-URI user
//     (the To user when the Request-URI is the registered Contact),
//     mapped through the trunk's DIDs;
//   - places outbound calls (dial.go): Dial presents the caller as the
//     trunk says (CallerIDMode, AssertIdentity, Privacy), writes the
//     number in the trunk's NumberFormat (as dialled, national or E.164,
//     by the site's country: dialplan.FormatNumber), prepends Prefix,
//     bounds MaxChannels, and fails fast with a Retryable cause
//     on a trunk that is down, so acd.DialInOrder fails over. The call
//     itself is the B2BUA's (b2bua.DialTrunk): media anchored through the
//     relay like every other leg, and session timers (RFC 4028) as on
//     phones' calls, so a carrier that lost the call without BYE does
//     not hold a channel.
//
// Status reports every trunk's state for the status page.
//
// Every goroutine a Set starts belongs to Run, which returns after they
// have stopped.
package trunk
