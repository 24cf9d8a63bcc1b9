package cmdline

import (
	"path"
	"strings"
)

// isURL reports a network URL the command would fetch from.
func isURL(s string) bool {
	s = strings.ToLower(strings.Trim(s, `"'()[] `))
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "ftp://")
}

// hasURL reports a network URL anywhere in s.
func hasURL(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "http://") || strings.Contains(l, "https://") || strings.Contains(l, "ftp://")
}

// isRemotePath reports a path that Windows opens over the network: UNC
// (\\host\share, //host/share), WebDAV (host@SSL, DavWWWRoot) and file
// URLs with a host. \\?\ and \\.\ are local device paths.
func isRemotePath(s string) bool {
	l := strings.ToLower(strings.Trim(s, `"'()[] `))
	if strings.HasPrefix(l, `\\?\`) || strings.HasPrefix(l, `\\.\`) {
		return false
	}
	if strings.HasPrefix(l, `\\`) && len(l) > 2 || strings.HasPrefix(l, "//") && len(l) > 2 && l[2] != '/' {
		return true
	}
	if strings.Contains(l, "davwwwroot") || strings.Contains(l, "@ssl") {
		return true
	}
	if strings.HasPrefix(l, "file:") {
		h := strings.TrimLeft(l[len("file:"):], "/\\")
		rest := strings.TrimPrefix(l[len("file:"):], "//")
		// file:///C:/x and file://localhost/x are local; file://host/x
		// and file:////host/x are not.
		if strings.HasPrefix(l[len("file:"):], "////") || strings.HasPrefix(l[len("file:"):], `\\`) {
			return true
		}
		if strings.HasPrefix(l[len("file:"):], "//") && !strings.HasPrefix(rest, "/") && !strings.HasPrefix(rest, "localhost/") && !(len(h) >= 2 && h[1] == ':') {
			return true
		}
	}
	return false
}

// userWritable lists the places a dropper writes to: everything a user can
// write without elevation and that no installed program runs from.
var userWritable = []string{
	"%temp%", "%tmp%", "%appdata%", "%localappdata%", "%public%", "%userprofile%", "%programdata%", "%homepath%",
	"$env:temp", "$env:tmp", "$env:appdata", "$env:localappdata", "$env:public", "$env:userprofile", "$env:programdata",
	"$home", "[io.path]::gettemppath", "gettempfilename", `\appdata\`, `\temp\`, `\tmp\`, `\users\public\`, `\programdata\`,
	`\downloads\`, `\windows\tasks\`, `\perflogs\`, `\start menu\programs\startup`, `~\`, `%~dp0`,
}

// isUserWritable reports a path in a user-writable place.
func isUserWritable(s string) bool {
	l := strings.ToLower(s)
	for _, u := range userWritable {
		if strings.Contains(l, u) {
			return true
		}
	}
	return false
}

// isStaged reports a path a dropper would have put there: remote, a URL,
// or user-writable.
func isStaged(s string) bool {
	return isURL(s) || isRemotePath(s) || isUserWritable(s)
}

// baseName is the last element of a Windows or URL path, lower case,
// without quotes and a ",Entry" suffix (rundll32 syntax).
func baseName(s string) string {
	s = strings.ToLower(strings.Trim(s, `"'() `))
	if i := strings.IndexByte(s, ','); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 && isURL(s) {
		s = s[:i]
	}
	if i := strings.LastIndexAny(s, `\/`); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// ext is the lower-case extension of a path (with the dot).
func ext(s string) string { return path.Ext(baseName(s)) }

// execExts are the extensions Windows runs or hands to an interpreter.
var execExts = map[string]bool{
	".exe": true, ".dll": true, ".scr": true, ".com": true, ".pif": true, ".cpl": true, ".msi": true,
	".hta": true, ".js": true, ".jse": true, ".vbs": true, ".vbe": true, ".wsf": true, ".ps1": true,
	".bat": true, ".cmd": true, ".lnk": true, ".jar": true, ".ocx": true, ".sct": true, ".msp": true,
	".appx": true, ".msix": true, ".appinstaller": true, ".inf": true, ".xll": true, ".url": true,
}

// isExecName reports a file name Windows runs.
func isExecName(s string) bool { return execExts[ext(s)] }
