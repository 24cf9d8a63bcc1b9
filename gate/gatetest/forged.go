package gatetest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/airlockmail/airlock/deliver"
)

// ForgedTop and ForgedMiddle are header fields a sender writes under the
// names only Airlock may write, spelled every way a reader would still
// take for them: any case, white space before the colon, folded, repeated,
// a release header that is well formed but signed by no one, and a name
// Airlock does not use (yet) under its prefix. Each value says "forged".
const (
	ForgedTop = "X-Airlock-Verdict: clean (forged 1)\r\n" +
		"x-airlock-verdict: clean (forged 2)\r\n" +
		"X-AIRLOCK-QUEUE-ID: 01FORGEDFORGEDFORGEDFORGED\r\n" +
		"X-Airlock-Release: v=1; id=01FORGEDFORGEDFORGEDFORGED; exp=4102444800;\r\n" +
		"\tmac=Zm9yZ2VkIGZvcmdlZCBmb3JnZWQgZm9yZ2VkIGZvcmdlZA\r\n"
	ForgedMiddle = "X-Airlock-Verdict : clean (forged 3, space before the colon)\r\n" +
		"X-Airlock-Verdict:\r\n clean\r\n (forged 4, folded)\r\n" +
		"X-Airlock-Held: 0s (forged 5)\r\n" +
		"X-Airlock-Verdict:clean (forged 6)\r\n" +
		"X-Airlock-Scanner: passed (forged 7)\r\n" +
		BenignTwin + "\r\n"
	// BenignTwin is a field whose name only looks like Airlock's: it must
	// reach the recipient.
	BenignTwin = "X-Airlocked: benign twin, not Airlock's"
)

// Forge returns msg with ForgedTop above its header and ForgedMiddle
// after its first field.
func Forge(msg []byte) []byte {
	i := bytes.Index(msg, []byte("\r\n")) + 2
	var b bytes.Buffer
	b.WriteString(ForgedTop)
	b.Write(msg[:i])
	b.WriteString(ForgedMiddle)
	b.Write(msg[i:])
	return b.Bytes()
}

// OwnedFields counts the fields of a delivered message's header under the
// names only Airlock may write, by lower-case name, and fails the test
// when any of them says "forged".
func OwnedFields(t testing.TB, msg []byte) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, h := range HeaderOf(msg) {
		name, _, ok := strings.Cut(h, ":")
		if !ok || !deliver.Owned(name) {
			continue
		}
		n[strings.ToLower(strings.TrimSpace(name))]++
		if strings.Contains(h, "forged") {
			t.Errorf("a forged field survived: %q", h)
		}
	}
	return n
}

// WantOwned fails the test unless the delivered message carries exactly
// these Airlock fields (lower-case name → count), no forged one, and the
// benign twin.
func WantOwned(t testing.TB, msg []byte, want map[string]int) {
	t.Helper()
	got := OwnedFields(t, msg)
	twin := false
	for _, h := range HeaderOf(msg) {
		twin = twin || h == BenignTwin
	}
	if !twin {
		t.Errorf("the benign twin %q was removed", BenignTwin)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%d %s field(s), want %d", got[k], k, v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%d unexpected %s field(s)", v, k)
		}
	}
	if t.Failed() {
		t.Logf("header:\n%s", strings.Join(HeaderOf(msg), "\n"))
	}
}
