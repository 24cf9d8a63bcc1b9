// Package jar is the sandboxd analyzer for Java archives (.jar, .war):
// zips whose META-INF/MANIFEST.MF names a Main-Class that `java -jar` (or
// a double click, where Java is installed) runs. It reads the constant
// pool of every class file with its own small parser — the pool names
// every class, method and string literal the code can use — and judges
// the combinations droppers need: starting processes (Runtime.exec,
// ProcessBuilder) with shell command lines, fetching from the network and
// running or loading what came back (URLClassLoader, defineClass),
// evaluating scripts (javax.script), plus scripts and programs carried as
// members. A library jar that only computes stays clean.
//
// It promises bounded work: member count, per-member and total bytes are
// budgeted, class parsing never trusts an unchecked length, and ctx is
// checked between members.
package jar

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/launch"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/verdict"
)

// Analyzer judges Java archives.
type Analyzer struct{}

// New returns the JAR analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "jar" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() string { return "1" }

// Budgets for one archive.
const (
	maxMembers = 20000
	maxMember  = 8 << 20
	maxTotal   = 64 << 20
)

// Accepts takes zips that carry a manifest or class files near the start,
// and anything named or typed as a Java archive.
func (*Analyzer) Accepts(f *analyzer.File) bool {
	if rules.HasExt(f.Ext, ".jar", ".war", ".ear") {
		return true
	}
	if !bytes.HasPrefix(f.Data, []byte("PK\x03\x04")) {
		return false // Java source is typed text/x-java: not ours
	}
	head := f.Data[:min(len(f.Data), 1<<16)]
	return strings.Contains(f.Type, "java") || f.Type == "application/jar" ||
		bytes.Contains(head, []byte("META-INF/MANIFEST.MF")) || bytes.Contains(head, []byte(".class"))
}

// traits is what one class can do. The combinations are judged per
// class: a dropper keeps its exec and its download together, while a
// large library jar has one class that runs processes and another that
// fetches URLs, which proves nothing.
type traits struct {
	exec, download, urlLoader, defineClass, scriptEngine, reflect, fileWrite bool
	evidence                                                                 map[string]string
	strs                                                                     []string
}

func (t *traits) note(key, ev string) {
	if _, ok := t.evidence[key]; !ok {
		t.evidence[key] = ev
	}
}

// scan carries one analysis through an archive and the jars nested in it
// (fat jars keep their libraries as BOOT-INF/lib/*.jar).
type scan struct {
	ctx         context.Context
	fs          *rules.Findings
	mainClass   string
	classes     int
	classNames  []string
	total       int
	unscannable string
	inds        []verdict.Indicator
}

// maxNesting is how deep nested jars are followed.
const maxNesting = 1

// Analyze implements analyzer.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	s := &scan{ctx: ctx, fs: &rules.Findings{Analyzer: a.Name()}}
	if err := s.archive(f.Data, "", 0); err != nil {
		return analyzer.Result{Findings: s.fs.List(), Unscannable: "jar: " + err.Error()}, nil
	}
	if s.mainClass != "" {
		s.fs.Add("main-class", rules.Info, "runs as a program (manifest Main-Class)", s.mainClass)
	}
	if s.classes > 0 {
		s.fs.Add("classes", rules.Info, fmt.Sprintf("carries %d class file(s)", s.classes), strings.Join(s.classNames, ", "))
	}
	return analyzer.Result{Findings: s.fs.List(), Indicators: s.inds, Unscannable: s.unscannable}, ctx.Err()
}

func (s *scan) archive(b []byte, prefix string, depth int) error {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return err
	}
	if len(zr.File) > maxMembers {
		return fmt.Errorf("%d members, more than %d", len(zr.File), maxMembers)
	}
	fs := s.fs
	if depth == 0 {
		// The manifest first, wherever it sits: whether the jar runs
		// colours how its classes are judged.
		for _, m := range zr.File {
			if strings.EqualFold(m.Name, "META-INF/MANIFEST.MF") && m.Flags&1 == 0 {
				if data, err := readMember(m, maxMember); err == nil {
					s.mainClass = manifestValue(data, "Main-Class")
					if lc := manifestValue(data, "Launcher-Agent-Class"); lc != "" {
						fs.Add("launcher-agent", rules.Low, "the manifest names a Launcher-Agent-Class that runs before main", lc)
					}
				}
			}
		}
	}
	for _, m := range zr.File {
		if rules.Done(s.ctx) {
			return nil
		}
		name := prefix + m.Name
		lower := strings.ToLower(m.Name)
		if m.Flags&1 != 0 {
			s.unscannable = "jar: encrypted member " + name
			continue
		}
		if m.FileInfo().IsDir() {
			continue
		}
		data, err := readMember(m, min(maxMember, maxTotal-s.total))
		s.total += len(data)
		if err != nil {
			s.unscannable = fmt.Sprintf("jar: member %s: %v", name, err)
			continue
		}
		if rules.ContainsEICAR(data) {
			fs.AddEICAR("jar member " + name)
		}
		switch {
		case strings.HasSuffix(lower, ".class"):
			ci, err := parseClass(data)
			if err != nil {
				fs.Add("malformed-class", rules.Low, "a class file cannot be read", name+": "+err.Error())
				continue
			}
			s.classes++
			if len(s.classNames) < 4 {
				s.classNames = append(s.classNames, ci.name)
			}
			s.inds = append(s.inds, combine(s.ctx, judgeClass(ci), s.mainClass != "", fs)...)
		case strings.HasSuffix(lower, ".jar") && bytes.HasPrefix(data, []byte("PK\x03\x04")):
			if depth >= maxNesting {
				fs.Add("deep-nesting", rules.Low, "nests jars deeper than the analyzer follows", name)
				continue
			}
			if err := s.archive(data, name+"!/", depth+1); err != nil {
				s.unscannable = fmt.Sprintf("jar: nested %s: %v", name, err)
			}
		case bytes.HasPrefix(data, []byte("MZ")):
			fs.Add("embedded-program", rules.Medium, "carries a Windows program as a member", name)
		case isScriptName(lower):
			fs.Add("embedded-script", rules.Low, "carries a Windows script as a member", name)
			if launch.Script(s.ctx, fs, string(data[:min(len(data), 1<<20)]), scriptLang(lower)).Exec {
				fs.Add("embedded-script-runs", rules.Medium, "a script member runs commands", name)
			}
		}
	}
	return nil
}

func readMember(m *zip.File, limit int) ([]byte, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("archive expands past %d bytes", maxTotal)
	}
	rc, err := m.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > limit {
		return nil, fmt.Errorf("expands past %d bytes", limit)
	}
	return data, nil
}

// manifestValue reads one main-section attribute, joining continuation
// lines (a line starting with a space continues the previous one).
func manifestValue(b []byte, key string) string {
	text := strings.ReplaceAll(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n ", "")
	for _, line := range strings.Split(text, "\n") {
		if line == "" {
			break // end of the main section
		}
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), key) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func scriptLang(n string) launch.Lang {
	switch path.Ext(n) {
	case ".vbs", ".vbe":
		return launch.VBScript
	case ".ps1":
		return launch.PowerShell
	case ".bat", ".cmd":
		return launch.Batch
	}
	return launch.JScript
}

func isScriptName(n string) bool {
	switch path.Ext(n) {
	case ".vbs", ".vbe", ".js", ".jse", ".wsf", ".ps1", ".bat", ".cmd", ".hta":
		return true
	}
	return false
}

// Method and class references that matter, by what they let code do.
var (
	execRefs     = []string{"java/lang/Runtime.exec", "java/lang/ProcessBuilder.start", "java/lang/ProcessBuilder.<init>", "java/lang/ProcessBuilder.command"}
	downloadRefs = []string{"java/net/URL.openStream", "java/net/URL.openConnection", "java/net/http/HttpClient.send", "java/nio/channels/Channels.newChannel", "java/net/Socket.getInputStream"}
	writeRefs    = []string{"java/io/FileOutputStream.<init>", "java/nio/file/Files.copy", "java/nio/file/Files.write"}
	defineRefs   = []string{"java/lang/ClassLoader.defineClass", "java/lang/invoke/MethodHandles$Lookup.defineClass", "java/security/SecureClassLoader.defineClass"}
	scriptRefs   = []string{"javax/script/ScriptEngineManager.<init>", "javax/script/ScriptEngine.eval", "javax/script/ScriptEngineManager.getEngineByName"}
	reflectRefs  = []string{"java/lang/reflect/Method.invoke", "java/lang/Class.forName"}
)

func hasRef(refs []string, want []string) string {
	for _, r := range refs {
		for _, w := range want {
			if r == w {
				return r
			}
		}
	}
	return ""
}

func judgeClass(ci *classInfo) *traits {
	t := &traits{evidence: map[string]string{}, strs: ci.strs}
	for _, set := range []struct {
		refs []string
		flag *bool
		key  string
	}{
		{execRefs, &t.exec, "exec"}, {downloadRefs, &t.download, "download"}, {writeRefs, &t.fileWrite, "write"},
		{defineRefs, &t.defineClass, "define"}, {scriptRefs, &t.scriptEngine, "script"}, {reflectRefs, &t.reflect, "reflect"},
	} {
		if r := hasRef(ci.refs, set.refs); r != "" {
			*set.flag = true
			t.note(set.key, ci.name+": "+strings.ReplaceAll(r, "/", "."))
		}
	}
	for _, c := range ci.classes {
		if c == "java/net/URLClassLoader" {
			t.urlLoader = true
			t.note("loader", ci.name+": java.net.URLClassLoader")
		}
	}
	return t
}

// combine turns one class's traits into findings: each capability alone
// is common in honest code; the combinations are what droppers do.
func combine(ctx context.Context, t *traits, runnable bool, fs *rules.Findings) []verdict.Indicator {
	var urls, shells []string
	for _, s := range t.strs {
		ls := strings.ToLower(s)
		if strings.HasPrefix(ls, "http://") || strings.HasPrefix(ls, "https://") || strings.HasPrefix(ls, "ftp://") {
			urls = append(urls, s)
		}
		if launch.Program(s) != "" {
			shells = append(shells, s)
		}
	}
	sort.Strings(urls)
	var inds []verdict.Indicator
	for _, u := range urls[:min(len(urls), 8)] {
		inds = append(inds, verdict.Indicator{Kind: "url", Value: u})
	}
	if t.exec {
		fs.Add("runs-processes", rules.Low, "can start other programs (Runtime.exec / ProcessBuilder)", t.evidence["exec"])
		for _, s := range shells {
			fs.Add("runs-shell", rules.High, "starts a shell or script interpreter ("+launch.Program(s)+")", s)
			launch.Command(ctx, fs, s)
		}
	}
	if t.exec && t.download {
		fs.Add("download-execute", rules.High, "fetches from the network and starts programs", t.evidence["download"]+"; "+t.evidence["exec"])
	}
	if t.urlLoader {
		sev := rules.Low
		if len(urls) > 0 {
			sev = rules.High
		}
		fs.Add("remote-class-loading", sev, "loads classes through a URLClassLoader (code fetched at run time)", t.evidence["loader"]+" "+strings.Join(urls[:min(len(urls), 2)], " "))
	}
	if t.defineClass {
		sev := rules.Low
		if t.download || t.reflect {
			sev = rules.Medium
		}
		fs.Add("defines-classes", sev, "defines classes from bytes it holds or fetched (in-memory stage)", t.evidence["define"])
	}
	if t.scriptEngine {
		sev := rules.Low
		if t.download || t.exec {
			sev = rules.High
		}
		fs.Add("script-engine", sev, "evaluates scripts through javax.script", t.evidence["script"])
	}
	if t.download && t.fileWrite && runnable {
		fs.Add("download-save", rules.Medium, "a runnable jar that fetches from the network and writes files", t.evidence["download"]+"; "+t.evidence["write"])
	}
	return inds
}
