// Package firmware is the appliance: it opens the store, probes the
// hardware, starts every service in order, keeps them running, and stops
// them in reverse order. Only cmd/callbox imports it.
//
// One file per concern:
//
//	appliance.go  the wiring struct (New, Run) and the status LED
//	telephony.go  the switch: media relay, RTP ports, SIP, B2BUA, router, lines, CDRs
//	wired.go      the call-center parts the router reaches: trunks, IVR, voicemail,
//	              queues, CTI, directory, SMS/fax
//	supervise.go  services restarted with exponential backoff, stopped in order
//	status.go     the status the web UI and the console show
//	admin.go      the console's backend and the admin password reset
//	panel.go      the front-panel buttons (holding reset resets the admin password)
//	demo.go       the --demo configuration
//	demoorders.go the demo flow's order lookup, answered in-process
//	cli.go        the subcommands run, version, backup, restore, check, console
//	backup.go     backup and restore from the command line, live or offline
//	rotate.go     the size-capped rotating log file
//	config.go     flags, addresses, paths under the data directory
//
// Logs are log/slog text records, to stderr and to <data>/log/callbox.log.
package firmware
