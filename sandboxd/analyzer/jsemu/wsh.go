package jsemu

import (
	"fmt"
	"path"
	"strings"

	"github.com/dop251/goja"
)

// The fake Windows the script sees: one user, the usual folders.
const (
	fakeUser    = "user"
	fakeProfile = `C:\Users\user`
	fakeTemp    = `C:\Users\user\AppData\Local\Temp`
	fakeAppData = `C:\Users\user\AppData\Roaming`
	fakeStartup = `C:\Users\user\AppData\Roaming\Microsoft\Windows\Start Menu\Programs\Startup`
)

var fakeEnv = map[string]string{
	"TEMP": fakeTemp, "TMP": fakeTemp, "APPDATA": fakeAppData,
	"LOCALAPPDATA": `C:\Users\user\AppData\Local`, "USERPROFILE": fakeProfile,
	"USERNAME": fakeUser, "COMPUTERNAME": "DESKTOP-7Q1K3TB", "USERDOMAIN": "WORKGROUP",
	"WINDIR": `C:\Windows`, "SYSTEMROOT": `C:\Windows`, "SYSTEMDRIVE": "C:",
	"PROGRAMDATA": `C:\ProgramData`, "ALLUSERSPROFILE": `C:\ProgramData`,
	"PROGRAMFILES": `C:\Program Files`, "PROGRAMFILES(X86)": `C:\Program Files (x86)`,
	"PUBLIC": `C:\Users\Public`, "COMSPEC": `C:\Windows\system32\cmd.exe`,
	"HOMEDRIVE": "C:", "HOMEPATH": `\Users\user`, "OS": "Windows_NT",
	"PROCESSOR_ARCHITECTURE": "AMD64", "NUMBER_OF_PROCESSORS": "4",
	"PATHEXT": ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC",
}

var specialFolders = map[string]string{
	"desktop": fakeProfile + `\Desktop`, "startup": fakeStartup,
	"appdata": fakeAppData, "mydocuments": fakeProfile + `\Documents`,
	"templates":       fakeAppData + `\Microsoft\Windows\Templates`,
	"programs":        fakeAppData + `\Microsoft\Windows\Start Menu\Programs`,
	"startmenu":       fakeAppData + `\Microsoft\Windows\Start Menu`,
	"allusersstartup": `C:\ProgramData\Microsoft\Windows\Start Menu\Programs\Startup`,
	"allusersdesktop": `C:\Users\Public\Desktop`, "recent": fakeAppData + `\Microsoft\Windows\Recent`,
	"favorites": fakeProfile + `\Favorites`, "fonts": `C:\Windows\Fonts`,
}

func expandEnv(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			break
		}
		name := s[i+1 : i+1+j]
		if v, ok := fakeEnv[strings.ToUpper(name)]; ok {
			b.WriteString(s[:i])
			b.WriteString(v)
		} else {
			b.WriteString(s[:i+2+j])
		}
		s = s[i+2+j:]
	}
	b.WriteString(s)
	return b.String()
}

// installWSH defines WScript (wscript.exe's object), ActiveXObject,
// GetObject and the JScript host functions.
func (e *emu) installWSH(withWScript bool) {
	vm := e.vm
	_ = vm.Set("ActiveXObject", func(c goja.ConstructorCall) *goja.Object {
		return e.createObject(str(c.Argument(0)))
	})
	_ = vm.Set("GetObject", func(c goja.FunctionCall) goja.Value { return e.getObject(str(c.Argument(0))) })
	_ = vm.Set("ScriptEngine", func(goja.FunctionCall) goja.Value { return vm.ToValue("JScript") })
	_ = vm.Set("ScriptEngineMajorVersion", func(goja.FunctionCall) goja.Value { return vm.ToValue(5) })
	_ = vm.Set("ScriptEngineMinorVersion", func(goja.FunctionCall) goja.Value { return vm.ToValue(8) })
	_ = vm.Set("ScriptEngineBuildVersion", func(goja.FunctionCall) goja.Value { return vm.ToValue(16384) })
	_ = vm.Set("CollectGarbage", func(goja.FunctionCall) goja.Value { return goja.Undefined() })
	_ = vm.Set("Enumerator", func(c goja.ConstructorCall) *goja.Object { return e.enumerator(c.Argument(0)) })
	_ = vm.Set("VBArray", func(c goja.ConstructorCall) *goja.Object {
		v := c.Argument(0)
		o := e.newCOM("VBArray")
		o.method(func(goja.FunctionCall) goja.Value {
			if obj, ok := v.(*goja.Object); ok && obj.ClassName() == "Array" {
				return obj
			}
			if b := e.bodyOf(v); b != nil {
				items := make([]any, len(b.data))
				for i, c := range b.data {
					items[i] = int(c)
				}
				return vm.NewArray(items...)
			}
			return vm.NewArray()
		}, "toarray")
		o.method(func(goja.FunctionCall) goja.Value { return vm.ToValue(0) }, "lbound")
		o.method(func(goja.FunctionCall) goja.Value { return vm.ToValue(-1) }, "ubound")
		o.method(func(goja.FunctionCall) goja.Value { return vm.ToValue(1) }, "dimensions")
		return o.self
	})
	if !withWScript {
		return
	}
	ws := e.newCOM("WScript")
	ws.str = func() string { return "Windows Script Host" }
	ws.method(func(c goja.FunctionCall) goja.Value { return e.createObject(str(c.Argument(0))) }, "createobject")
	ws.method(func(c goja.FunctionCall) goja.Value { return e.getObject(str(c.Argument(0))) }, "getobject")
	ws.method(func(c goja.FunctionCall) goja.Value {
		var parts []string
		for _, a := range c.Arguments {
			parts = append(parts, str(a))
		}
		e.rec.add(evEcho, strings.Join(parts, " "), "")
		return goja.Undefined()
	}, "echo")
	ws.method(func(c goja.FunctionCall) goja.Value {
		// Never sleep: count it (long sleeps are an evasion trait).
		e.rec.sleep(c.Argument(0).ToFloat())
		return goja.Undefined()
	}, "sleep")
	ws.method(func(goja.FunctionCall) goja.Value {
		e.quit = true
		e.vm.Interrupt(errQuit)
		return goja.Undefined()
	}, "quit")
	ws.method(func(goja.FunctionCall) goja.Value { return goja.Undefined() }, "connectobject", "disconnectobject")
	ws.set("scriptfullname", e.scriptPath).set("scriptname", path.Base(strings.ReplaceAll(e.scriptPath, `\`, "/")))
	ws.set("path", `C:\Windows\System32`).set("fullname", `C:\Windows\System32\wscript.exe`)
	ws.set("name", "Windows Script Host").set("version", "5.812").set("buildversion", 16384)
	ws.set("interactive", true).set("timeout", 0)
	args := e.callable(func(goja.FunctionCall) goja.Value { return goja.Undefined() }, 0)
	_ = args.Set("length", 0)
	_ = args.Set("Named", e.callable(func(goja.FunctionCall) goja.Value { return goja.Undefined() }, 0))
	_ = args.Set("Unnamed", e.callable(func(goja.FunctionCall) goja.Value { return goja.Undefined() }, 0))
	ws.props["arguments"] = args
	out := e.newCOM("TextStream")
	out.method(func(c goja.FunctionCall) goja.Value {
		e.rec.add(evEcho, str(c.Argument(0)), "")
		return goja.Undefined()
	}, "write", "writeline", "writeblanklines", "close")
	ws.props["stdout"], ws.props["stderr"] = out.self, out.self
	in := e.newCOM("TextStream")
	in.method(func(goja.FunctionCall) goja.Value { return vm.ToValue("") }, "readline", "readall", "read")
	in.set("atendofstream", true)
	ws.props["stdin"] = in.self
	_ = vm.Set("WScript", ws.self)
	_ = vm.Set("WSH", ws.self)
}

// createObject is new ActiveXObject / WScript.CreateObject.
func (e *emu) createObject(progID string) *goja.Object {
	e.rec.add(evObject, progID, "")
	p := strings.ToLower(strings.TrimSpace(progID))
	switch {
	case p == "wscript.shell":
		return e.shell()
	case p == "scripting.filesystemobject":
		return e.fso()
	case strings.Contains(p, "xmlhttp") || strings.HasPrefix(p, "winhttp.winhttprequest"):
		return e.xhr(progID)
	case p == "adodb.stream":
		return e.stream()
	case p == "shell.application":
		return e.shellApp()
	case p == "wscript.network":
		o := e.newCOM(progID)
		o.set("username", fakeUser).set("computername", fakeEnv["COMPUTERNAME"]).set("userdomain", "WORKGROUP")
		o.permissive = true
		return o.self
	case p == "scripting.dictionary":
		return e.dictionary()
	case strings.Contains(p, "domdocument") || p == "microsoft.xmldom":
		return e.domDocument(progID)
	}
	o := e.newCOM(progID)
	o.permissive = true
	return o.self
}

// getObject is GetObject: WMI monikers, and scriptlets loaded from a URL.
func (e *emu) getObject(moniker string) goja.Value {
	m := strings.ToLower(moniker)
	switch {
	case strings.HasPrefix(m, "winmgmts:"):
		e.rec.add(evObject, "GetObject("+moniker+")", "")
		if strings.Contains(m, "win32_process") && !strings.Contains(m, "startup") {
			return e.wmiClass("Win32_Process")
		}
		return e.wmiService()
	case strings.HasPrefix(m, "script:") || strings.HasPrefix(m, "scriptlet:"):
		u := moniker[strings.IndexByte(moniker, ':')+1:]
		e.fetch(u, "GetObject")
		e.rec.add(evRemoteEval, u, "")
		o := e.newCOM("scriptlet")
		o.permissive = true
		return o.self
	}
	e.rec.add(evObject, "GetObject("+moniker+")", "")
	o := e.newCOM(moniker)
	o.permissive = true
	return o.self
}

// command records a process launch, and links it to a file the script
// wrote when it names one.
func (e *emu) command(cmd, via string) {
	cmd = strings.TrimSpace(cmd)
	e.rec.add(evCommand, cmd, via)
	lc := strings.ToLower(cmd)
	for p := range e.files {
		if p == strings.ToLower(e.scriptPath) {
			continue
		}
		if base := path.Base(strings.ReplaceAll(p, `\`, "/")); base != "" && strings.Contains(lc, base) {
			e.rec.add(evExecFile, p, via)
		}
	}
}

func (e *emu) shell() *goja.Object {
	vm := e.vm
	o := e.newCOM("WScript.Shell")
	o.method(func(c goja.FunctionCall) goja.Value {
		e.command(str(c.Argument(0)), "WScript.Shell.Run")
		return vm.ToValue(0)
	}, "run")
	o.method(func(c goja.FunctionCall) goja.Value {
		e.command(str(c.Argument(0)), "WScript.Shell.Exec")
		x := e.newCOM("WshScriptExec")
		x.set("status", 1).set("exitcode", 0).set("processid", 4242)
		rd := e.newCOM("TextStream")
		rd.method(func(goja.FunctionCall) goja.Value { return vm.ToValue("") }, "readall", "readline", "read")
		rd.set("atendofstream", true)
		wr := e.newCOM("TextStream")
		wr.method(func(c goja.FunctionCall) goja.Value {
			// Text piped into the child (cmd /c ... < script) is a command too.
			if s := str(c.Argument(0)); s != "" {
				e.command(s, "WshScriptExec.StdIn")
			}
			return goja.Undefined()
		}, "write", "writeline")
		wr.method(func(goja.FunctionCall) goja.Value { return goja.Undefined() }, "close")
		x.props["stdout"], x.props["stderr"], x.props["stdin"] = rd.self, rd.self, wr.self
		x.method(func(goja.FunctionCall) goja.Value { return goja.Undefined() }, "terminate")
		return x.self
	}, "exec")
	o.method(func(c goja.FunctionCall) goja.Value {
		e.rec.add(evRegistry, str(c.Argument(0)), str(c.Argument(1)))
		return goja.Undefined()
	}, "regwrite")
	o.method(func(c goja.FunctionCall) goja.Value {
		e.rec.add(evRegistry, str(c.Argument(0)), "(deleted)")
		return goja.Undefined()
	}, "regdelete")
	o.method(func(c goja.FunctionCall) goja.Value {
		k := strings.ToLower(str(c.Argument(0)))
		switch {
		case strings.HasSuffix(k, `\productname`):
			return vm.ToValue("Windows 10 Pro")
		case strings.HasSuffix(k, `\currentbuild`), strings.HasSuffix(k, `\currentbuildnumber`):
			return vm.ToValue("19045")
		}
		return vm.ToValue("")
	}, "regread")
	o.method(func(c goja.FunctionCall) goja.Value { return vm.ToValue(expandEnv(str(c.Argument(0)))) }, "expandenvironmentstrings")
	o.method(func(c goja.FunctionCall) goja.Value {
		e.rec.add(evEcho, str(c.Argument(0)), "")
		return vm.ToValue(1)
	}, "popup")
	o.method(func(goja.FunctionCall) goja.Value { return vm.ToValue(true) }, "appactivate", "sendkeys", "logevent")
	o.method(func(c goja.FunctionCall) goja.Value { return e.shortcut(str(c.Argument(0))) }, "createshortcut")
	envColl := e.callable(func(c goja.FunctionCall) goja.Value {
		return vm.ToValue(fakeEnv[strings.ToUpper(str(c.Argument(0)))])
	}, len(fakeEnv))
	o.props["environment"] = e.callable(func(c goja.FunctionCall) goja.Value { return envColl }, 4)
	o.props["specialfolders"] = e.callable(func(c goja.FunctionCall) goja.Value {
		return vm.ToValue(specialFolders[strings.ToLower(str(c.Argument(0)))])
	}, len(specialFolders))
	o.set("currentdirectory", fakeProfile+`\Downloads`)
	return o.self
}

func (e *emu) shortcut(p string) goja.Value {
	o := e.newCOM("WshShortcut")
	o.set("fullname", p).set("targetpath", "").set("arguments", "").set("workingdirectory", "")
	o.set("windowstyle", 1).set("iconlocation", "").set("description", "").set("hotkey", "")
	o.method(func(goja.FunctionCall) goja.Value {
		target := strings.TrimSpace(str(o.props["targetpath"]) + " " + str(o.props["arguments"]))
		e.writeFile(p, []byte(target), nil, "shortcut")
		e.rec.add(evFile, p, "shortcut to "+target)
		return goja.Undefined()
	}, "save")
	return o.self
}

func (e *emu) shellApp() *goja.Object {
	vm := e.vm
	o := e.newCOM("Shell.Application")
	o.method(func(c goja.FunctionCall) goja.Value {
		cmd := strings.TrimSpace(str(c.Argument(0)) + " " + str(c.Argument(1)))
		via := "Shell.Application.ShellExecute"
		if v := strings.ToLower(str(c.Argument(3))); v != "" && v != "open" {
			via += " (" + v + ")"
		}
		e.command(cmd, via)
		return goja.Undefined()
	}, "shellexecute")
	o.method(func(c goja.FunctionCall) goja.Value {
		e.command(str(c.Argument(0)), "Shell.Application.Open")
		return goja.Undefined()
	}, "open")
	o.method(func(c goja.FunctionCall) goja.Value {
		dir := str(c.Argument(0))
		f := e.folder(dir)
		fo := e.objs[f.(*goja.Object)]
		fo.method(func(c goja.FunctionCall) goja.Value {
			e.rec.add(evFile, dir, "extracted "+str(c.Argument(0)))
			return goja.Undefined()
		}, "copyhere", "movehere")
		fo.method(func(goja.FunctionCall) goja.Value { return e.collection("FolderItems", nil) }, "items")
		return f
	}, "namespace")
	o.method(func(goja.FunctionCall) goja.Value { return e.collection("ShellWindows", nil) }, "windows")
	o.method(func(goja.FunctionCall) goja.Value { return vm.ToValue(0) }, "isservicerunning")
	return o.self
}

func (e *emu) wmiService() *goja.Object {
	o := e.newCOM("SWbemServices")
	o.method(func(c goja.FunctionCall) goja.Value {
		return e.wmiClass(str(c.Argument(0)))
	}, "get")
	o.method(func(c goja.FunctionCall) goja.Value {
		e.rec.add(evWMI, str(c.Argument(0)), "")
		return e.collection("SWbemObjectSet", nil)
	}, "execquery", "instancesof")
	return o.self
}

func (e *emu) wmiClass(class string) *goja.Object {
	e.rec.add(evWMI, class, "")
	o := e.newCOM(class)
	o.method(func(c goja.FunctionCall) goja.Value {
		e.command(str(c.Argument(0)), "WMI Win32_Process.Create")
		return e.vm.ToValue(0)
	}, "create")
	o.method(func(goja.FunctionCall) goja.Value {
		s := e.newCOM(class)
		s.permissive = true
		return s.self
	}, "spawninstance_")
	o.permissive = true
	return o.self
}

// collection is an enumerable COM collection.
func (e *emu) collection(name string, items []goja.Value) *goja.Object {
	o := e.newCOM(name)
	if items == nil {
		items = []goja.Value{}
	}
	o.items = items
	return o.self
}

// enumerator is JScript's Enumerator over a COM collection or an array.
func (e *emu) enumerator(v goja.Value) *goja.Object {
	var items []goja.Value
	if obj, ok := v.(*goja.Object); ok {
		if c := e.objs[obj]; c != nil {
			items = c.items
		} else if n := obj.Get("length"); n != nil && !goja.IsUndefined(n) {
			for i := int64(0); i < n.ToInteger() && i < 1<<16; i++ {
				items = append(items, obj.Get(fmt.Sprint(i)))
			}
		}
	}
	i := 0
	o := e.newCOM("Enumerator")
	o.method(func(goja.FunctionCall) goja.Value { return e.vm.ToValue(i >= len(items)) }, "atend")
	o.method(func(goja.FunctionCall) goja.Value { i++; return goja.Undefined() }, "movenext")
	o.method(func(goja.FunctionCall) goja.Value { i = 0; return goja.Undefined() }, "movefirst")
	o.method(func(goja.FunctionCall) goja.Value {
		if i < len(items) {
			return items[i]
		}
		return goja.Undefined()
	}, "item")
	return o.self
}

func (e *emu) dictionary() *goja.Object {
	vm := e.vm
	o := e.newCOM("Scripting.Dictionary")
	var keys []string
	vals := map[string]goja.Value{}
	o.method(func(c goja.FunctionCall) goja.Value {
		k := str(c.Argument(0))
		if _, ok := vals[k]; !ok {
			keys = append(keys, k)
		}
		vals[k] = c.Argument(1)
		return goja.Undefined()
	}, "add")
	o.method(func(c goja.FunctionCall) goja.Value { _, ok := vals[str(c.Argument(0))]; return vm.ToValue(ok) }, "exists")
	o.method(func(c goja.FunctionCall) goja.Value {
		if v, ok := vals[str(c.Argument(0))]; ok {
			return v
		}
		return goja.Undefined()
	}, "item")
	o.method(func(goja.FunctionCall) goja.Value {
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = k
		}
		return vm.NewArray(out...)
	}, "keys")
	o.method(func(goja.FunctionCall) goja.Value {
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = vals[k]
		}
		return vm.NewArray(out...)
	}, "items")
	o.method(func(c goja.FunctionCall) goja.Value {
		k := str(c.Argument(0))
		delete(vals, k)
		for i, x := range keys {
			if x == k {
				keys = append(keys[:i], keys[i+1:]...)
				break
			}
		}
		return goja.Undefined()
	}, "remove")
	o.method(func(goja.FunctionCall) goja.Value { keys, vals = nil, map[string]goja.Value{}; return goja.Undefined() }, "removeall")
	o.onSet = func(k string, v goja.Value) bool { return false }
	o.props["count"] = vm.ToValue(0)
	orig := o.methods["add"]
	o.methods["add"] = func(c goja.FunctionCall) goja.Value {
		r := orig(c)
		o.props["count"] = vm.ToValue(len(keys))
		return r
	}
	return o.self
}
