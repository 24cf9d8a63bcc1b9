package extract

import (
	"encoding/binary"
	"fmt"

	"github.com/airlockmail/airlock/extract/tnef"
)

// isTNEF checks the TNEF signature 0x223E9F78 ([MS-OXTNEF] 2.1.3.1).
func isTNEF(data []byte) bool {
	return len(data) >= 6 && binary.LittleEndian.Uint32(data) == 0x223E9F78
}

// openTNEF lists the attachments of a winmail.dat, and of the messages
// embedded in it, as members of the winmail.dat.
func openTNEF(w *walker, at string, depth int, data []byte) containerFailure {
	left := int64(w.lim.MaxTotalBytes) - w.total
	msg, err := tnef.Decode(data, tnef.Limits{
		MaxAttachments: w.lim.MaxFiles,
		MaxBytes:       max(left, 1),
		MaxDepth:       max(w.lim.MaxDepth-depth, 1),
	})
	if err != nil {
		return containerFailure{problem: err.Error(), flags: Flags{Corrupt: true}}
	}
	var fail containerFailure
	if len(msg.Problems) > 0 {
		// Damage after the attachments were read (junk, bad checksums)
		// is reported but does not hide what was found.
		w.problem("%s: %s", at, msg.Problems[0])
	}
	w.tnefMessage(msg, at, depth, &fail)
	return fail
}

func (w *walker) tnefMessage(msg *tnef.Message, at string, depth int, fail *containerFailure) {
	if msg.Limit != "" {
		*fail = containerFailure{problem: "TNEF limit hit: " + msg.Limit, flags: Flags{Limit: msg.Limit}}
	}
	for i, a := range msg.Attachments {
		if w.expired() {
			return
		}
		name := a.Name
		if name == "" {
			name = fmt.Sprintf("attachment-%d", i+1)
		}
		bi := blobInfo{path: childPath(at, safeName(name, "attachment")), name: a.Name, declared: a.MIMEType, depth: depth + 1}
		switch {
		case a.Limit != "":
			w.listed(bi, int64(len(a.Data)), Flags{Limit: a.Limit}, joinProblem(a.Problem, "withheld by a TNEF limit"))
		case a.Method == tnef.MethodEmbedded && a.Embedded != nil:
			if bi.depth >= w.lim.MaxDepth {
				w.listed(bi, int64(len(a.Data)), Flags{Limit: "depth"}, "embedded message deeper than max_depth")
				continue
			}
			if !w.room(at, bi.depth) {
				return
			}
			w.res.Files = append(w.res.Files, File{
				Path: bi.path, Name: a.Name, SniffedType: "application/vnd.ms-tnef.embedded-message", Category: "other",
				Size: int64(len(a.Data)), SHA256: sha256Hex(a.Data), Depth: bi.depth, Container: true, Problem: a.Problem,
			})
			w.tnefMessage(a.Embedded, bi.path, bi.depth, fail)
		default:
			fl := Flags{Truncated: a.Truncated}
			if a.Method == tnef.MethodEmbedded {
				fl.Corrupt = true // an embedded message we could not decode
			}
			w.total += int64(len(a.Data))
			w.blob(bi, a.Data, fl, a.Problem)
		}
	}
}
