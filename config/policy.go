package config

import (
	"net/netip"
	"strings"
	"time"

	"github.com/airlockmail/airlock/verdict"
)

// Policy is what is scanned and what each verdict leads to.
type Policy struct {
	// InternalNetworks are client networks whose mail is not scanned
	// (CIDR or single addresses). Default: loopback only.
	InternalNetworks []string `yaml:"internal_networks"`
	// InternalDomains are the organisation's own domains (subdomains
	// included). When set, an internal network or an authenticated
	// session makes mail internal only if its sender (MAIL FROM) is in
	// one of them: mail an internal host passes on from an outside sender
	// (a forwarder, a list server) is scanned, and so is the null sender.
	// A sender domain alone never makes mail internal (it is trivially
	// forged). Empty: the network or the login alone decides.
	InternalDomains []string `yaml:"internal_domains"`
	// AuthenticatedIsInternal: mail from SMTP-authenticated senders is
	// internal and not scanned. Default true.
	AuthenticatedIsInternal bool `yaml:"authenticated_is_internal"`
	// ScanCategories are the file categories sent to the sandbox.
	// Default: executable, script, document, archive.
	ScanCategories []verdict.Category `yaml:"scan_categories"`
	// Exclusions take files or mail out of scanning (they are allowed).
	Exclusions Exclusions `yaml:"exclusions"`
	// SenderAuth is how a sender exclusion is proven (SPF, DKIM aligned
	// with From, trusted Authentication-Results).
	SenderAuth SenderAuth `yaml:"sender_auth"`
	// BlockHashes are SHA-256 hashes judged malicious without asking the
	// sandbox.
	BlockHashes []string `yaml:"block_hashes"`
	// Hold is how long mail waits for verdicts, and what happens then.
	Hold Hold `yaml:"hold"`
	// Actions maps each verdict to deliver, quarantine or reject.
	Actions Actions `yaml:"actions"`
}

// Exclusions are allow rules: a match takes the file (hash, extension) or
// the whole message (sender, recipient) out of scanning.
type Exclusions struct {
	// SHA256 of files that are always allowed (lower-case hex).
	SHA256 []string `yaml:"sha256"`
	// Extensions (with or without the dot, case-insensitive) that are
	// never sent. A file whose content says executable or script is
	// still sent: the content decides, not the name.
	Extensions []string `yaml:"extensions"`
	// Senders: addresses (user@example.com) or domains (example.com,
	// @example.com, subdomains included) whose mail is not scanned, once
	// proven (see sender_auth): SPF pass for the MAIL FROM domain, or a
	// DKIM signature aligned with the From header's domain, or a trusted
	// Authentication-Results field. Unproven, the mail is scanned like
	// any other and the decision line says why.
	Senders []string `yaml:"senders"`
	// Recipients: addresses or domains; a message is excluded only when
	// ALL its recipients match (one protected recipient keeps it scanned).
	Recipients []string `yaml:"recipients"`
}

// Hold says how long mail is postponed and what happens at the deadline.
type Hold struct {
	// Timeout is the longest a message is held waiting for verdicts.
	// Default 30m.
	Timeout time.Duration `yaml:"timeout"`
	// TimeoutAction applies at the deadline: deliver (with a header
	// saying so) or quarantine. Default deliver.
	TimeoutAction string `yaml:"timeout_action"`
	// InlineWait is how long the filter waits, with the SMTP client on
	// the line, for verdicts before it holds the message. Default 5s.
	InlineWait time.Duration `yaml:"inline_wait"`
}

// Actions maps each verdict to what happens to the message: deliver,
// quarantine or reject (reject is possible only while the sender is still
// connected; for held mail it becomes quarantine).
type Actions struct {
	Clean            string `yaml:"clean"`
	Suspicious       string `yaml:"suspicious"`
	HighlySuspicious string `yaml:"highly_suspicious"`
	Malicious        string `yaml:"malicious"`
	// Unscannable is for files that could not be judged (encrypted
	// archives, limits hit, corrupt). Default quarantine: an encrypted
	// archive is never delivered as clean without an admin's say.
	Unscannable string `yaml:"unscannable"`
}

// For returns the configured action for v ("" for Unknown).
func (a Actions) For(v verdict.Verdict) string {
	switch v {
	case verdict.Clean:
		return a.Clean
	case verdict.Suspicious:
		return a.Suspicious
	case verdict.HighlySuspicious:
		return a.HighlySuspicious
	case verdict.Malicious:
		return a.Malicious
	case verdict.Unscannable:
		return a.Unscannable
	}
	return ""
}

// Action names.
const (
	ActionDeliver    = "deliver"
	ActionQuarantine = "quarantine"
	ActionReject     = "reject"
)

// DefaultPolicy is the policy of a fresh install.
func DefaultPolicy() Policy {
	return Policy{
		InternalNetworks:        []string{"127.0.0.0/8", "::1/128"},
		AuthenticatedIsInternal: true,
		SenderAuth:              DefaultSenderAuth(),
		ScanCategories:          []verdict.Category{verdict.Executable, verdict.Script, verdict.Document, verdict.Archive},
		Hold: Hold{
			Timeout:       30 * time.Minute,
			TimeoutAction: ActionDeliver,
			InlineWait:    5 * time.Second,
		},
		Actions: Actions{
			Clean:            ActionDeliver,
			Suspicious:       ActionQuarantine,
			HighlySuspicious: ActionQuarantine,
			Malicious:        ActionReject,
			Unscannable:      ActionQuarantine,
		},
	}
}

// Validate checks the policy section.
func (c *Policy) Validate(path string, p *Problems) {
	for i, n := range c.InternalNetworks {
		if _, err := ParseNetwork(n); err != nil {
			p.Addf(path+".internal_networks["+itoa(i)+"]", "%v", err)
		}
	}
	for i, d := range c.InternalDomains {
		if d = strings.TrimPrefix(strings.TrimSpace(d), "@"); d == "" || strings.ContainsAny(d, "@ \t") {
			p.Addf(path+".internal_domains["+itoa(i)+"]", "must be a domain such as example.org, not %q", c.InternalDomains[i])
		}
	}
	for i, cat := range c.ScanCategories {
		if !cat.Valid() {
			p.Addf(path+".scan_categories["+itoa(i)+"]", "unknown category %q (want executable, script, document, archive or other)", cat)
		}
	}
	for i, h := range c.Exclusions.SHA256 {
		if !IsSHA256(h) {
			p.Addf(path+".exclusions.sha256["+itoa(i)+"]", "not a SHA-256 (64 hex digits): %q", h)
		}
	}
	for i, h := range c.BlockHashes {
		if !IsSHA256(h) {
			p.Addf(path+".block_hashes["+itoa(i)+"]", "not a SHA-256 (64 hex digits): %q", h)
		}
	}
	for i, s := range c.Exclusions.Senders {
		if strings.TrimLeft(s, "@") == "" {
			p.Addf(path+".exclusions.senders["+itoa(i)+"]", "empty address or domain")
		}
	}
	for i, s := range c.Exclusions.Recipients {
		if strings.TrimLeft(s, "@") == "" {
			p.Addf(path+".exclusions.recipients["+itoa(i)+"]", "empty address or domain")
		}
	}
	c.SenderAuth.Validate(path+".sender_auth", p)
	if c.Hold.Timeout <= 0 {
		p.Addf(path+".hold.timeout", "must be > 0")
	}
	if c.Hold.InlineWait < 0 {
		p.Addf(path+".hold.inline_wait", "must be >= 0")
	} else if c.Hold.Timeout > 0 && c.Hold.InlineWait >= c.Hold.Timeout {
		p.Addf(path+".hold.inline_wait", "must be shorter than hold.timeout (%s)", c.Hold.Timeout)
	}
	switch c.Hold.TimeoutAction {
	case ActionDeliver, ActionQuarantine:
	default:
		p.Addf(path+".hold.timeout_action", "must be deliver or quarantine, not %q", c.Hold.TimeoutAction)
	}
	for _, v := range verdict.Verdicts {
		switch a := c.Actions.For(v); a {
		case ActionDeliver, ActionQuarantine, ActionReject:
		default:
			p.Addf(path+".actions."+string(v), "must be deliver, quarantine or reject, not %q", a)
		}
	}
}

// ParseNetwork parses a CIDR prefix or a single address.
func ParseNetwork(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return pfx.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// IsSHA256 reports whether s is 64 lower- or upper-case hex digits.
func IsSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
