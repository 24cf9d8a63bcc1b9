package pe

// Judging .NET assemblies on what their metadata says they call: P/Invoke
// rows (the native API a managed program imports, judged with the same
// table as a native import list), member references (Assembly.Load of a
// byte array, WebClient downloads, Process.Start, Marshal tricks), and the
// user strings (AMSI names, command lines, URLs, base64 executables).

import (
	"bytes"
	"context"
	"debug/pe"
	"sort"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/cmdline"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

// Member references that matter, as "Namespace.Type::Name".
var (
	netLoad   = []string{"System.Reflection.Assembly::Load", "System.AppDomain::Load", "System.Reflection.Assembly::UnsafeLoadFrom"}
	netUnpack = []string{"System.Convert::FromBase64String", "System.Security.Cryptography.SymmetricAlgorithm::CreateDecryptor",
		"System.Reflection.Assembly::GetManifestResourceStream", "System.IO.Compression.GZipStream::.ctor", "System.IO.Compression.DeflateStream::.ctor",
		"System.Net.WebClient::DownloadData", "System.Net.Http.HttpClient::GetByteArrayAsync", "System.Resources.ResourceManager::GetObject"}
	netInvoke   = []string{"System.Reflection.MethodBase::Invoke", "System.Reflection.MethodInfo::Invoke", "System.Activator::CreateInstance", "System.Reflection.Assembly::CreateInstance", "System.Reflection.Assembly::get_EntryPoint", "System.Type::InvokeMember"}
	netDownload = []string{"System.Net.WebClient::DownloadFile", "System.Net.WebClient::DownloadData", "System.Net.WebClient::DownloadString", "System.Net.WebClient::OpenRead",
		"System.Net.WebClient::DownloadFileAsync", "System.Net.WebClient::DownloadDataTaskAsync", "System.Net.Http.HttpClient::GetByteArrayAsync",
		"System.Net.Http.HttpClient::GetStreamAsync", "System.Net.WebRequest::Create", "System.Net.HttpWebRequest::GetResponse"}
	netStart   = []string{"System.Diagnostics.Process::Start", "System.Diagnostics.ProcessStartInfo::set_FileName"}
	netMemExec = []string{"System.Runtime.InteropServices.Marshal::GetDelegateForFunctionPointer", "System.Runtime.InteropServices.Marshal::Copy"}
)

// amsiNames are what AMSI bypasses name: the function they patch and the
// field they flip.
var amsiNames = []string{"amsiscanbuffer", "amsiscanstring", "amsiinitfailed", "amsiutils", "amsi.dll", "amsiopensession", "amsicontext"}

// cmdMarkers select the user strings worth judging as command lines.
var cmdMarkers = []string{"powershell", "pwsh", "cmd", "mshta", "rundll32", "regsvr32", "certutil", "bitsadmin", "wscript", "cscript", "msiexec", "curl", "iex", "-enc", "frombase64", "invoke-", "new-object", "downloadstring"}

// judgeDotNet reads the metadata and judges it; when the metadata cannot
// be read, it says so and falls back to searching the raw bytes.
func judgeDotNet(ctx context.Context, d []byte, f *pe.File, dir pe.DataDirectory, fs *rules.Findings) {
	fs.Add("dotnet", rules.Info, "a .NET program", "")
	m, err := readCLR(d, f, dir)
	if err != nil {
		// The runtime refuses an image whose metadata it cannot read, so
		// this is not a working program; the byte search still runs, for
		// readers more tolerant than this one.
		fs.Add("dotnet-metadata-unreadable", rules.Low, "claims to be a .NET program but its metadata cannot be read", err.Error())
		dotnetLoader(d, fs)
		return
	}
	members := map[string]clrMember{}
	for _, mr := range m.MemberRefs {
		k := mr.Parent + "::" + mr.Name
		if _, ok := members[k]; !ok {
			members[k] = mr
		}
	}
	has := func(list []string) string {
		for _, k := range list {
			if _, ok := members[k]; ok {
				return k[strings.LastIndex(k, ".")+1:]
			}
		}
		return ""
	}

	// P/Invoke: the native API, judged like an import table.
	pinv := apiSet{}
	var pl []string
	for _, p := range m.PInvokes {
		if !pinv[p.Name] {
			pl = append(pl, p.Module+"!"+p.Name)
		}
		pinv[p.Name] = true
	}
	if len(pl) > 0 {
		sort.Strings(pl)
		fs.Add("dotnet-pinvoke", rules.Info, "calls native functions through P/Invoke", strings.Join(pl, " "))
		judgeAPIs(pinv, "declares through P/Invoke", fs)
	}

	// API names held as strings and resolved at run time (D/Invoke:
	// GetProcAddress, then a delegate over the pointer).
	if pinv["GetProcAddress"] || has(netMemExec[:1]) != "" {
		byName := apiSet{}
		for _, s := range m.UserStrings {
			if contains(apiNames, s) || contains(memAlloc, s) || contains(memRunner, s) {
				byName[s] = true
			}
		}
		if len(byName) > 0 {
			for n := range pinv {
				byName[n] = true
			}
			judgeAPIs(byName, "resolves by name", fs)
		}
	}

	// Reflective loading: Assembly.Load of bytes the program decoded,
	// decrypted, decompressed or downloaded.
	load := ""
	for _, k := range netLoad {
		if mr, ok := members[k]; ok && (loadsBytes(mr.Sig) || k != "System.Reflection.Assembly::Load") {
			load = k[strings.LastIndex(k, ".")+1:]
			break
		}
	}
	if load != "" {
		switch u := has(netUnpack); {
		case u != "" && len(m.MemberRefs) > maxLoaderMembers:
			// A framework or a large application references these among
			// thousands of members; a loader is small.
			fs.Add("dotnet-reflective-load", rules.Low, "a large program that can load assemblies from decoded bytes", strings.TrimSpace(u+" "+load))
		case u != "":
			fs.Add("dotnet-reflective-load", rules.High, "decodes bytes and loads them as an assembly in memory (a .NET loader)", strings.TrimSpace(u+" "+load+" "+has(netInvoke)))
		default:
			fs.Add("dotnet-reflective-load", rules.Medium, "loads an assembly from bytes in memory", strings.TrimSpace(load+" "+has(netInvoke)))
		}
	}
	if dl, st := has(netDownload), has(netStart); dl != "" && st != "" {
		fs.Add("dotnet-download-execute", rules.High, "downloads from the network and starts a process", dl+" "+st)
	}
	if mx := has(netMemExec[:1]); mx != "" && (pinv.first(memAlloc) != "" || pinv.first(injectAlloc) != "") {
		fs.Add("dotnet-shellcode", rules.High, "makes native memory executable and calls into it (runs shellcode)", pinv.first(append(memAlloc[:len(memAlloc):len(memAlloc)], injectAlloc...))+" "+mx)
	} else if cp := has(netMemExec[1:]); cp != "" && pinv.first(memAlloc) != "" && pinv.first(memRunner) != "" {
		fs.Add("dotnet-shellcode", rules.High, "copies bytes into executable native memory and starts a thread there (runs shellcode)", pinv.first(memAlloc)+" "+cp+" "+pinv.first(memRunner))
	}

	// Strings: the #US heap and the names the metadata declares.
	var text strings.Builder
	amsi := ""
	all := append(append([]string(nil), m.UserStrings...), pinvNames(m)...)
	for _, s := range all {
		l := strings.ToLower(s)
		for _, a := range amsiNames {
			if amsi == "" && strings.Contains(l, a) {
				amsi = s
			}
		}
		if m, _ := findB64PE([]byte(s)); m != "" {
			fs.Add("base64-executable", rules.High, "carries a Windows executable written as base64 text", m+" in a user string")
		}
		if looksLikeURI(l) {
			judgeURI(s, fs)
		}
		if !strings.ContainsAny(l, " \t") {
			continue // a word or a URL, not a command line
		}
		for _, c := range cmdMarkers {
			if strings.Contains(l, c) {
				text.WriteString(s)
				text.WriteByte('\n')
				break
			}
		}
	}
	if amsi != "" {
		if w := pinv.first([]string{"VirtualProtect", "WriteProcessMemory", "NtProtectVirtualMemory"}); w != "" || has(netMemExec[1:]) != "" {
			fs.Add("amsi-bypass", rules.Critical, "patches AMSI, the interface anti-virus uses to see scripts and assemblies", amsi+" "+w)
		} else {
			fs.Add("amsi-bypass", rules.High, "names AMSI internals (the interface anti-virus uses to see scripts)", amsi)
		}
	}
	if t := text.String(); t != "" && !rules.Done(ctx) {
		judgeCommand(t, fs)
		if st := has(netStart); st != "" && strings.Contains(strings.ToLower(t), "powershell") {
			fs.Add("dotnet-runs-shell", rules.Medium, "starts PowerShell from a .NET program", st)
		}
	}
}

// maxLoaderMembers: assemblies referencing more members than this are
// applications or frameworks, not loader stubs.
const maxLoaderMembers = 1500

// looksLikeURI: a scheme with something after it ("https://host/x",
// "ms-msdt:/id …") or a UNC path — not a bare "file://" prefix constant.
func looksLikeURI(l string) bool {
	if strings.HasPrefix(l, `\\`) {
		return len(l) > 4
	}
	i := strings.Index(l, ":")
	if i < 2 || i > 32 {
		return false
	}
	for _, c := range l[:i] {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.') {
			return false
		}
	}
	rest := l[i+1:]
	// "File: {0}" is a label, not a URI.
	return rest != "" && rest[0] != ' ' && len(strings.TrimLeft(rest, "/")) >= 3
}

// judgeCommand judges the command lines a program carries with the
// shared command-line table.
func judgeCommand(text string, fs *rules.Findings) {
	for _, f := range cmdline.Judge(fs.Analyzer, text) {
		fs.Add(f.Rule, f.Severity, f.Description, f.Evidence)
	}
}

// judgeURI judges one URI (a risky protocol handler, a share).
func judgeURI(uri string, fs *rules.Findings) {
	if f, ok := cmdline.RiskyURI(fs.Analyzer, uri); ok {
		fs.Add(f.Rule, f.Severity, f.Description, f.Evidence)
	}
}

func pinvNames(m *clrMeta) []string {
	out := make([]string, 0, len(m.PInvokes)+len(m.ModuleRefs))
	for _, p := range m.PInvokes {
		out = append(out, p.Name)
	}
	return append(out, m.ModuleRefs...)
}

// loadsBytes reports whether a method signature's first parameter is a
// byte array (Assembly.Load(byte[]) rather than Load(string)).
func loadsBytes(sig []byte) bool {
	if len(sig) < 3 {
		return false
	}
	p := 1
	if sig[0]&0x10 != 0 { // generic: parameter count of the generic
		_, k := compressedUint(sig[p:])
		if k == 0 {
			return false
		}
		p += k
	}
	n, k := compressedUint(sig[p:])
	if k == 0 || n == 0 {
		return false
	}
	p += k
	p = skipType(sig, p, 0) // return type
	return p > 0 && p+1 < len(sig) && sig[p] == 0x1d && sig[p+1] == 0x05
}

// skipType returns the index after the type signature at p, or -1.
func skipType(sig []byte, p, depth int) int {
	if p < 0 || p >= len(sig) || depth > 16 {
		return -1
	}
	switch t := sig[p]; {
	case t >= 0x01 && t <= 0x0e, t == 0x16, t == 0x18, t == 0x19, t == 0x1c:
		return p + 1
	case t == 0x0f, t == 0x10, t == 0x1d, t == 0x45:
		return skipType(sig, p+1, depth+1)
	case t == 0x11, t == 0x12, t == 0x13, t == 0x1e:
		_, k := compressedUint(sig[p+1:])
		if k == 0 {
			return -1
		}
		return p + 1 + k
	case t == 0x1f, t == 0x20: // custom modifier, then the type
		_, k := compressedUint(sig[p+1:])
		if k == 0 {
			return -1
		}
		return skipType(sig, p+1+k, depth+1)
	case t == 0x15: // generic instance: type, count, arguments
		q := skipType(sig, p+1, depth+1)
		if q < 0 {
			return -1
		}
		n, k := compressedUint(sig[q:])
		if k == 0 {
			return -1
		}
		q += k
		for i := uint32(0); i < n && q >= 0 && i < 64; i++ {
			q = skipType(sig, q, depth+1)
		}
		return q
	}
	return -1
}

// dotnetLoader is the byte search for images whose metadata this reader
// cannot parse: the names of the members that load an assembly from
// base64 or a resource and invoke it.
func dotnetLoader(d []byte, fs *rules.Findings) {
	n := 0
	var seen []string
	for _, s := range []string{"FromBase64String", "GetManifestResourceStream", "CreateDecryptor", "\x00Load\x00", "\x00Invoke\x00", "EntryPoint"} {
		if bytes.Contains(d, []byte(s)) {
			n++
			seen = append(seen, strings.Trim(s, "\x00"))
		}
	}
	if n >= 3 && bytes.Contains(d, []byte("\x00Load\x00")) {
		fs.Add("dotnet-loader", rules.High, "a .NET program that decodes and loads another assembly in memory", strings.Join(seen, " "))
	}
}
