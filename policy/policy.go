// Package policy holds the pure rules over a loaded config: is this mail
// internal, which files go to the sandbox, which are excluded or blocked
// outright, and what each verdict and the timeout lead to.
//
// A Policy is immutable once built; a reload builds a new one and swaps it
// in (the gate holds an atomic pointer), so decisions never see a half-
// applied change.
package policy

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/extract"
	"github.com/airlockmail/airlock/policy/senderauth"
	"github.com/airlockmail/airlock/verdict"
)

// Policy is a compiled config.Policy.
type Policy struct {
	cfg        config.Policy
	nets       []netip.Prefix
	domains    matcher
	scan       map[verdict.Category]bool
	allowHash  map[string]bool
	blockHash  map[string]bool
	exts       map[string]bool
	senders    matcher
	recipients matcher
	auth       *senderauth.Checker
}

// New compiles cfg. It fails only on what config validation also rejects.
func New(cfg config.Policy) (*Policy, error) {
	p := &Policy{
		cfg:       cfg,
		scan:      map[verdict.Category]bool{},
		allowHash: map[string]bool{},
		blockHash: map[string]bool{},
		exts:      map[string]bool{},
	}
	for _, n := range cfg.InternalNetworks {
		pfx, err := config.ParseNetwork(n)
		if err != nil {
			return nil, fmt.Errorf("policy.internal_networks: %w", err)
		}
		p.nets = append(p.nets, pfx)
	}
	p.domains = newMatcher(cfg.InternalDomains)
	for _, c := range cfg.ScanCategories {
		p.scan[c] = true
	}
	for _, h := range cfg.Exclusions.SHA256 {
		p.allowHash[strings.ToLower(h)] = true
	}
	for _, h := range cfg.BlockHashes {
		p.blockHash[strings.ToLower(h)] = true
	}
	for _, e := range cfg.Exclusions.Extensions {
		e = strings.ToLower(strings.TrimSpace(e))
		if !strings.HasPrefix(e, ".") {
			e = "." + e
		}
		p.exts[e] = true
	}
	p.senders = newMatcher(cfg.Exclusions.Senders)
	p.recipients = newMatcher(cfg.Exclusions.Recipients)
	p.auth = senderauth.New(cfg.SenderAuth)
	return p, nil
}

// Config returns the policy section p was built from.
func (p *Policy) Config() config.Policy { return p.cfg }

// WithAllowedHashes returns a copy of p that also allows the given hashes
// (exclusions added at run time, e.g. from the admin page).
func (p *Policy) WithAllowedHashes(hashes []string) *Policy {
	q := *p
	q.allowHash = make(map[string]bool, len(p.allowHash)+len(hashes))
	for h := range p.allowHash {
		q.allowHash[h] = true
	}
	for _, h := range hashes {
		q.allowHash[strings.ToLower(h)] = true
	}
	return &q
}

// Envelope is what the SMTP transaction says about a message.
type Envelope struct {
	ClientAddr netip.Addr
	Helo       string
	MailFrom   string
	RcptTo     []string
	AuthUser   string
}

// Internal reports whether mail with this envelope is internal (not
// scanned) and why.
//
// Internal networks and authenticated sessions say where the mail comes
// from; when internal_domains is set they vouch only for mail that also
// claims one of those domains as its sender (MAIL FROM, subdomains
// included). An internal host that passes on mail with an outside sender
// — a forwarder, a list server, a scanner relaying inbound mail — hands
// over mail that came from outside, and that mail is scanned. The sender
// domain alone never makes mail internal: it is trivially forged, so it
// only narrows what the network or the login already vouched for. The
// null sender (bounces) claims no domain and is scanned.
func (p *Policy) Internal(env Envelope) (bool, string) {
	why := ""
	if env.AuthUser != "" && p.cfg.AuthenticatedIsInternal {
		why = "authenticated sender"
	} else if env.ClientAddr.IsValid() {
		a := env.ClientAddr.Unmap()
		for _, n := range p.nets {
			if n.Contains(a) {
				why = "client " + a.String() + " in internal network " + n.String()
				break
			}
		}
	}
	if why == "" {
		return false, ""
	}
	if len(p.cfg.InternalDomains) > 0 {
		d := p.domains.match(env.MailFrom)
		if d == "" {
			return false, ""
		}
		why += ", sender in internal domain " + d
	}
	return true, why
}

// Excluded reports whether the whole message is taken out of scanning by
// a recipient exclusion. Recipients exclude only when every recipient
// matches: one protected recipient keeps the message scanned. Sender
// exclusions are not decided here: they need proof (SenderExclusion,
// SenderAuth).
func (p *Policy) Excluded(env Envelope) (bool, string) {
	if len(env.RcptTo) > 0 {
		last := ""
		for _, r := range env.RcptTo {
			m := p.recipients.match(r)
			if m == "" {
				return false, ""
			}
			last = m
		}
		return true, "all recipients excluded (" + last + ")"
	}
	return false, ""
}

// SenderExclusion returns the sender exclusion entry (address or domain)
// that addr matches, or "". A match only says which entry is claimed: the
// exclusion applies once the address is proven (SenderAuth).
func (p *Policy) SenderExclusion(addr string) string { return p.senders.match(addr) }

// HasSenderExclusions reports whether any sender exclusion is configured
// (none: the gate need not read the From field at all).
func (p *Policy) HasSenderExclusions() bool {
	return len(p.senders.addrs) > 0 || len(p.senders.domains) > 0
}

// SenderAuth is the checker that proves a sender before a sender
// exclusion applies (built from policy.sender_auth).
func (p *Policy) SenderAuth() *senderauth.Checker { return p.auth }

// IsInternalDomain reports whether addr's domain (or a parent of it) is
// one of internal_domains.
func (p *Policy) IsInternalDomain(addr string) bool {
	return p.domains.match(addr) != ""
}

// Action is what policy says to do with one file before any sandbox.
type Action string

const (
	// Sandbox: the file goes to the sandbox (lookup, then upload).
	Sandbox Action = "sandbox"
	// Skip: the file is not sent; it does not hold the message.
	Skip Action = "skip"
	// Allow: excluded by an admin; counts as clean.
	Allow Action = "allow"
	// Block: on the block list; counts as malicious.
	Block Action = "block"
	// Unscannable: the file could not be read whole (flags say why).
	Unscannable Action = "unscannable"
)

// FileDecision is policy's answer for one file.
type FileDecision struct {
	Action Action `json:"action"`
	Reason string `json:"reason"`
	// Verdict is the verdict policy alone gives (Allow → clean, Block →
	// malicious, Unscannable → unscannable); Unknown for Sandbox and Skip.
	Verdict verdict.Verdict `json:"verdict,omitempty"`
}

// File decides one file.
func (p *Policy) File(f *extract.File) FileDecision {
	h := strings.ToLower(f.SHA256)
	if h != "" && p.blockHash[h] {
		return FileDecision{Block, "SHA-256 on the block list", verdict.Malicious}
	}
	if h != "" && p.allowHash[h] {
		return FileDecision{Allow, "SHA-256 excluded by policy", verdict.Clean}
	}
	if f.Flags.Any() {
		return FileDecision{Unscannable, f.Problem, verdict.Unscannable}
	}
	if f.Unlocked {
		// sandboxd could not open it (no password ever leaves the filter);
		// what it holds was listed and is judged one by one.
		return FileDecision{Skip, "needed a password; opened with one found in the message: its files are judged one by one", verdict.Unknown}
	}
	if f.Container && f.Category == verdict.Other {
		return FileDecision{Skip, "container: its files are listed and judged one by one", verdict.Unknown}
	}
	if !p.scan[f.Category] {
		return FileDecision{Skip, "category " + string(f.Category) + " is not sent to the sandbox", verdict.Unknown}
	}
	if ext := extract.Ext(f.Name); ext != "" && p.exts[ext] {
		// The name does not excuse what the content says runs.
		sniffed := extract.Categorize(f.SniffedType, "")
		if sniffed != verdict.Executable && sniffed != verdict.Script {
			return FileDecision{Skip, "extension " + ext + " excluded by policy", verdict.Unknown}
		}
	}
	return FileDecision{Sandbox, "category " + string(f.Category) + " goes to the sandbox", verdict.Unknown}
}

// ActionFor is the configured action (deliver, quarantine, reject) for a
// message whose worst verdict is v.
func (p *Policy) ActionFor(v verdict.Verdict) string { return p.cfg.Actions.For(v) }

// matcher matches addresses against a list of addresses and domains.
type matcher struct {
	addrs, domains map[string]bool
}

func newMatcher(list []string) matcher {
	m := matcher{addrs: map[string]bool{}, domains: map[string]bool{}}
	for _, s := range list {
		s = strings.ToLower(strings.TrimSpace(s))
		if strings.Contains(strings.TrimPrefix(s, "@"), "@") {
			m.addrs[s] = true
		} else {
			m.domains[strings.TrimPrefix(s, "@")] = true
		}
	}
	return m
}

func (m matcher) match(addr string) string {
	a := strings.ToLower(strings.Trim(strings.TrimSpace(addr), "<>"))
	if a == "" {
		return ""
	}
	if m.addrs[a] {
		return a
	}
	d := domainOf(a)
	for d != "" {
		if m.domains[d] {
			return d
		}
		// Subdomains match their parent domain entry.
		i := strings.IndexByte(d, '.')
		if i < 0 {
			break
		}
		d = d[i+1:]
	}
	return ""
}

func domainOf(addr string) string {
	addr = strings.ToLower(strings.Trim(addr, "<> "))
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return addr
}
