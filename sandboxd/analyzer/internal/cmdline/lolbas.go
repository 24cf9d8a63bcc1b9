package cmdline

import (
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/verdict"
)

// lolbin is one row of the living-off-the-land table: a signed Windows
// program (or PowerShell cmdlet) and a use of it that droppers make and
// administrators do not. match returns true when the call is that use.
// See https://lolbas-project.github.io for the catalogue the rows follow.
type lolbin struct {
	progs []string
	rule  string
	sev   verdict.Severity
	desc  string
	match func(c *call) bool
}

// table is the one list of risky uses. Rows for the same program are
// independent: each that matches adds its finding.
var table = []lolbin{
	{[]string{"certutil"}, "lolbin-certutil-download", rules.High, "certutil fetches a file from the network (-urlcache/-verifyctl)",
		func(c *call) bool { return c.flag("-urlcache", "-verifyctl", "-url") && hasURL(c.raw) }},
	{[]string{"certutil"}, "lolbin-certutil-decode", rules.Medium, "certutil decodes a base64 or hex file, a way droppers unpack payloads",
		func(c *call) bool { return c.flag("-decode", "-decodehex") }},
	{[]string{"bitsadmin"}, "lolbin-bitsadmin-download", rules.High, "bitsadmin downloads a file in the background",
		func(c *call) bool { return c.flag("/transfer", "/addfile", "/download") && hasURL(c.raw) }},
	{[]string{"bitsadmin"}, "lolbin-bitsadmin-notify", rules.High, "bitsadmin sets a command to run when a job completes (execution and persistence)",
		func(c *call) bool { return c.flag("/setnotifycmdline") }},
	{[]string{"rundll32"}, "lolbin-rundll32-script", rules.Critical, "rundll32 runs script code through mshtml (javascript:/vbscript:)",
		func(c *call) bool {
			l := strings.ToLower(c.tail)
			return strings.Contains(l, "javascript:") || strings.Contains(l, "vbscript:") || strings.Contains(l, "runhtmlapplication")
		}},
	{[]string{"rundll32"}, "credential-dump", rules.Critical, "rundll32 calls comsvcs MiniDump, the way to dump LSASS memory",
		func(c *call) bool {
			l := strings.ToLower(c.tail)
			return strings.Contains(l, "comsvcs") && strings.Contains(l, "minidump")
		}},
	{[]string{"rundll32"}, "lolbin-rundll32-staged", rules.High, "rundll32 loads a DLL from a user-writable place, a share or WebDAV",
		func(c *call) bool { p := c.positional(); return len(p) > 0 && isStaged(dllPart(p[0])) }},
	{[]string{"rundll32"}, "lolbin-rundll32-disguised", rules.High, "rundll32 loads a DLL that is named as something else (.dat, .png, .tmp …)",
		func(c *call) bool {
			p := c.positional()
			return len(p) > 0 && disguisedDLL(dllPart(p[0]), ".dll", ".cpl", ".ocx", ".drv")
		}},
	{[]string{"rundll32"}, "lolbin-rundll32-proxy", rules.High, "rundll32 opens a staged file or URL through a system DLL export (url.dll, shell32, advpack …)",
		func(c *call) bool {
			l := strings.ToLower(c.tail)
			for _, e := range []string{"openurl", "fileprotocolhandler", "shellexec_rundll", "launchinfsection", "registerocx", "installhinfsection", "routethecall", "launchapplication", "davsetcookie"} {
				if strings.Contains(l, e) {
					_, ok := c.anyArg(func(a string) bool { return isStaged(a) && !strings.HasSuffix(strings.ToLower(a), ".dll") })
					return ok || strings.Contains(l, "davsetcookie")
				}
			}
			return false
		}},
	{[]string{"regsvr32"}, "lolbin-regsvr32-scriptlet", rules.Critical, "regsvr32 runs a remote COM scriptlet (/i:URL scrobj.dll, \"Squiblydoo\")",
		func(c *call) bool {
			l := strings.ToLower(c.tail)
			a, ok := c.flagPrefix("/i:", "-i:")
			return strings.Contains(l, "scrobj") || ok && (hasURL(a) || isRemotePath(a[3:]))
		}},
	{[]string{"regsvr32"}, "lolbin-regsvr32-staged", rules.High, "regsvr32 registers (runs) a DLL from a user-writable place, a share or WebDAV",
		func(c *call) bool { p := c.positional(); return len(p) > 0 && isStaged(p[0]) }},
	{[]string{"regsvr32"}, "lolbin-regsvr32-disguised", rules.High, "regsvr32 runs a DLL that is named as something else",
		func(c *call) bool {
			p := c.positional()
			return len(p) > 0 && disguisedDLL(p[0], ".dll", ".ocx", ".ax", ".cpl", ".acm", ".drv")
		}},
	{[]string{"msiexec"}, "lolbin-msiexec-remote", rules.High, "msiexec installs a package straight from a URL or share",
		func(c *call) bool {
			a, ok := c.anyArg(func(a string) bool { return isURL(a) || isRemotePath(a) })
			return ok && a != ""
		}},
	{[]string{"msiexec"}, "lolbin-msiexec-dll", rules.High, "msiexec loads a DLL (/y, /z), a proxy for running it",
		func(c *call) bool { return c.flag("/y", "/z") }},
	{[]string{"mshta"}, "lolbin-mshta-remote", rules.Critical, "mshta runs an HTML application from a URL or inline script",
		func(c *call) bool {
			l := strings.ToLower(c.tail)
			return hasURL(l) || strings.Contains(l, "javascript:") || strings.Contains(l, "vbscript:") || strings.Contains(l, "about:")
		}},
	{[]string{"mshta"}, "lolbin-mshta-staged", rules.High, "mshta runs an HTML application from a user-writable place or share",
		func(c *call) bool { p := c.positional(); return len(p) > 0 && isStaged(p[0]) }},
	{[]string{"mshta"}, "lolbin-mshta", rules.Medium, "mshta runs an HTML application with full user rights",
		func(c *call) bool { return len(c.positional()) > 0 }},
	{[]string{"conhost"}, "lolbin-conhost-proxy", rules.High, "conhost starts a program (often --headless, with no window)",
		func(c *call) bool { return c.flag("--headless") || len(c.positional()) > 0 }},
	{[]string{"pcalua"}, "lolbin-pcalua-proxy", rules.High, "the Program Compatibility Assistant (pcalua -a) starts a program",
		func(c *call) bool { return c.flag("-a") }},
	{[]string{"msdt"}, "lolbin-msdt-follina", rules.Critical, "msdt is called with a troubleshooter and parameters (Follina, CVE-2022-30190)",
		func(c *call) bool {
			l := strings.ToLower(c.tail)
			return strings.Contains(l, "pcwdiagnostic") || strings.Contains(l, "it_browseforfile") || strings.Contains(l, "it_rebrowseforfile") || strings.Contains(l, "/param")
		}},
	{[]string{"msdt"}, "lolbin-msdt", rules.Medium, "starts the Microsoft Support Diagnostic Tool from a script",
		func(c *call) bool { return true }},
	{[]string{"wscript", "cscript"}, "lolbin-wsh-staged", rules.High, "runs a script from a share, WebDAV, URL or user-writable place",
		func(c *call) bool { s := scriptArg(c); return s != "" && isStaged(s) }},
	{[]string{"wscript", "cscript"}, "lolbin-wsh-engine", rules.High, "forces a script engine onto a file with another extension (//E:)",
		func(c *call) bool {
			_, ok := c.flagPrefix("//e:", "/e:")
			s := scriptArg(c)
			return ok && s != "" && !strings.Contains(".js.jse.vbs.vbe.wsf", ext(s)+".")
		}},
	{[]string{"wmic"}, "lolbin-wmic-exec", rules.High, "wmic starts a process (process call create)",
		func(c *call) bool { return strings.Contains(strings.Join(c.low, " "), "process call create") }},
	{[]string{"wmic"}, "lolbin-wmic-xsl", rules.Critical, "wmic runs a stylesheet with script (/format:, \"SquiblyTwo\")",
		func(c *call) bool {
			a, ok := c.flagPrefix("/format:", "-format:")
			return ok && (hasURL(a) || isStaged(a[8:]) || strings.HasSuffix(a, ".xsl") && strings.ContainsAny(a[8:], `\/`))
		}},
	{[]string{"wmic"}, "shadow-copy-delete", rules.Critical, "deletes shadow copies (ransomware preparation)",
		func(c *call) bool { return strings.Contains(strings.Join(c.low, " "), "shadowcopy delete") }},
	{[]string{"vssadmin"}, "shadow-copy-delete", rules.Critical, "deletes shadow copies (ransomware preparation)",
		func(c *call) bool {
			return c.flag("delete") && c.flag("shadows") || c.flag("resize") && c.flag("shadowstorage")
		}},
	{[]string{"wbadmin"}, "shadow-copy-delete", rules.Critical, "deletes the backup catalog (ransomware preparation)",
		func(c *call) bool {
			return c.flag("delete") && (c.flag("catalog") || c.flag("systemstatebackup") || c.flag("backup"))
		}},
	{[]string{"bcdedit"}, "recovery-disabled", rules.Critical, "disables Windows recovery (ransomware preparation)",
		func(c *call) bool {
			l := strings.Join(c.low, " ")
			return strings.Contains(l, "recoveryenabled no") || strings.Contains(l, "ignoreallfailures")
		}},
	{[]string{"net", "net1"}, "account-admin-add", rules.High, "adds an account to the local administrators",
		func(c *call) bool {
			return c.flag("localgroup") && c.flag("/add") && strings.Contains(strings.Join(c.low, " "), "administrators")
		}},
	{[]string{"net", "net1"}, "account-create", rules.Medium, "creates a local user account",
		func(c *call) bool { return c.flag("user") && c.flag("/add") }},
	{[]string{"net", "net1"}, "webdav-mount", rules.Medium, "maps a WebDAV share over HTTP",
		func(c *call) bool {
			return c.flag("use") && (hasURL(c.raw) || strings.Contains(strings.ToLower(c.raw), "@ssl") || strings.Contains(strings.ToLower(c.raw), "davwwwroot"))
		}},
	{[]string{"mpcmdrun"}, "lolbin-mpcmdrun-download", rules.High, "uses Defender's MpCmdRun to download a file",
		func(c *call) bool { return c.flag("-downloadfile") }},
	{[]string{"mpcmdrun"}, "defender-tamper", rules.Critical, "removes Defender's signatures",
		func(c *call) bool { return c.flag("-removedefinitions") && c.flag("-all") }},
	{[]string{"installutil", "regasm", "regsvcs"}, "lolbin-dotnet-proxy", rules.High, "runs a .NET assembly from a user-writable place through a signed .NET tool",
		func(c *call) bool { _, ok := c.anyArg(isStaged); return ok }},
	{[]string{"msbuild"}, "lolbin-msbuild-staged", rules.High, "builds (and so runs inline tasks of) a project from a user-writable place or share",
		func(c *call) bool {
			p := c.positional()
			return len(p) > 0 && (isStaged(p[0]) || strings.Contains(".xml.txt.log.dat", ext(p[0])+"."))
		}},
	{[]string{"cmstp"}, "lolbin-cmstp", rules.High, "cmstp installs a connection profile (.inf) silently, a known proxy and UAC bypass",
		func(c *call) bool { return c.flag("/s", "/au", "/ns") }},
	{[]string{"odbcconf"}, "lolbin-odbcconf", rules.High, "odbcconf registers a DLL or runs a response file",
		func(c *call) bool {
			l := strings.Join(c.low, " ")
			return strings.Contains(l, "regsvr") || c.flag("-f", "/f")
		}},
	{[]string{"infdefaultinstall", "setupapi"}, "lolbin-inf", rules.High, "installs an .inf file, which can run commands",
		func(c *call) bool { _, ok := c.anyArg(func(a string) bool { return ext(a) == ".inf" }); return ok }},
	{[]string{"hh"}, "lolbin-hh-remote", rules.High, "HTML Help opens a remote or staged help file",
		func(c *call) bool { p := c.positional(); return len(p) > 0 && isStaged(p[0]) }},
	{[]string{"finger"}, "lolbin-finger", rules.High, "finger fetches text from a remote host (used to pull commands)",
		func(c *call) bool { return strings.Contains(c.tail, "@") }},
	{[]string{"syncappvpublishingserver"}, "lolbin-appv-powershell", rules.High, "SyncAppvPublishingServer runs PowerShell commands",
		func(c *call) bool { return len(c.args) > 0 }},
	{[]string{"mavinject"}, "process-injection", rules.Critical, "mavinject injects a DLL into a running process",
		func(c *call) bool { return c.flag("/injectrunning") }},
	{[]string{"msxsl"}, "lolbin-msxsl", rules.High, "msxsl runs script inside a stylesheet",
		func(c *call) bool { return len(c.args) > 0 }},
	{[]string{"ieexec", "presentationhost", "xwizard", "atbroker", "scriptrunner", "diskshadow", "control"}, "lolbin-proxy-staged", rules.High, "a signed Windows tool starts a file from a URL, share or user-writable place",
		func(c *call) bool { _, ok := c.anyArg(isStaged); return ok }},
	{[]string{"esentutl", "expand", "extrac32", "replace", "xcopy", "robocopy", "copy"}, "copy-from-remote", rules.Medium, "copies an executable from a share or WebDAV",
		func(c *call) bool {
			_, ok := c.anyArg(func(a string) bool { return isRemotePath(a) && isExecName(a) })
			return ok
		}},
	{[]string{"reg"}, "credential-hive-dump", rules.Critical, "saves the SAM, SYSTEM or SECURITY hive (credential theft)",
		func(c *call) bool {
			l := strings.Join(c.low, " ")
			return (c.flag("save") || c.flag("export")) && (strings.Contains(l, `hklm\sam`) || strings.Contains(l, `hklm\security`) || strings.Contains(l, `hklm\system `))
		}},
	{[]string{"set-mppreference", "add-mppreference"}, "defender-tamper", rules.Critical, "disables Microsoft Defender or excludes paths from it",
		func(c *call) bool {
			_, d := c.flagPrefix("-disable", "-exclusion")
			return d
		}},
}

// byProg indexes table by program name.
var byProg = func() map[string][]*lolbin {
	m := map[string][]*lolbin{}
	for i := range table {
		for _, p := range table[i].progs {
			m[p] = append(m[p], &table[i])
		}
	}
	return m
}()

// dllPart is the DLL of a rundll32 argument "file.dll,Entry".
func dllPart(a string) string {
	if i := strings.IndexByte(a, ','); i >= 0 {
		return a[:i]
	}
	return a
}

// disguisedDLL reports a DLL argument with a file extension outside ok
// (a bare name such as "shell32" is a system DLL and fine).
func disguisedDLL(a string, ok ...string) bool {
	e := ext(a)
	if e == "" || isURL(a) {
		return false
	}
	for _, x := range ok {
		if e == x {
			return false
		}
	}
	return true
}

// scriptArg is the script a wscript/cscript call runs.
func scriptArg(c *call) string {
	for _, a := range c.args {
		if strings.HasPrefix(a, "//") || strings.HasPrefix(a, "/") && !strings.ContainsAny(a[1:], `/\`) {
			continue
		}
		return a
	}
	return ""
}
