// Package gpio drives the front panel of the box: LEDs, relays and buttons
// on general-purpose I/O lines.
//
// A Chip is one GPIO controller. There are two: the Linux character device
// (/dev/gpiochipN, through github.com/warthog618/go-gpiocdev) and SimChip,
// in-memory lines with the same behaviour that stand in when the machine
// has no GPIO (a laptop under `make run`, a test, a VM). A Layout says which
// line of the chip is which LED, relay or button; a Board opens every line
// of a Layout on a Chip and gives them names:
//
//	board, err := gpio.Probe(ctx, gpio.DefaultLayout, logger)
//	led, _ := board.LED("status")
//	led.Set(gpio.Heartbeat)
//	go board.Run(ctx) // paces blinking LEDs and delivers button edges
//
// LED patterns are pure functions of the time since they were set
// (Pattern.Active), so they are tested without sleeping; Board.Run only
// wakes up when some LED must change.
package gpio
