package jsemu

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"

	"github.com/dop251/goja"
)

// maxFakeFile bounds one fake file (and one stream's buffer): more than a
// dropper's payload, less than a memory problem.
const maxFakeFile = 16 << 20

// selfSource marks the script's own file in the fake file system.
const selfSource = "(the script itself)"

func fsKey(p string) string { return strings.ToLower(strings.ReplaceAll(p, "/", `\`)) }

func baseName(p string) string { return path.Base(strings.ReplaceAll(p, `\`, "/")) }

// writeFile stores a file in the fake file system and records it: its
// SHA-256 when the script made the bytes, or the URL(s) when they are our
// fake download (whose hash would mean nothing to anyone).
func (e *emu) writeFile(p string, data []byte, from []string, via string) {
	if len(data) > maxFakeFile {
		data = data[:maxFakeFile]
	}
	e.files[fsKey(p)] = &fakeFile{data: append([]byte(nil), data...), from: from}
	if via == "shortcut" {
		return
	}
	detail := ""
	if len(from) > 0 {
		detail = "from " + from[0]
		if from[0] == selfSource {
			// The script copying itself: its hash is the sample's own.
			detail = "copy of the script itself"
		}
	} else {
		sum := sha256.Sum256(data)
		detail = hex.EncodeToString(sum[:])
		// Text the script wrote (a second-stage script, a batch file)
		// may name more URLs.
		for _, u := range urlRE.FindAllString(string(data[:min(len(data), 1<<20)]), 16) {
			e.rec.add(evFileURL, u, p)
		}
	}
	e.rec.add(evFile, p, detail)
	if strings.Contains(fsKey(p), `\startup\`) {
		e.rec.add(evPersist, p, via)
	}
}

func (e *emu) readFile(p string) (*fakeFile, bool) {
	f, ok := e.files[fsKey(p)]
	return f, ok
}

func (e *emu) fso() *goja.Object {
	vm := e.vm
	o := e.newCOM("Scripting.FileSystemObject")
	o.method(func(c goja.FunctionCall) goja.Value {
		return e.textWriter(str(c.Argument(0)), false)
	}, "createtextfile")
	o.method(func(c goja.FunctionCall) goja.Value {
		p := str(c.Argument(0))
		mode := int64(1)
		if a := c.Argument(1); !goja.IsUndefined(a) {
			mode = a.ToInteger()
		}
		if mode == 2 || mode == 8 {
			return e.textWriter(p, mode == 8)
		}
		f, ok := e.readFile(p)
		if !ok {
			if c.Argument(2).ToBoolean() {
				return e.textWriter(p, false)
			}
			e.throw("File not found", -2146828235)
		}
		return e.textReader(string(f.data))
	}, "opentextfile")
	o.method(func(c goja.FunctionCall) goja.Value { _, ok := e.readFile(str(c.Argument(0))); return vm.ToValue(ok) }, "fileexists")
	o.method(func(goja.FunctionCall) goja.Value { return vm.ToValue(true) }, "folderexists", "driveexists")
	o.method(func(c goja.FunctionCall) goja.Value {
		dirs := []string{`C:\Windows`, `C:\Windows\System32`, fakeTemp}
		i := c.Argument(0).ToInteger()
		if i < 0 || i > 2 {
			i = 2
		}
		return e.folder(dirs[i])
	}, "getspecialfolder")
	n := 0
	o.method(func(goja.FunctionCall) goja.Value {
		n++
		return vm.ToValue(fmt.Sprintf("rad%05X.tmp", 0xA1B2C+n))
	}, "gettempname")
	o.method(func(c goja.FunctionCall) goja.Value {
		return vm.ToValue(strings.TrimRight(str(c.Argument(0)), `\`) + `\` + strings.TrimLeft(str(c.Argument(1)), `\`))
	}, "buildpath")
	cp := func(move bool) func(goja.FunctionCall) goja.Value {
		return func(c goja.FunctionCall) goja.Value {
			src, dst := str(c.Argument(0)), str(c.Argument(1))
			if strings.HasSuffix(dst, `\`) {
				dst += baseName(src)
			}
			f, ok := e.readFile(src)
			if !ok {
				f = &fakeFile{}
			}
			e.writeFile(dst, f.data, f.from, "copy")
			if fsKey(src) == fsKey(e.scriptPath) {
				e.rec.add(evPersist, "copies itself to "+dst, "")
			}
			if move {
				delete(e.files, fsKey(src))
			}
			return goja.Undefined()
		}
	}
	o.method(cp(false), "copyfile")
	o.method(cp(true), "movefile")
	o.method(func(c goja.FunctionCall) goja.Value {
		p := str(c.Argument(0))
		e.rec.add(evDelete, p, "")
		delete(e.files, fsKey(p))
		return goja.Undefined()
	}, "deletefile", "deletefolder")
	o.method(func(c goja.FunctionCall) goja.Value { return e.folder(str(c.Argument(0))) }, "createfolder", "getfolder")
	o.method(func(c goja.FunctionCall) goja.Value { return e.fileObject(str(c.Argument(0))) }, "getfile")
	o.method(func(c goja.FunctionCall) goja.Value { return vm.ToValue(baseName(str(c.Argument(0)))) }, "getfilename")
	o.method(func(c goja.FunctionCall) goja.Value {
		b := baseName(str(c.Argument(0)))
		return vm.ToValue(strings.TrimSuffix(b, path.Ext(b)))
	}, "getbasename")
	o.method(func(c goja.FunctionCall) goja.Value {
		return vm.ToValue(strings.TrimPrefix(path.Ext(baseName(str(c.Argument(0)))), "."))
	}, "getextensionname")
	o.method(func(c goja.FunctionCall) goja.Value {
		p := str(c.Argument(0))
		if i := strings.LastIndexAny(p, `\/`); i >= 0 {
			return vm.ToValue(p[:i])
		}
		return vm.ToValue("")
	}, "getparentfoldername")
	o.method(func(goja.FunctionCall) goja.Value { return vm.ToValue("C:") }, "getdrivename")
	o.method(func(c goja.FunctionCall) goja.Value { return vm.ToValue(str(c.Argument(0))) }, "getabsolutepathname")
	o.method(func(goja.FunctionCall) goja.Value {
		d := e.newCOM("Drive")
		// Sandbox checks look for small disks; this one is ordinary.
		d.set("drivetype", 2).set("totalsize", 512e9).set("freespace", 200e9).set("serialnumber", 0x5A3C91E2).set("path", "C:")
		return d.self
	}, "getdrive")
	o.props["drives"] = e.collection("Drives", nil)
	return o.self
}

func (e *emu) folder(p string) goja.Value {
	o := e.newCOM("Folder")
	o.str = func() string { return p }
	o.set("path", p).set("name", baseName(p)).set("shortpath", p)
	o.props["files"] = e.collection("Files", nil)
	o.props["subfolders"] = e.collection("Folders", nil)
	return o.self
}

func (e *emu) fileObject(p string) goja.Value {
	f, ok := e.readFile(p)
	if !ok {
		e.throw("File not found", -2146828235)
	}
	o := e.newCOM("File")
	o.str = func() string { return p }
	o.set("path", p).set("name", baseName(p)).set("size", len(f.data)).set("attributes", 32)
	o.method(func(goja.FunctionCall) goja.Value {
		e.rec.add(evDelete, p, "")
		delete(e.files, fsKey(p))
		return goja.Undefined()
	}, "delete")
	o.method(func(c goja.FunctionCall) goja.Value {
		e.writeFile(str(c.Argument(0)), f.data, f.from, "copy")
		return goja.Undefined()
	}, "copy", "move")
	o.method(func(goja.FunctionCall) goja.Value { return e.textReader(string(f.data)) }, "openastextstream")
	return o.self
}

// textWriter is a TextStream open for writing: the file is recorded when
// it is closed, or when the run ends (wscript.exe flushes at exit).
func (e *emu) textWriter(p string, appendTo bool) goja.Value {
	var b strings.Builder
	var from []string
	if appendTo {
		if f, ok := e.readFile(p); ok {
			b.Write(f.data)
			from = f.from
		}
	}
	o := e.newCOM("TextStream")
	closed := false
	flush := func() {
		if !closed {
			closed = true
			e.writeFile(p, []byte(b.String()), from, "Scripting.FileSystemObject")
		}
	}
	e.atExit = append(e.atExit, flush)
	write := func(s string) {
		if b.Len()+len(s) <= maxFakeFile {
			b.WriteString(s)
		}
		if u := e.fakeBodyURL(s); u != "" {
			from = append(from, u)
		}
	}
	o.method(func(c goja.FunctionCall) goja.Value { write(str(c.Argument(0))); return goja.Undefined() }, "write")
	o.method(func(c goja.FunctionCall) goja.Value { write(str(c.Argument(0)) + "\r\n"); return goja.Undefined() }, "writeline")
	o.method(func(c goja.FunctionCall) goja.Value {
		write(strings.Repeat("\r\n", int(min(max(c.Argument(0).ToInteger(), 0), 1000))))
		return goja.Undefined()
	}, "writeblanklines")
	o.method(func(goja.FunctionCall) goja.Value { flush(); return goja.Undefined() }, "close")
	return o.self
}

func (e *emu) textReader(s string) goja.Value {
	vm := e.vm
	o := e.newCOM("TextStream")
	pos := 0
	o.set("atendofstream", len(s) == 0)
	o.method(func(goja.FunctionCall) goja.Value {
		r := s[pos:]
		pos = len(s)
		o.set("atendofstream", true)
		return vm.ToValue(r)
	}, "readall")
	o.method(func(goja.FunctionCall) goja.Value {
		r := s[pos:]
		if i := strings.IndexByte(r, '\n'); i >= 0 {
			r = r[:i]
			pos += i + 1
		} else {
			pos = len(s)
		}
		o.set("atendofstream", pos >= len(s))
		return vm.ToValue(strings.TrimSuffix(r, "\r"))
	}, "readline")
	o.method(func(c goja.FunctionCall) goja.Value {
		n := int(min(max(c.Argument(0).ToInteger(), 0), int64(len(s)-pos)))
		r := s[pos : pos+n]
		pos += n
		o.set("atendofstream", pos >= len(s))
		return vm.ToValue(r)
	}, "read")
	o.method(func(c goja.FunctionCall) goja.Value {
		pos = min(len(s), pos+int(max(c.Argument(0).ToInteger(), 0)))
		return goja.Undefined()
	}, "skip")
	o.method(func(goja.FunctionCall) goja.Value {
		if i := strings.IndexByte(s[pos:], '\n'); i >= 0 {
			pos += i + 1
		} else {
			pos = len(s)
		}
		return goja.Undefined()
	}, "skipline")
	o.method(func(goja.FunctionCall) goja.Value { return goja.Undefined() }, "close")
	return o.self
}
