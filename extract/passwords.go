package extract

import (
	"bytes"
	"html"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Password-protected archives with the password in the mail text
// ("Password: 4512") are the commonest way past a mail sandbox. The walk
// keeps the message's own text (subject, bodies, small text attachments)
// and, once it is done, tries the passwords that text offers on every
// archive it could not open. Candidates live only in the walker's memory:
// they are never logged, stored, returned or sent to sandboxd.

// maxTextBytes bounds the text kept for candidates per message.
const maxTextBytes = 256 << 10

// noteText keeps text that may carry a password.
func (w *walker) noteText(s string) {
	if w.pw == nil || len(s) == 0 || w.textBytes >= maxTextBytes {
		return
	}
	if len(s) > maxTextBytes-w.textBytes {
		s = s[:maxTextBytes-w.textBytes]
	}
	w.textBytes += len(s)
	w.texts = append(w.texts, s)
}

// noteBody keeps a text body, in UTF-8 and without markup.
func (w *walker) noteBody(mt, charset string, data []byte) {
	if w.pw == nil {
		return
	}
	s := toUTF8(charset, data)
	if mt == "text/html" {
		s = htmlText(s)
	}
	w.noteText(s)
}

// passwordWords introduce a password in the languages mail is written in.
var passwordWords = []string{
	"password", "passwort", "kennwort", "mot de passe", "mdp", "contraseña", "contrasena", "clave",
	"senha", "wachtwoord", "hasło", "haslo", "пароль", "密码", "密碼", "パスワード", "parola", "lösenord",
	"losenord", "adgangskode", "salasana", "şifre", "sifre", "heslo", "jelszó", "jelszo", "비밀번호",
	"كلمة المرور", "סיסמה", "passcode", "pass", "pwd", "pw", "code", "pin",
}

var (
	// after a password word: an optional joiner ("is", ":", "="), then the token.
	afterWord = regexp.MustCompile(`^[\s:：=\-–—>]*(?:(?:is|ist|est|es|é|jest|är|er|on|è|lautet|:)\s*[:：]?\s*)?["'“”„«»‘’]?([^\s"“”„«»‘’<>]{2,64})`)
	quoted    = regexp.MustCompile(`["“„«‘'*_]([^\s"“”„«»‘’'*_]{3,40})["”“»’'*_]`)
	tagRE     = regexp.MustCompile(`(?is)<(script|style)[^>]*>.*?</(script|style)>|<[^>]*>`)
)

// htmlText is the visible text of an HTML body, near enough for finding a
// password: markup dropped, entities decoded, block ends as line breaks.
func htmlText(s string) string {
	s = regexp.MustCompile(`(?i)<(br|/p|/div|/tr|/li|/h\d)[^>]*>`).ReplaceAllString(s, "\n")
	return html.UnescapeString(tagRE.ReplaceAllString(s, " "))
}

// candidates returns up to max password candidates from texts, best
// first: tokens after a password word, then the site-wide passwords, then
// quoted or emphasised tokens and short lines that stand alone. Each
// comes also without trailing punctuation.
func candidates(texts []string, site []string, max int) []string {
	var first, later []string
	for _, t := range texts {
		type hit struct {
			at    int
			token string
		}
		var hits []hit
		lower := strings.ToLower(t)
		for _, word := range passwordWords {
			for off := 0; ; {
				i := strings.Index(lower[off:], word)
				if i < 0 {
					break
				}
				at := off + i
				off = at + len(word)
				// whole words only ("passage", "bypass" do not count)
				if at > 0 {
					if r, _ := utf8.DecodeLastRuneInString(lower[:at]); unicode.IsLetter(r) {
						continue
					}
				}
				if off < len(lower) {
					// "passwort123" is more likely the password than its label
					if r, _ := utf8.DecodeRuneInString(lower[off:]); (unicode.IsLetter(r) || unicode.IsDigit(r)) && r < 0x3000 {
						continue
					}
				}
				if len(t) != len(lower) {
					continue // lower-casing changed lengths: offsets do not map
				}
				if m := afterWord.FindStringSubmatch(t[off:min(len(t), off+200)]); m != nil {
					hits = append(hits, hit{at, m[1]})
				}
			}
		}
		// in the order the reader meets them
		slices.SortStableFunc(hits, func(a, b hit) int { return a.at - b.at })
		for _, h := range hits {
			first = append(first, h.token)
		}
		for _, m := range quoted.FindAllStringSubmatch(t, 50) {
			later = append(later, m[1])
		}
		for _, line := range strings.Split(t, "\n") {
			line = strings.TrimSpace(line)
			if n := utf8.RuneCountInString(line); n >= 3 && n <= 32 && !strings.ContainsAny(line, " \t") {
				later = append(later, line)
			}
		}
	}
	all := append(append(first, site...), later...)
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s == "" || seen[s] || len(out) >= max {
			return
		}
		seen[s] = true
		out = append(out, s)
	}
	for _, c := range all {
		add(c)
		add(strings.TrimRight(c, `.,;:!?)]}"'”’»`))
		add(strings.Trim(c, `*_'`)) // *emphasis*, _underline_, 'quotes'
	}
	return out
}

// locked is a container that could not be opened for want of a password.
type locked struct {
	idx  int // its entry in Result.Files
	bi   blobInfo
	data []byte
	open opener
}

// unlock tries the message's password candidates on every locked
// container. A password opens a container when the walk with it finds no
// encrypted or unreadable member; then its members replace the entries
// flagged encrypted. Attempts are bounded per container (slow key
// derivations fewer) and by the walk's deadline.
func (w *walker) unlock() {
	if len(w.locked) == 0 || w.pw == nil {
		return
	}
	cands := candidates(w.texts, w.pw.site, w.pw.max)
	for _, l := range w.locked {
		tries := len(cands)
		if slowKDF(l.data) && tries > w.pw.maxSlow {
			tries = w.pw.maxSlow
		}
		for _, c := range cands[:tries] {
			if w.expired() {
				return
			}
			if w.tryPassword(l, c) {
				break
			}
		}
	}
	w.texts = nil
}

// slowKDF reports files whose key derivation is slow by design: 7z AES
// runs 2^19 SHA-256 rounds per try, Office's agile encryption 100,000
// SHA-512 rounds.
func slowKDF(data []byte) bool { return bytes.HasPrefix(data, sig7z) || isEncryptedOffice(data) }

// tryPassword re-opens l with password; on failure everything it listed
// is taken back.
func (w *walker) tryPassword(l locked, password string) bool {
	total, problems := w.total, len(w.res.Problems)
	prefix := l.bi.path + "/"
	// the members listed the first time, flagged encrypted, go aside
	var kept, old []File
	for _, f := range w.res.Files {
		if strings.HasPrefix(f.Path, prefix) {
			old = append(old, f)
		} else {
			kept = append(kept, f)
		}
	}
	w.res.Files = kept
	w.password = password
	fail := l.open(w, l.bi.path, l.bi.depth, l.data)
	w.password = ""
	bad := fail.flags.Any() || fail.problem != ""
	for _, f := range w.res.Files[len(kept):] {
		if f.Flags.Any() {
			bad = true // a wrong password reads as garbage too
		}
	}
	if bad {
		// the set-aside members come back after everything else: still
		// after their container
		w.res.Files = append(w.res.Files[:len(kept)], old...)
		w.total, w.res.Problems = total, w.res.Problems[:problems]
		return false
	}
	// the container is open: its entry loses the encrypted flag
	for i := range w.res.Files {
		if f := &w.res.Files[i]; f.Path == l.bi.path && f.Depth == l.bi.depth && f.Flags.Encrypted {
			f.Flags.Encrypted = false
			f.Problem = "opened with a password found in the message"
			f.Unlocked = true
			break
		}
	}
	return true
}
