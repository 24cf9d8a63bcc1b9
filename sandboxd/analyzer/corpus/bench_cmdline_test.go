package corpus

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/inproc"
)

// About 500 KB of each format of issue 15's families 1 and 2, built from
// the constructs the deobfuscators and parsers work on (set variables and
// substrings, concatenation and -f, Chr chains and Replace, many
// locations), clean so that every analyzer runs to the end.

const benchSize = 500 << 10

// repeatTo repeats the output of part(i) until size bytes are written.
func repeatTo(size int, head string, part func(i int) string, tail string) []byte {
	var b strings.Builder
	b.WriteString(head)
	for i := 0; b.Len() < size-len(tail); i++ {
		b.WriteString(part(i))
	}
	b.WriteString(tail)
	return []byte(b.String())
}

func typicalBatch() []byte {
	return repeatTo(benchSize, "@echo off\r\nsetlocal enabledelayedexpansion\r\n", func(i int) string {
		return fmt.Sprintf("set \"dir%d=C:\\Data\\Project%d\"\r\nset name%d=report%d\r\nset name%d=%%name%d:report=Report%%\r\n"+
			"if exist \"%%dir%d%%\\%%name%d%%.xlsx\" xcopy /y \"%%dir%d%%\\%%name%d%%.xlsx\" \"C:\\Backup\\%%date:~-4,4%%\\\" >nul\r\n"+
			"echo !name%d! copied ^& checked\r\n", i, i, i, i, i, i, i, i, i, i, i)
	}, "echo done\r\n")
}

func typicalPS() []byte {
	return repeatTo(benchSize, "param([string]$Root = 'C:\\Reports')\n", func(i int) string {
		return fmt.Sprintf("$title%d = 'Section' + ' ' + '%d'\n$line%d = ('{0}: {1}' -f $title%d, (Get-Date))\n"+
			"$cols%d = ('Name', 'Size', 'Owner') -join ','\nGet-ChildItem (Join-Path $Root '%d') | ForEach-Object { $_.Name + [char]44 + $_.Length } | Out-File -Append \"$Root\\index%d.csv\"\n"+
			"Write-Host $line%d\n", i, i, i, i, i, i, i, i)
	}, "Write-Host 'done'\n")
}

func typicalVBS() []byte {
	return repeatTo(benchSize, "Option Explicit\r\nDim fso, sh, q\r\nSet fso = CreateObject(\"Scripting.FileSystemObject\")\r\nq = Chr(34)\r\n", func(i int) string {
		return fmt.Sprintf("Dim p%d\r\np%d = Replace(\"C:\\Reports\\NAME.txt\", \"NAME\", \"r\" & \"e\" & \"port%d\")\r\n"+
			"If fso.FileExists(p%d) Then WScript.Echo \"found \" & q & p%d & q\r\n", i, i, i, i, i)
	}, "WScript.Echo \"done\"\r\n")
}

func typicalURL() []byte {
	return repeatTo(benchSize, "[{000214A0-0000-0000-C000-000000000046}]\r\nProp3=19,11\r\n[InternetShortcut]\r\nURL=https://intranet.example.com/wiki\r\nIconFile=C:\\Windows\\System32\\shell32.dll\r\nIconIndex=13\r\n", func(i int) string {
		return fmt.Sprintf("; note %d: opened from the onboarding mail, see the wiki page for details\r\n", i)
	}, "HotKey=0\r\n")
}

func typicalLibrary() []byte {
	return repeatTo(benchSize, `<?xml version="1.0" encoding="UTF-8"?>
<libraryDescription xmlns="http://schemas.microsoft.com/windows/2009/library"><name>Projects</name><version>6</version>
<iconReference>imageres.dll,-1002</iconReference><searchConnectorDescriptionList>
`, func(i int) string {
		return fmt.Sprintf("<searchConnectorDescription><isSupported>true</isSupported><simpleLocation><url>C:\\Projects\\Folder%d</url></simpleLocation></searchConnectorDescription>\n", i)
	}, "</searchConnectorDescriptionList></libraryDescription>\n")
}

func typicalLinksHTML() []byte {
	return repeatTo(benchSize, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Links</title></head><body>\n", func(i int) string {
		return fmt.Sprintf("<p>Item %d: <a href=\"https://www.example.org/item/%d\">details</a> · <a href=\"mailto:sales@example.org?subject=%d\">ask</a> · search: our catalogue, file: the form</p>\n", i, i, i)
	}, "</body></html>\n")
}

var familyBench = []struct {
	name string
	data func() []byte
}{
	{"backup.bat", typicalBatch},
	{"report.ps1", typicalPS},
	{"report.vbs", typicalVBS},
	{"wiki.url", typicalURL},
	{"projects.library-ms", typicalLibrary},
	{"links.html", typicalLinksHTML},
}

// BenchmarkFamilies judges 500 KB of each format beside the baseline
// (eicar, filetype, hashlist), as BenchmarkTypicalDocx does. Besides
// ns/op it reports cpu-ms/op, the process CPU time per file: on a shared
// machine wall time measures the neighbours, CPU time the analyzers.
func BenchmarkFamilies(b *testing.B) {
	for _, tc := range familyBench {
		data := tc.data()
		all := analyzers(b)
		var base []analyzer.Analyzer
		for _, a := range all {
			switch a.Name() {
			case "eicar", "filetype", "hashlist":
				base = append(base, a)
			}
		}
		b.Run(tc.name+"/baseline", func(b *testing.B) { benchCPU(b, base, tc.name, data) })
		b.Run(tc.name+"/all", func(b *testing.B) { benchCPU(b, all, tc.name, data) })
	}
}

func benchCPU(b *testing.B, as []analyzer.Analyzer, name string, data []byte) {
	start := cpuTime()
	benchWith(b, as, name, data)
	b.ReportMetric(float64((cpuTime()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The benchmark files are about 500 KB and clean.
func TestFamilyBenchFiles(t *testing.T) {
	as := analyzers(t)
	for _, tc := range familyBench {
		data := tc.data()
		if n := len(data); n < 450<<10 || n > 600<<10 {
			t.Errorf("%s: %d bytes, want about 500 KB", tc.name, n)
		}
		rep := inproc.Run(context.Background(), as, analyzer.DefaultScoring(), inproc.File(tc.name, data), time.Minute)
		if rep.Verdict != "clean" {
			t.Errorf("%s: %s, want clean: %s", tc.name, rep.Verdict, findings(rep))
		}
	}
}
