// Command callbox is the firmware of the callbox call-center appliance.
// Everything but the process boundary lives in package firmware.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"callbox/firmware"
)

// version is stamped by the build: -ldflags "-X main.version=$(git describe)".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := firmware.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, version)
	stop()
	os.Exit(code)
}
