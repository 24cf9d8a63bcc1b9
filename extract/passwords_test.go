package extract

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

func encrypted(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/encrypted/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Archives made by zip and 7-Zip (testdata/encrypted/README.md), sent
// with the password in the text the way senders write it.
func TestPasswordFromMessage(t *testing.T) {
	cases := []struct {
		name, text, archive, member string
		opened                      bool
	}{
		{"german, zip -P", "Guten Tag,\nanbei die Rechnung. Das Passwort lautet: Rechnung-4512.\nMfG", "zipcrypto.zip", "invoice.js", true},
		{"french, AES-256 zip", "Bonjour,\nle mot de passe : S3cret!\nCordialement", "aes256.zip", "invoice.js", true},
		{"english, ZipCrypto deflated by 7-Zip", "Hi, the password is \"S3cret!\" as agreed.", "zc7.zip", "statement.pdf", true},
		{"a line of its own", "Your statement is attached.\n\nS3cret!\n\nRegards", "zc7.zip", "statement.pdf", true},
		{"7z AES", "Kennwort: kennwort9", "aes.7z", "invoice.js", true},
		{"7z with encrypted headers", "PASSWORD = kennwort9", "aes-he.7z", "statement.pdf", true},
		{"RAR 4 with encrypted headers (rardecode's test archive)", "Das Passwort lautet Correct", "rar4-hp.rar", "secret.txt", true},
		{"site-wide password", "see attachment", "infected.zip", "invoice.js", true},
		{"no password in the text", "Please find the invoice attached.", "zipcrypto.zip", "", false},
		{"a wrong password in the text", "Password: 1234", "aes256.zip", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := message("Invoice", textPart(c.text), attach(c.archive, "application/octet-stream", encrypted(t, c.archive)))
			r := walk(t, msg)
			top := find(t, r, c.archive)
			f := hasName(r, c.member)
			if !c.opened {
				if !top.Flags.Encrypted || top.Unlocked || len(r.Files) > 2 {
					t.Errorf("opened without the password: %+v (%s)", top, names(r))
				}
				return
			}
			if f == nil || f.SHA256 == "" || f.Flags.Any() {
				t.Fatalf("%s not read from %s: %s (container %+v)", c.member, c.archive, names(r), top)
			}
			if top.Flags.Any() || !top.Unlocked || top.Problem != "opened with a password found in the message" {
				t.Errorf("container entry: flags %v unlocked %v problem %q", top.Flags, top.Unlocked, top.Problem)
			}
		})
	}
}

// No candidate leaves the walk: not in the result, its JSON or its
// problems.
func TestPasswordNeverInResult(t *testing.T) {
	const secret = "Rechnung-4512"
	msg := message("Passwort: "+secret, textPart("Passwort: "+secret), attach("a.zip", "application/zip", encrypted(t, "zipcrypto.zip")))
	r := walk(t, msg)
	if r.Subject != "Passwort: "+secret {
		t.Fatalf("subject %q", r.Subject)
	}
	r.Subject = ""
	b, _ := json.Marshal(r)
	if strings.Contains(string(b), secret) {
		t.Errorf("password in the result: %s", b)
	}
}

func TestCandidates(t *testing.T) {
	text := strings.Join([]string{
		"Das Kennwort ist „Sommer2024“.",
		"Contraseña: clave-77;",
		"пароль: кот123",
		"密码：abc888",
		"The passage below is not about passwords, nor bypassing them.",
		"Hasło = Zima#1",
		"Code PIN 4512",
	}, "\n")
	got := candidates([]string{text}, []string{"infected"}, 30)
	for _, want := range []string{"Sommer2024", "clave-77", "кот123", "abc888", "Zima#1", "4512", "infected"} {
		found := false
		for _, g := range got {
			if g == want {
				found = true
			}
		}
		if !found {
			t.Errorf("candidate %q missing from %q", want, got)
		}
	}
	if got[0] != "Sommer2024" {
		t.Errorf("first candidate %q, want the one after the first password word", got[0])
	}
	if len(candidates([]string{strings.Repeat("Password: x1x2x3\nPassword: y", 100)}, nil, 30)) > 30 {
		t.Error("more candidates than the cap")
	}
}

// Bounded: 30 candidates, none right, against ten protected archives of
// every kind — the walk ends within its limit and says what it could not
// open. The time per attempt is logged for each format.
func TestPasswordAttemptsBounded(t *testing.T) {
	var lines []string
	for i := range 40 {
		lines = append(lines, "Password: wrong"+strings.Repeat("x", i%7)+string(rune('a'+i%26)))
	}
	parts := []mimePart{textPart(strings.Join(lines, "\n"))}
	for i := range 10 {
		name := []string{"zipcrypto.zip", "aes256.zip", "aes.7z", "aes-he.7z", "zc7.zip"}[i%5]
		parts = append(parts, attach(strings.Repeat("n", i+1)+name, "application/octet-stream", encrypted(t, name)))
	}
	start := time.Now()
	r, err := Walk(context.Background(), message("many", parts...), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("10 archives, 30 candidates each (7z: %d): %s", 5, time.Since(start))
	for _, f := range r.Files {
		if f.Depth == 1 && !f.Flags.Encrypted {
			t.Errorf("%s opened with a wrong password: %+v", f.Path, f)
		}
	}
	for _, name := range []string{"zipcrypto.zip", "aes256.zip", "aes.7z"} {
		w, cancel := newWalker(context.Background(), Options{})
		data := encrypted(t, name)
		open := w.opener(Sniff(data), name, "", data)
		n := 5
		t0 := time.Now()
		for i := range n {
			w.password = "wrong" + string(rune('a'+i))
			open(w, name, 1, data)
		}
		cancel()
		t.Logf("%s: %s per attempt", name, time.Since(t0)/time.Duration(n))
	}
}

// Encrypted Office documents from msoffcrypto-tool's tests (MIT; made by
// Office, password Password1234_): the decrypted package equals the
// plain document msoffcrypto-tool writes.
func TestPasswordOffice(t *testing.T) {
	for _, c := range []struct{ in, plain string }{
		{"msoffcrypto/example_password.docx", "msoffcrypto/example.docx"},                                // agile, SHA-512
		{"msoffcrypto/example_password.xlsx", "msoffcrypto/example.xlsx"},                                // agile
		{"msoffcrypto/ecma376standard_password.docx", "msoffcrypto/ecma376standard_password_plain.docx"}, // standard, AES-128
	} {
		t.Run(c.in, func(t *testing.T) {
			name := strings.TrimPrefix(c.in, "msoffcrypto/")
			locked := walk(t, message("x", textPart("see attached"), attach(name, "application/octet-stream", encrypted(t, c.in))))
			if f := find(t, locked, name); !f.Flags.Encrypted || len(locked.Files) != 1 {
				t.Fatalf("without a password: %+v (%s)", f, names(locked))
			}
			r := walk(t, message("x", textPart("Das Kennwort lautet Password1234_ — bitte vertraulich."), attach(name, "application/octet-stream", encrypted(t, c.in))))
			top := find(t, r, name)
			inner := find(t, r, name+"/"+name)
			if top.Flags.Any() || !top.Unlocked {
				t.Errorf("container %+v", top)
			}
			if want := sha256Hex(encrypted(t, c.plain)); inner.SHA256 != want {
				t.Errorf("decrypted %s: sha %s, want msoffcrypto-tool's %s", name, inner.SHA256, want)
			}
		})
	}
}

// Legacy RC4 encryption (msoffcrypto-tool's samples) is detected, and the
// same formats unencrypted are not flagged.
func TestLegacyOfficeEncryption(t *testing.T) {
	for _, c := range []struct {
		name string
		enc  bool
	}{
		{"msoffcrypto/rc4cryptoapi_password.doc", true},
		{"msoffcrypto/rc4cryptoapi_password.xls", true},
	} {
		r := walkFile(t, "x", encrypted(t, c.name))
		if r.Files[0].Flags.Encrypted != c.enc {
			t.Errorf("%s: flags %v problem %q", c.name, r.Files[0].Flags, r.Files[0].Problem)
		}
	}
	for _, p := range []string{"msoffcrypto/plain.doc", "msoffcrypto/plain.xls"} {
		if r := walkFile(t, "x", encrypted(t, p)); r.Files[0].Flags.Any() {
			t.Errorf("%s flagged: %v %q", p, r.Files[0].Flags, r.Files[0].Problem)
		}
	}
}

// PDFs made by qpdf: a user password hides the content (unscannable);
// owner-only restrictions (empty user password) do not.
func TestPDFUserPassword(t *testing.T) {
	for _, c := range []struct {
		name      string
		protected bool
	}{
		{"plain.pdf", false},
		{"pdf-empty-R2.pdf", false}, {"pdf-empty-R4.pdf", false}, {"pdf-empty-R6.pdf", false},
		{"pdf-user-R2.pdf", true}, {"pdf-user-R3.pdf", true}, {"pdf-user-R4.pdf", true}, {"pdf-user-R6.pdf", true},
	} {
		data := encrypted(t, "pdf/"+c.name)
		protected, opens := pdfUserPassword(data, "Kto-2024")
		if protected != c.protected || protected && !opens {
			t.Errorf("%s: protected %v (want %v), right password opens %v", c.name, protected, c.protected, opens)
		}
		if _, wrong := pdfUserPassword(data, "Kto-2025"); wrong {
			t.Errorf("%s: a wrong password opens it", c.name)
		}
		if r := walkFile(t, c.name, data); r.Files[0].Flags.Encrypted != c.protected {
			t.Errorf("%s: walk flags %v", c.name, r.Files[0].Flags)
		}
	}
}
