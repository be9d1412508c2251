// Package followup keeps the agents' outbound follow-up tasks: the
// closed-loop callbacks a call center promises ("we will call you back on
// Friday about your refund").
//
// A task (store.Followup) names an agent, a number, a reason and a due
// time, and comes from an agent's wrap-up, the API or an imported CSV file
// (ParseCSV shows a preview with every row's problems; Import writes the
// whole file in one transaction or nothing). A Book keeps the tasks in the
// store, so they outlive a restart, and runs their life:
//
//	open --Call--> dialing --Record(reached)--> done
//	                      --Record(noanswer|busy)--> open again later, or failed after MaxAttempts
//	                      --Record(wrongnumber)--> failed
//	                      --Record(reschedule)--> open at the time the customer asked for
//	open|dialing --Cancel--> cancelled
//
// The agent's console works through the list in Order: the tasks that are
// due first, the most urgent (highest priority) of them first and, among
// equals, the longest overdue; then the tasks not yet due, soonest first.
// Book.Call places the call with the Dialer the caller gives (the CTI's
// click-to-dial: the agent's phone rings, then the stored number is
// dialled as it is, E.164 included: the dialplan sends it out in the form
// the site's routes expect), and every
// recorded outcome joins the customer's contact history, so the next
// screen pop for that number shows it: as the note of the attempt's call
// entry when the CTI knows the call (WithCallNotes, cti.Hub.WrapUp), else
// as a store.Contact of its own.
//
// Retries follow the stored store.FollowupPolicy, read on every outcome so
// that an installer's change applies to the next attempt. Time comes from
// the Book's clock (WithClock), so the rules are tested without waiting.
package followup
