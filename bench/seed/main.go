// Command seed writes the benchmark's extensions into a callbox data
// directory through firmware/store, before the box under test starts:
// extensions account.Number(0..n-1) with account.Secret, the setup
// marked done so the box starts as an installed appliance.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"callbox/bench/account"
	"callbox/firmware"
	"callbox/firmware/store"
)

func main() {
	data := flag.String("data", "", "callbox data directory (created if missing)")
	n := flag.Int("n", 1000, "extensions to write")
	flag.Parse()
	if *data == "" || *n <= 0 || *n > 10000 {
		log.Fatal("seed: -data is required and -n must be in 1..10000")
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
	fmt.Printf("seed: %d extensions %s..%s in %s\n", *n, account.Number(0), account.Number(*n-1), st.Path())
}
