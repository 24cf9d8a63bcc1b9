package gate

import (
	"context"
	"strings"

	"github.com/airlockmail/airlock/policy"
	"github.com/airlockmail/airlock/policy/senderauth"
)

// FieldRef names one header field of the message as received: its name
// and its 1-based position among the fields of that name. The milter
// deletes it by index (smfi_chgheader with an empty value), the proxy
// drops it from the bytes it relays (RemoveFields).
type FieldRef struct {
	Name  string
	Index int
}

// RemoveFields returns data without the named header fields (the proxy's
// and the hold queue's way of applying Decision.Remove).
func RemoveFields(data []byte, refs []FieldRef) []byte {
	if len(refs) == 0 {
		return data
	}
	fs := make([]senderauth.Field, len(refs))
	for i, r := range refs {
		fs[i] = senderauth.Field{Name: r.Name, Index: r.Index}
	}
	return senderauth.Remove(data, fs)
}

// forgedAuthResults lists the Authentication-Results fields that claim one
// of the site's trusted authserv-ids but came with the message: never
// believed, removed from whatever is delivered.
func forgedAuthResults(pol *policy.Policy, data []byte) []FieldRef {
	var out []FieldRef
	for _, f := range pol.SenderAuth().Forged(data) {
		out = append(out, FieldRef{Name: f.Name, Index: f.Index})
	}
	return out
}

// senderExcluded applies a sender exclusion once the sender is proven.
// It returns the reason when the exclusion applies; otherwise, when an
// exclusion was claimed (MAIL FROM or From matches one), note says why it
// did not apply, for the decision line. No exclusion claimed: no DNS.
func (g *Gate) senderExcluded(ctx context.Context, pol *policy.Policy, m *Message) (reason, note string) {
	if !pol.HasSenderExclusions() {
		return "", ""
	}
	mfMatch := pol.SenderExclusion(m.Envelope.MailFrom)
	from, _ := senderauth.ParseHeader(m.Data).From()
	fromMatch := pol.SenderExclusion(from)
	if mfMatch == "" && fromMatch == "" {
		return "", ""
	}
	r := pol.SenderAuth().Check(ctx, senderauth.Input{
		ClientAddr: m.Envelope.ClientAddr, Helo: m.Envelope.Helo, MailFrom: m.Envelope.MailFrom,
		Data: m.Data, WantMailFrom: mfMatch != "", WantFrom: fromMatch != "",
	})
	for _, id := range r.Proven {
		if x := pol.SenderExclusion(id.Address); x != "" {
			return "sender excluded (" + x + "; " + id.Detail + ")", ""
		}
	}
	claimed := mfMatch
	if claimed == "" {
		claimed = fromMatch
	} else if fromMatch != "" && fromMatch != mfMatch {
		claimed += ", " + fromMatch
	}
	note = "sender exclusion (" + claimed + ") not applied: sender not authenticated: " + strings.Join(r.Notes, "; ")
	if r.Temporary {
		note += " (temporary: DNS failed or timed out)"
	}
	return "", oneLine(note)
}
