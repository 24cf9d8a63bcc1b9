package proxy

import (
	"github.com/emersion/go-smtp"

	"github.com/airlockmail/airlock/deliver"
)

// SMTP smuggling (SEC Consult, December 2023; CVE-2023-51764/51765/51766)
// hides a second message inside the first: the sender ends DATA with a
// sequence this server does not take for the end, `<LF>.<LF>`,
// `<CR>.<CR>`, `<LF>.<CR><LF>`, `<CR><LF>.<LF>`, `<CR>.<LF>` or
// `<CR>.<CR><LF>`, followed by MAIL/RCPT/DATA and a forged message, and an
// MTA further on that does take it splits the mail in two. go-smtp ends
// DATA only at `<CR><LF>.<CR><LF>` (RFC 5321 §4.1.1.4), so the proxy
// never splits, but it would pass the sequence on verbatim. Every variant
// holds a CR that no LF follows or an LF that no CR precedes, and RFC 5321
// §2.3.8 forbids both in DATA, so the proxy refuses any message with one,
// as Postfix does with smtpd_forbid_bare_newline = reject (same code and
// enhanced code, 550 5.5.2). Sendmail refuses bare CR too (its 'u' option).
//
// One sequence is not seen here: `<CR><LF>.<CR>` followed by anything but
// LF, where go-smtp's dot reader drops both the dot and the CR. What is
// left has no bare CR, no dot line and nothing an MTA could end DATA at,
// so it is safe to pass on.

// bareLineEnd returns the offset of the first bare CR or LF in b and
// which it is, or -1.
func bareLineEnd(b []byte) (int, string) {
	i := deliver.BareLineEnd(b)
	switch {
	case i < 0:
		return -1, ""
	case b[i] == '\n':
		return i, "<LF>"
	}
	return i, "<CR>"
}

func smugglingReply(what string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 5, 2},
		Message: "bare " + what + " received: every line must end in <CR><LF> (RFC 5321 section 2.3.8)"}
}
