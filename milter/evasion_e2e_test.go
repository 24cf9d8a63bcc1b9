package milter_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/internal/smtpsink"
	"github.com/airlockmail/airlock/internal/testpostfix"
	"github.com/airlockmail/airlock/milter"
)

// TestPostfixEvasionCorpus sends every message of the evasion corpus
// (extract/testdata/evasion) through the private Postfix and the milter in
// one SMTP session, byte for byte: none may reach the sink as clean (it is
// refused, quarantined, or delivered with the verdict sandboxd gave), and
// every benign twin must be delivered clean.
func TestPostfixEvasionCorpus(t *testing.T) {
	if ok, why := testpostfix.Available(); !ok {
		t.Fatalf("postfix: %s", why)
	}
	// One session carries every message and most are refused: lift
	// Postfix's per-session error limits and the sleep after each error
	// (smtpd_soft_error_limit, smtpd_hard_error_limit), which would
	// otherwise end the session after 20 refusals.
	mc := config.DefaultMilter()
	mc.Listen = "unix:" + filepath.Join(testpostfix.SharedDir(t, "airlock-milter-"), "milter.sock")
	mc.SocketGroup = "postfix"
	r := &rig{t: t, sink: smtpsink.Start(t, smtpsink.Options{}), sw: &switchGate{}}
	ln, err := milter.Listen(mc)
	if err != nil {
		t.Fatal(err)
	}
	r.srv = milter.New(mc, r.sw, gatetest.Logger())
	go r.srv.Serve(ln)
	t.Cleanup(func() {
		r.srv.Close()
		if p := r.srv.Stats.Panics.Load(); p != 0 {
			t.Errorf("%d panics in the milter", p)
		}
	})
	r.pf = testpostfix.Start(t, testpostfix.Options{NextHop: r.sink.Addr(), Milter: mc.Listen, Reinject: true,
		Extra: []string{"smtpd_error_sleep_time = 0", "smtpd_soft_error_limit = 1000", "smtpd_hard_error_limit = 1000"}})
	e := r.backend(t, nil, gatetest.Options{})

	ms := gatetest.EvasionCorpus(t)
	data := make([][]byte, len(ms))
	for i, m := range ms {
		data[i] = m.Data
	}
	replies := gatetest.SendBatch(t, r.pf.SMTPAddr, from, to, data)
	fates := e.EvasionFates(r.sink, ms, replies, 90*time.Second)
	gatetest.CheckEvasion(t, fates)
	if t.Failed() {
		t.Logf("postfix log:\n%s", r.pf.Log())
	}
}
