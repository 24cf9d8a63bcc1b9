package soak

import (
	"flag"
	"time"
)

// Flags for replaying and sizing a campaign:
//
//	go test ./internal/soak -run TestSoakShort -args -soak.seed=42
//	go test -tags soak ./internal/soak -run TestSoakFull -timeout 60m -args -soak.count=10000 -soak.duration=10m
var (
	flagSeed     = flag.Int64("soak.seed", 0, "seed of the mix and the fault schedule (0: from the clock, printed)")
	flagCount    = flag.Int("soak.count", 10000, "messages the Go sender sends (full campaign)")
	flagDuration = flag.Duration("soak.duration", 10*time.Minute, "how long the traffic lasts (full campaign)")
	flagFaults   = flag.Int("soak.faults", 10, "faults drawn from the schedule (full campaign)")
	flagReport   = flag.String("soak.report", "", "write the markdown report here (full campaign; default soak-report-SEED.md in the temp dir)")
)
