// Package console is the technician's command line: status, version and
// an admin password reset, in Chinese or English, without a network.
//
// A Shell runs one session over any io.Reader/io.Writer pair. The
// appliance serves it on a unix socket (SocketServer, which `callbox
// console` connects to) and on the serial console tty (TTY, set to
// 115200 8N1 with the kernel's line editing and echo). What the shell
// reports and changes comes from a Backend, so the same shell runs inside
// the box and, when the box is down, straight on the store.
//
// Sessions on the socket may also ask for a raw backup stream ("@backup",
// see BackupCommand); `callbox backup` uses it while the box holds the
// store's lock.
package console
