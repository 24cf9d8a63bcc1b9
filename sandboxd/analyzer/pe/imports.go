package pe

// What a program's API set says it does. Each API alone is ordinary; the
// combinations are what droppers and injectors need: fetch a file and
// start it, write into another process and run code there, carve out a
// suspended process and refill it. The same table judges three sources of
// names: the import table, API names a program resolves by name at run
// time (GetProcAddress on a string it carries), and the P/Invoke rows of a
// .NET assembly.

import (
	"bytes"
	"debug/pe"
	"sort"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

var (
	// Injection: allocate in another process, write there, run there.
	injectAlloc = []string{"VirtualAllocEx", "VirtualAlloc2", "NtAllocateVirtualMemory", "ZwAllocateVirtualMemory", "NtMapViewOfSection", "ZwMapViewOfSection", "VirtualAlloc"}
	injectWrite = []string{"WriteProcessMemory", "NtWriteVirtualMemory", "ZwWriteVirtualMemory", "NtMapViewOfSection", "ZwMapViewOfSection"}
	injectRun   = []string{"CreateRemoteThread", "CreateRemoteThreadEx", "NtCreateThreadEx", "ZwCreateThreadEx", "RtlCreateUserThread", "QueueUserAPC", "NtQueueApcThread", "NtQueueApcThreadEx", "SetThreadContext", "Wow64SetThreadContext", "NtSetContextThread"}
	hollowing   = []string{"NtUnmapViewOfSection", "ZwUnmapViewOfSection"}
	spawn       = []string{"CreateProcessA", "CreateProcessW", "CreateProcessInternalW", "CreateProcessAsUserA", "CreateProcessAsUserW"}
	setContext  = []string{"SetThreadContext", "Wow64SetThreadContext", "NtSetContextThread"}
	keylog      = []string{"SetWindowsHookExA", "SetWindowsHookExW", "GetAsyncKeyState"}
	dynamic     = []string{"LoadLibraryA", "LoadLibraryW", "LoadLibraryExA", "LoadLibraryExW", "GetProcAddress", "LdrLoadDll", "LdrGetProcedureAddress"}

	// Download: URLDownloadToFile is the dropper's one-call fetch; the
	// WinINet and WinHTTP families are also what updaters use.
	fetchToFile = []string{"URLDownloadToFileA", "URLDownloadToFileW", "URLDownloadToCacheFileA", "URLDownloadToCacheFileW"}
	fetch       = []string{"InternetOpenUrlA", "InternetOpenUrlW", "InternetReadFile", "HttpSendRequestA", "HttpSendRequestW", "WinHttpOpen", "WinHttpReadData", "WinHttpSendRequest", "URLOpenBlockingStreamA", "URLOpenBlockingStreamW", "FtpGetFileA", "FtpGetFileW"}
	execAPIs    = []string{"ShellExecuteA", "ShellExecuteW", "ShellExecuteExA", "ShellExecuteExW", "WinExec", "CreateProcessA", "CreateProcessW", "CreateProcessAsUserA", "CreateProcessAsUserW", "CreateProcessWithTokenW", "CreateProcessInternalW"}
	// Running fetched bytes in memory: make memory executable, start a
	// thread (or a callback) in it.
	memAlloc  = []string{"VirtualAlloc", "VirtualProtect", "NtProtectVirtualMemory", "HeapCreate"}
	memRunner = []string{"CreateThread", "NtCreateThreadEx", "EnumSystemLocalesA", "EnumWindows", "CreateFiber", "SwitchToFiber", "CreateTimerQueueTimer"}
)

// apiNames is the vocabulary of names searched for as strings when a
// program resolves its API at run time.
var apiNames = func() []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range [][]string{injectAlloc, injectWrite, injectRun, hollowing, fetchToFile, fetch, execAPIs} {
		for _, n := range l {
			if !seen[n] && n != "VirtualAlloc" {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}()

// apiSet is a set of API names from one source.
type apiSet map[string]bool

func (s apiSet) first(list []string) string {
	for _, n := range list {
		if s[n] {
			return n
		}
	}
	return ""
}

// judgeAPIs records the combinations s holds. how says where the names
// come from ("imports", "resolves by name", "P/Invoke") and goes into the
// description, so one rule reads the same for all three.
func judgeAPIs(s apiSet, how string, fs *rules.Findings) {
	a, w, r := s.first(injectAlloc), s.first(injectWrite), s.first(injectRun)
	// VirtualAlloc allocates locally; with it the set counts only when the
	// start is a remote one (a remote thread or APC, not a context change).
	remoteStart := r != "" && !contains(setContext, r)
	if a != "" && w != "" && r != "" && (a != "VirtualAlloc" || remoteStart) {
		fs.Add("process-injection", rules.High, how+" the API set for injecting code into another process", a+" "+w+" "+r)
	}
	h := s.first(hollowing)
	switch {
	case h != "" && w != "" && (s.first(setContext) != "" || s["ResumeThread"]):
		fs.Add("process-hollowing", rules.High, how+" the API set for process hollowing", h+" "+w)
	case s.first(spawn) != "" && w != "" && s.first(setContext) != "" && s["ResumeThread"]:
		fs.Add("process-hollowing", rules.High, how+" the API set for process hollowing (start suspended, rewrite, redirect the thread)", s.first(spawn)+" "+w+" "+s.first(setContext))
	}
	x := s.first(execAPIs)
	switch d := s.first(fetchToFile); {
	case d != "" && x != "":
		fs.Add("download-execute", rules.High, how+" the API set that downloads a file and starts it", d+" "+x)
	case s.first(fetch) != "" && x != "":
		fs.Add("download-execute", rules.Medium, how+" both a web client and process start (downloads and runs programs)", s.first(fetch)+" "+x)
	}
	if f := s.first(append(fetchToFile[:len(fetchToFile):len(fetchToFile)], fetch...)); f != "" {
		if m, t := s.first(memAlloc), s.first(memRunner); m != "" && t != "" {
			fs.Add("download-run-memory", rules.High, how+" a web client and the API to run code from memory (fetches and runs shellcode)", f+" "+m+" "+t)
		}
	}
	if s["GetAsyncKeyState"] && s.first(keylog[:2]) != "" {
		fs.Add("keylogger-api", rules.Low, how+" keyboard hooks and key-state polling", "SetWindowsHookEx GetAsyncKeyState")
	}
	if s["IsDebuggerPresent"] && s["CheckRemoteDebuggerPresent"] {
		fs.Add("anti-debug", rules.Low, how+" debugger checks", "IsDebuggerPresent CheckRemoteDebuggerPresent")
	}
}

// imports judges the import table, and the API names a program that
// imports GetProcAddress carries as strings.
func imports(f *pe.File, d []byte, dotnet bool, fs *rules.Findings) {
	syms, err := f.ImportedSymbols()
	if err != nil {
		fs.Add("bad-imports", rules.Medium, "the import table is malformed", err.Error())
		return
	}
	names := apiSet{}
	for _, s := range syms {
		fn, _, _ := strings.Cut(s, ":")
		names[fn] = true
	}
	switch {
	case len(names) == 0 && !dotnet:
		fs.Add("no-imports", rules.Medium, "imports nothing (resolves its API at run time, as packers and shellcode loaders do)", "")
	case !dotnet && len(names) <= 6 && names.first(dynamic) != "":
		var l []string
		for n := range names {
			l = append(l, n)
		}
		sort.Strings(l)
		fs.Add("few-imports", rules.Medium, "imports little more than LoadLibrary/GetProcAddress (resolves its API at run time)", strings.Join(l, " "))
	}
	judgeAPIs(names, "imports", fs)
	if names["GetProcAddress"] || names["LdrGetProcedureAddress"] {
		if byName := resolvedByName(d, names); len(byName) > 0 {
			for n := range names {
				byName[n] = true
			}
			judgeAPIs(byName, "imports and resolves by name", fs)
		}
	}
}

// resolvedByName returns the names of apiNames the file carries as
// NUL-terminated ASCII strings (what GetProcAddress takes) and does not
// import.
func resolvedByName(d []byte, imported apiSet) apiSet {
	out := apiSet{}
	for _, n := range apiNames {
		if imported[n] {
			continue
		}
		pat := []byte(n + "\x00")
		for off := 0; off < len(d); {
			i := bytes.Index(d[off:], pat)
			if i < 0 {
				break
			}
			at := off + i
			// A whole name: not the tail of a longer one.
			if at == 0 || !isIdent(d[at-1]) {
				out[n] = true
				break
			}
			off = at + 1
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isIdent(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}
