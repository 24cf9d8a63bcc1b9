package holdqueue

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/airlockmail/airlock/seal"
	"github.com/airlockmail/airlock/verdict"
)

// Keys seal records and make index tokens.
type Keys struct {
	seal *seal.Key
	// index keys the HMAC tokens of addresses, domains and hashes, so
	// exact-match search works without storing them in clear.
	index []byte
}

// LoadKeys reads the key file (64 hex digits), creating it with a fresh key
// when missing. The index key is derived from the same secret, so one file
// is all that nodes must share.
func LoadKeys(path string) (*Keys, error) {
	k, _, err := seal.LoadOrCreateKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("holdqueue key: %w", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("holdqueue key: %w", err)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("holdqueue key %s: %w", path, err)
	}
	return newKeys(k, raw), nil
}

// NewKeys builds Keys from 32 raw bytes (tests, tools).
func NewKeys(raw []byte) (*Keys, error) {
	k, err := seal.NewKey(raw)
	if err != nil {
		return nil, err
	}
	return newKeys(k, raw), nil
}

func newKeys(k *seal.Key, raw []byte) *Keys {
	m := hmac.New(sha256.New, raw)
	m.Write([]byte("airlock holdqueue index v1"))
	return &Keys{seal: k, index: m.Sum(nil)}
}

// token is the keyed HMAC of one searchable value ("f:user@example.com").
func (k *Keys) token(kind, value string) string {
	m := hmac.New(sha256.New, k.index)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(strings.ToLower(strings.TrimSpace(value))))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

func (k *Keys) hashToken(sha string) string { return k.token("h", sha) }

// addrTokens are the tokens of an address: the address and its domain.
func (k *Keys) addrTokens(kind, addr string) []string {
	addr = strings.Trim(strings.TrimSpace(addr), "<>")
	if addr == "" {
		return []string{k.token(kind, "<>")}
	}
	out := []string{k.token(kind, addr)}
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		out = append(out, k.token(kind+"d", addr[i+1:]))
	}
	return out
}

// queryToken is the token a search field looks up: an address with "@",
// a domain without.
func (k *Keys) queryToken(kind, v string) string {
	v = strings.Trim(strings.TrimSpace(v), "<>")
	if v == "" {
		return k.token(kind, "<>")
	}
	if strings.Contains(v, "@") && !strings.HasPrefix(v, "@") {
		return k.token(kind, v)
	}
	return k.token(kind+"d", strings.TrimPrefix(v, "@"))
}

// private is the sealed part of a record: everything that reveals mail.
type private struct {
	Envelope Envelope      `json:"e"`
	Subject  string        `json:"s"`
	Files    []privateFile `json:"f"`
}

type privateFile struct {
	Path     string           `json:"p"`
	SHA256   string           `json:"h"`
	Category verdict.Category `json:"c"`
	Size     int64            `json:"z"`
	// Name judgement, sealed with the path it is about.
	NameVerdict verdict.Verdict `json:"nv,omitempty"`
	NameSummary string          `json:"ns,omitempty"`
}

// row is a record as both backends keep it: plain fields that the store
// logic (Lua or Go) reads and changes, and sealed blobs it never opens.
type row struct {
	Sealed   []byte   `json:"sealed"`
	State    State    `json:"state"`
	Node     string   `json:"node"`
	Mode     Mode     `json:"mode"`
	Created  int64    `json:"created"`
	Deadline int64    `json:"deadline"`
	Size     int64    `json:"size"`
	Toks     []string `json:"toks"`
	// FileToks is the hash token of each file, parallel to the sealed
	// files; verdicts are kept by token so ApplyVerdict needs no key.
	FileToks  []string          `json:"ftoks"`
	Verdicts  map[string]string `json:"verdicts"`
	Summaries map[string]string `json:"summaries"`
	Pending   int               `json:"pending"`
	Released  bool              `json:"released,omitempty"`
	Attempts  int               `json:"attempts,omitempty"`
	Next      int64             `json:"next,omitempty"`
	Reply     []byte            `json:"reply,omitempty"`
	Lease     string            `json:"lease,omitempty"`
	LeaseNode string            `json:"lease_node,omitempty"`
	LeaseTill int64             `json:"lease_until,omitempty"`
	// Due is when the message is next claimable (ms; 0 = not queued).
	Due int64 `json:"due,omitempty"`
	// Marks are the markers of once-only notes (embedded store; Redis
	// keeps them as mark:<name> fields).
	Marks   []string `json:"marks,omitempty"`
	History [][]byte `json:"history"`
}

var historyAD = []byte("airlock holdqueue history v1")

// newRow builds the stored row of a new message.
func (k *Keys) newRow(m *NewMessage, now time.Time) (*row, []byte, error) {
	p := private{Envelope: m.Envelope, Subject: m.Subject}
	r := &row{
		State:     Held,
		Node:      m.Node,
		Mode:      m.Mode,
		Created:   now.UnixMilli(),
		Deadline:  m.Deadline.UnixMilli(),
		Size:      int64(len(m.Data)),
		Verdicts:  map[string]string{},
		Summaries: map[string]string{},
	}
	seen := map[string]bool{}
	addTok := func(t string) {
		if !seen[t] {
			seen[t] = true
			r.Toks = append(r.Toks, t)
		}
	}
	for _, t := range k.addrTokens("f", m.Envelope.MailFrom) {
		addTok(t)
	}
	for _, rc := range m.Envelope.RcptTo {
		for _, t := range k.addrTokens("r", rc) {
			addTok(t)
		}
	}
	for _, f := range m.Files {
		sha := strings.ToLower(f.SHA256)
		p.Files = append(p.Files, privateFile{Path: f.Path, SHA256: sha, Category: f.Category, Size: f.Size,
			NameVerdict: f.NameVerdict, NameSummary: f.NameSummary})
		t := k.hashToken(sha)
		r.FileToks = append(r.FileToks, t)
		addTok(t)
		if _, ok := r.Verdicts[t]; !ok || r.Verdicts[t] == "" {
			r.Verdicts[t] = string(f.Verdict)
			r.Summaries[t] = f.Summary
		}
	}
	for _, v := range r.Verdicts {
		if v == "" {
			r.Pending++
		}
	}
	if r.Pending == 0 {
		r.Due = r.Created
	} else {
		r.Due = r.Deadline
	}
	pb, err := json.Marshal(p)
	if err != nil {
		return nil, nil, err
	}
	r.Sealed = k.seal.Seal(pb, []byte(m.ID))
	reason := m.Reason
	if reason == "" {
		reason = fmt.Sprintf("held, %d file(s) pending", r.Pending)
	}
	r.History = [][]byte{k.event(now, ActorSystem, Held, reason)}
	return r, k.seal.Seal(m.Data, []byte("body:"+m.ID)), nil
}

// waiting is the hash tokens this row still waits on.
func (r *row) waiting() []string {
	var out []string
	for t, v := range r.Verdicts {
		if v == "" {
			out = append(out, t)
		}
	}
	return out
}

// event seals one history entry.
func (k *Keys) event(at time.Time, actor string, st State, reason string) []byte {
	b, _ := json.Marshal(Event{At: at.UTC(), Actor: actor, State: st, Reason: reason})
	return k.seal.Seal(b, historyAD)
}

func (k *Keys) sealReply(id, reply string) []byte {
	if reply == "" {
		return nil
	}
	return k.seal.Seal([]byte(reply), []byte("reply:"+id))
}

// message opens a row into a Message.
func (k *Keys) message(id string, r *row) (*Message, error) {
	pb, err := k.seal.Open(r.Sealed, []byte(id))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", id, err)
	}
	var p private
	if err := json.Unmarshal(pb, &p); err != nil {
		return nil, fmt.Errorf("decode %s: %w", id, err)
	}
	m := &Message{
		ID:       id,
		State:    r.State,
		Node:     r.Node,
		Mode:     r.Mode,
		Envelope: p.Envelope,
		Subject:  p.Subject,
		Size:     r.Size,
		Created:  time.UnixMilli(r.Created).UTC(),
		Deadline: time.UnixMilli(r.Deadline).UTC(),
		Released: r.Released,
		Attempts: r.Attempts,
	}
	if r.Next > 0 {
		m.NextAttempt = time.UnixMilli(r.Next).UTC()
	}
	if r.Lease != "" && r.LeaseTill > 0 {
		m.LeaseNode = r.LeaseNode
		m.LeaseUntil = time.UnixMilli(r.LeaseTill).UTC()
	}
	if len(r.Reply) > 0 {
		b, err := k.seal.Open(r.Reply, []byte("reply:"+id))
		if err != nil {
			return nil, fmt.Errorf("open reply %s: %w", id, err)
		}
		m.LastReply = string(b)
	}
	for i, f := range p.Files {
		file := File{Path: f.Path, SHA256: f.SHA256, Category: f.Category, Size: f.Size,
			NameVerdict: f.NameVerdict, NameSummary: f.NameSummary}
		if i < len(r.FileToks) {
			file.Verdict = verdict.Verdict(r.Verdicts[r.FileToks[i]])
			file.Summary = r.Summaries[r.FileToks[i]]
		}
		m.Files = append(m.Files, file)
	}
	for _, h := range r.History {
		b, err := k.seal.Open(h, historyAD)
		if err != nil {
			return nil, fmt.Errorf("open history %s: %w", id, err)
		}
		var e Event
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("decode history %s: %w", id, err)
		}
		m.History = append(m.History, e)
	}
	return m, nil
}

func (k *Keys) body(id string, sealed []byte) ([]byte, error) {
	b, err := k.seal.Open(sealed, []byte("body:"+id))
	if err != nil {
		return nil, fmt.Errorf("open body %s: %w", id, err)
	}
	return b, nil
}

// newID is a ULID: sortable by hold time, so the id order is the list order.
func newID(now time.Time) string {
	return ulid.MustNew(ulid.Timestamp(now), ulid.DefaultEntropy()).String()
}

// idBound is the smallest id of a ULID at t (for time-range scans).
func idBound(t time.Time) string {
	var u ulid.ULID
	_ = u.SetTime(ulid.Timestamp(t))
	return u.String()
}

// idTime is the hold time encoded in an id.
func idTime(id string) time.Time {
	u, err := ulid.ParseStrict(id)
	if err != nil {
		return time.Time{}
	}
	return ulid.Time(u.Time()).UTC()
}

// query is a Query resolved against the keys.
type query struct {
	Query
	toks []string // every token a match must carry
	lo   string   // inclusive lower id bound ("" none)
	hi   string   // exclusive upper id bound ("" none)
}

func (k *Keys) resolve(q Query) query {
	rq := query{Query: q}
	if q.Limit <= 0 {
		rq.Limit = 50
	}
	if rq.Limit > 1000 {
		rq.Limit = 1000
	}
	if q.Hash != "" {
		rq.toks = append(rq.toks, k.hashToken(q.Hash))
	}
	if q.Sender != "" {
		rq.toks = append(rq.toks, k.queryToken("f", q.Sender))
	}
	if q.Recipient != "" {
		rq.toks = append(rq.toks, k.queryToken("r", q.Recipient))
	}
	if !q.From.IsZero() {
		rq.lo = idBound(q.From)
	}
	if !q.To.IsZero() {
		rq.hi = idBound(q.To)
	}
	if q.Cursor != "" && (rq.hi == "" || q.Cursor < rq.hi) {
		rq.hi = q.Cursor
	}
	return rq
}

// scanBudget bounds how many index entries one List call examines, so a
// sparse search answers in bounded time and the caller follows Next.
func (q *query) scanBudget() int { return 20*q.Limit + 2000 }

// plainMatch checks what can be checked without decrypting.
func (q *query) plainMatch(r *row) bool {
	if q.State != "" && r.State != q.State {
		return false
	}
	for _, t := range q.toks {
		found := false
		for _, rt := range r.Toks {
			if rt == t {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func (q *query) subjectMatch(m *Message) bool {
	return q.Subject == "" || strings.Contains(strings.ToLower(m.Subject), strings.ToLower(q.Subject))
}
