// Package all lists every analyzer sandboxd runs. Adding an analyzer is
// one line in registry below (and its own folder under sandboxd/analyzer/).
package all

import (
	"fmt"
	"log/slog"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/archive"
	"github.com/airlockmail/airlock/sandboxd/analyzer/chm"
	"github.com/airlockmail/airlock/sandboxd/analyzer/clamav"
	"github.com/airlockmail/airlock/sandboxd/analyzer/diskimage"
	"github.com/airlockmail/airlock/sandboxd/analyzer/eicar"
	"github.com/airlockmail/airlock/sandboxd/analyzer/filetype"
	"github.com/airlockmail/airlock/sandboxd/analyzer/hashlist"
	"github.com/airlockmail/airlock/sandboxd/analyzer/jar"
	"github.com/airlockmail/airlock/sandboxd/analyzer/jsemu"
	"github.com/airlockmail/airlock/sandboxd/analyzer/lnk"
	"github.com/airlockmail/airlock/sandboxd/analyzer/msi"
	"github.com/airlockmail/airlock/sandboxd/analyzer/msix"
	"github.com/airlockmail/airlock/sandboxd/analyzer/office"
	"github.com/airlockmail/airlock/sandboxd/analyzer/onenote"
	"github.com/airlockmail/airlock/sandboxd/analyzer/pdf"
	"github.com/airlockmail/airlock/sandboxd/analyzer/pe"
	"github.com/airlockmail/airlock/sandboxd/analyzer/script"
	"github.com/airlockmail/airlock/sandboxd/analyzer/shellxml"
	"github.com/airlockmail/airlock/sandboxd/analyzer/urlfile"
	"github.com/airlockmail/airlock/sandboxd/analyzer/xll"
)

// Env is what a constructor may use: the whole configuration (paths are
// resolved with Config.Path) and the logger.
type Env struct {
	Config config.Config
	Logger *slog.Logger
}

// constructor builds one analyzer; it returns (nil, nil) when the analyzer
// is not configured (e.g. clamd without an address) and should not run.
type constructor func(Env) (analyzer.Analyzer, error)

// registry is the list. Keep one line per analyzer.
var registry = []constructor{
	func(Env) (analyzer.Analyzer, error) { return eicar.New(), nil },
	func(Env) (analyzer.Analyzer, error) { return filetype.New(), nil },
	func(e Env) (analyzer.Analyzer, error) {
		return hashlist.Load(e.Config.Path(e.Config.Sandboxd.HashListFile))
	},
	func(Env) (analyzer.Analyzer, error) { return pe.New(), nil },
	func(Env) (analyzer.Analyzer, error) { return office.New(), nil },
	func(Env) (analyzer.Analyzer, error) { return pdf.New(), nil },
	func(Env) (analyzer.Analyzer, error) { return script.New(), nil },
	func(Env) (analyzer.Analyzer, error) { return lnk.New(), nil },
	func(Env) (analyzer.Analyzer, error) { return urlfile.New(), nil },
	func(Env) (analyzer.Analyzer, error) { return shellxml.New(), nil },
	func(Env) (analyzer.Analyzer, error) { return onenote.New(), nil },
	func(Env) (analyzer.Analyzer, error) { return diskimage.New(), nil },
	func(Env) (analyzer.Analyzer, error) { return archive.New(), nil },
	func(Env) (analyzer.Analyzer, error) { return msi.New(), nil },
	func(Env) (analyzer.Analyzer, error) { return jar.New(), nil },
	func(Env) (analyzer.Analyzer, error) { return xll.New(), nil },
	func(Env) (analyzer.Analyzer, error) { return msix.New(), nil },
	func(Env) (analyzer.Analyzer, error) { return chm.New(), nil },
	func(e Env) (analyzer.Analyzer, error) {
		c := e.Config.Sandboxd.JSEmu
		if !c.Enabled {
			return nil, nil
		}
		jc := jsemu.DefaultConfig()
		jc.Timeout, jc.CPU, jc.Memory = c.Timeout, c.CPU, int64(c.Memory)
		return jsemu.New(jc, e.Logger)
	},
	func(e Env) (analyzer.Analyzer, error) {
		c := e.Config.Sandboxd.ClamAV
		if c.Address == "" {
			return nil, nil
		}
		cc := clamav.DefaultConfig()
		cc.Address, cc.Timeout, cc.MaxStreamSize = c.Address, c.Timeout, int64(c.MaxStreamBytes)
		return clamav.New(cc, e.Logger)
	},
}

// Analyzers builds every configured analyzer.
func Analyzers(e Env) ([]analyzer.Analyzer, error) {
	var out []analyzer.Analyzer
	seen := map[string]bool{}
	for _, c := range registry {
		a, err := c(e)
		if err != nil {
			return nil, err
		}
		if a == nil {
			continue
		}
		if seen[a.Name()] {
			return nil, fmt.Errorf("two analyzers are named %q", a.Name())
		}
		seen[a.Name()] = true
		out = append(out, a)
	}
	return out, nil
}
