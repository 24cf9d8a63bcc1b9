package milter_test

import (
	"os"
	"testing"

	"github.com/airlockmail/airlock/extract"
)

// TestMain lets this test binary serve as `airlock extract-worker` for the
// isolated walks of the benchmark (extract.Isolator re-executes it).
func TestMain(m *testing.M) {
	if os.Getenv("AIRLOCK_EXTRACT_WORKER") == "1" {
		if err := extract.ServeWorker(os.Stdin, os.Stdout); err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
