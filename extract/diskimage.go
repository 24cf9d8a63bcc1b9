package extract

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/kdomanski/iso9660"
)

// maxImageDirDepth bounds directory recursion inside a disk image (a
// crafted directory loop must not recurse forever).
const maxImageDirDepth = 32

// openISO lists the files of an ISO 9660 image: attackers ship ISO and IMG
// files because their contents escape Mark-of-the-Web.
func openISO(w *walker, at string, depth int, data []byte) containerFailure {
	img, err := iso9660.OpenImage(bytes.NewReader(data))
	if err != nil {
		return containerFailure{problem: "iso9660: " + err.Error(), flags: Flags{Corrupt: true}}
	}
	root, err := img.RootDir()
	if err != nil {
		return containerFailure{problem: "iso9660: " + err.Error(), flags: Flags{Corrupt: true}}
	}
	var fail containerFailure
	var walk func(dir *iso9660.File, prefix string, level int)
	walk = func(dir *iso9660.File, prefix string, level int) {
		if level > maxImageDirDepth {
			fail = containerFailure{problem: fmt.Sprintf("directories nested deeper than %d", maxImageDirDepth), flags: Flags{Limit: "depth"}}
			return
		}
		children, err := dir.GetChildren()
		if err != nil {
			fail = containerFailure{problem: "iso9660: " + err.Error(), flags: Flags{Corrupt: true}}
			return
		}
		for _, c := range children {
			if w.expired() || w.filesHit {
				return
			}
			name := isoName(c.Name())
			if c.IsDir() {
				walk(c, prefix+name+"/", level+1)
				continue
			}
			bi := memberInfo(at, prefix+name, depth)
			if c.Size() > int64(w.lim.MaxFileBytes) || c.Size() > int64(len(data)) {
				w.listed(bi, c.Size(), Flags{Limit: "file_bytes"}, fmt.Sprintf("declares %d bytes, more than max_file_bytes (%s) or the image", c.Size(), w.lim.MaxFileBytes))
				continue
			}
			w.member(bi, c.Reader(), c.Size(), -1)
		}
	}
	walk(root, "", 0)
	return fail
}

// isoName drops the ";1" version suffix of ISO 9660 level-1 names.
func isoName(n string) string {
	if i := strings.LastIndexByte(n, ';'); i > 0 {
		n = n[:i]
	}
	return strings.TrimSuffix(n, ".")
}
