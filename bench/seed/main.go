// Command seed writes the benchmark's extensions into a callbox data
// directory through firmware/store, before the box under test starts:
// extensions account.Number(0..n-1) with account.Secret, the setup
// marked done so the box starts as an installed appliance. With -agents,
// also the call-center scenarios' agents, recorded queue, IVR flow,
// trunk, inbound routes and simulated lines (seedCallCenter).
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"callbox/bench/account"
	"callbox/bench/callcenter"
	"callbox/firmware"
	"callbox/firmware/store"
)

func main() {
	data := flag.String("data", "", "callbox data directory (created if missing)")
	n := flag.Int("n", 1000, "extensions to write")
	agents := flag.Int("agents", 0, "agents (each on its own extension from 5000) in the recorded queue, with the IVR flow, trunk, routes and lines of the call-center scenarios; 0: none")
	lines := flag.Int("lines", 0, "simulated PSTN lines routed to the IVR flow (with -agents), at most 16")
	flag.Parse()
	if *data == "" || *n <= 0 || *n > 10000 || *agents < 0 || *agents > 4000 || *lines < 0 || *lines > callcenter.MaxLines {
		log.Fatal("seed: -data is required, -n must be in 1..10000, -agents in 0..4000, -lines in 0..16")
	}
	if err := os.MkdirAll(*data, 0o750); err != nil {
		log.Fatal(err)
	}
	st, err := store.Open(firmware.StorePath(*data))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	set, err := store.GetSettings(st)
	if err != nil {
		log.Fatal(err)
	}
	set.SetupDone = true
	if set.Country == "" {
		set.Country = "cn"
	}
	if _, err := store.Put(st, set); err != nil {
		log.Fatalf("settings: %v", err)
	}
	for i := range *n {
		num := account.Number(i)
		ext := store.Extension{Number: num, Name: "Bench " + num, Secret: account.Secret(num)}
		if _, err := store.Put(st, ext); err != nil {
			log.Fatalf("extension %s: %v", num, err)
		}
	}
	if *agents > 0 {
		if err := seedCallCenter(st, *agents, *lines); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("seed: %d agents, queue %s (recorded), flow %s, trunk %s, %d lines\n", *agents, callcenter.Queue,
			callcenter.Flow, callcenter.Trunk, *lines)
	}
	fmt.Printf("seed: %d extensions %s..%s in %s\n", *n, account.Number(0), account.Number(*n-1), st.Path())
}
