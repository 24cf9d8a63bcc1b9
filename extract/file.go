package extract

import (
	"strings"

	"github.com/airlockmail/airlock/verdict"
)

// File is one file a message carries, wherever it was found: a MIME leaf,
// a member of an archive, an attachment inside winmail.dat, a file on a
// disk image. A file that could not be opened is still a File, with the
// reason in Problem and its flags set.
type File struct {
	// Path through the containers, "/"-separated, e.g.
	// "fwd.eml/bundle.zip/docs/report.zip/eicar.com".
	Path string `json:"path"`
	// Name is the declared file name (the last element of Path, decoded),
	// possibly empty.
	Name string `json:"name"`
	// DeclaredType is the Content-Type the sender claimed (MIME parts
	// only).
	DeclaredType string `json:"declared_type,omitempty"`
	// SniffedType is the type found by content (mimetype + own checks).
	SniffedType string `json:"sniffed_type"`
	// Category by content first, name second.
	Category verdict.Category `json:"category"`
	// Size in bytes after decoding/decompression (as far as it was read
	// when a limit was hit).
	Size int64 `json:"size"`
	// SHA256 of the decoded bytes, lower-case hex; empty when the bytes
	// could not be read whole (limit hit, encrypted).
	SHA256 string `json:"sha256,omitempty"`
	// Depth is the nesting level: 1 for a MIME part of the message, 2 for
	// a member of an attached zip, and so on.
	Depth int `json:"depth"`
	// Flags say what kept the file from being read whole.
	Flags Flags `json:"flags"`
	// Problem explains the flags for a human, e.g. "zip member is
	// encrypted" or "expanded past max_file_bytes (256MiB)".
	Problem string `json:"problem,omitempty"`
	// Container is true for archives, nested mail and TNEF that were
	// opened and whose members are listed after it.
	Container bool `json:"container,omitempty"`
	// Unlocked is true for a password-protected container that a password
	// found in the message opened (which one is never said).
	Unlocked bool `json:"unlocked,omitempty"`
	// Reading names the other way of reading an ambiguous message that
	// found this file ("second Content-Type header", "header read past a
	// broken line", ...); empty when the plain reading found it. Mail
	// clients disagree on such messages, so the files of every reading
	// are listed.
	Reading string `json:"reading,omitempty"`
	// Data is the decoded bytes, kept only with Options.KeepData and only
	// when the file was read whole.
	Data []byte `json:"-"`
}

// Flags say why a file could not be read whole. A file with any flag set is
// unscannable as far as policy is concerned.
type Flags struct {
	Encrypted bool `json:"encrypted,omitempty"`
	Truncated bool `json:"truncated,omitempty"`
	Corrupt   bool `json:"corrupt,omitempty"`
	// Limit names the limit that was hit: depth, files, file_bytes,
	// total_bytes, ratio, time, readings (more ambiguous readings
	// than a walk takes).
	Limit string `json:"limit,omitempty"`
}

// Any reports whether any flag is set.
func (f Flags) Any() bool { return f.Encrypted || f.Truncated || f.Corrupt || f.Limit != "" }

// String lists the flags set, comma-separated ("encrypted,limit=ratio"),
// or "" when none is.
func (f Flags) String() string {
	var s []string
	if f.Encrypted {
		s = append(s, "encrypted")
	}
	if f.Truncated {
		s = append(s, "truncated")
	}
	if f.Corrupt {
		s = append(s, "corrupt")
	}
	if f.Limit != "" {
		s = append(s, "limit="+f.Limit)
	}
	return strings.Join(s, ",")
}
