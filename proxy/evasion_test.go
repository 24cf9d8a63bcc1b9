package proxy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/gate/gatetest"
)

// TestProxyEvasionCorpus sends every message of the evasion corpus
// (extract/testdata/evasion) through the proxy in one SMTP session, byte
// for byte: none may reach the upstream as clean, and every benign twin
// must reach it clean.
func TestProxyEvasionCorpus(t *testing.T) {
	// One session carries every message, as a bulk sender's would: lift
	// the per-session command rate for it.
	r := start(t, nil, gatetest.Options{}, func(c *config.Proxy) { c.CommandRate = 1000 }, nil)
	ms := gatetest.EvasionCorpus(t)
	data := make([][]byte, len(ms))
	for i, m := range ms {
		data[i] = m.Data
	}
	replies := gatetest.SendBatch(t, r.addr, from, to, data)
	fates := r.env.EvasionFates(r.sink, ms, replies, 90*time.Second)
	for i := range fates {
		// The proxy refuses bare LF in DATA (SMTP smuggling) before the
		// gate sees the message: a twin written with Unix line ends is
		// refused whole, which is that defence's call, not a false alarm
		// of the parser. It is still checked not to arrive as clean.
		if fates[i].Msg.Twin && strings.Contains(fates[i].Reply, "bare <LF>") {
			fates[i].Msg.Twin = false
		}
	}
	gatetest.CheckEvasion(t, fates)
}
