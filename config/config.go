// Package config is Airlock's one configuration file: a typed struct with a
// doc comment on every field, strict YAML loading (unknown keys are errors),
// defaults next to the fields, and validation that reports every problem at
// once with its path (`policy.hold.timeout: must be > 0`).
//
// Each part of Airlock takes its own section (Policy, Extract, Sandboxd,
// HoldQueue, ...); the sections are plain data with no behaviour beyond
// validation, so every package may import this one.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Config is the whole file.
type Config struct {
	// DataDir holds the embedded stores, keys and generated secrets.
	// Relative paths elsewhere in the file are relative to it.
	DataDir string `yaml:"data_dir"`
	// Node names this process in histories and leases (default: host name).
	Node string `yaml:"node"`
	// Log says how to log.
	Log Log `yaml:"log"`
	// Policy is what is scanned and what happens on each verdict.
	Policy Policy `yaml:"policy"`
	// Extract bounds the walk through a message and its containers.
	Extract Extract `yaml:"extract"`
	// Sandbox is how the filter reaches sandboxd.
	Sandbox Sandbox `yaml:"sandbox"`
	// Sandboxd configures the sandbox daemon itself.
	Sandboxd Sandboxd `yaml:"sandboxd"`
	// HoldQueue is the postpone queue and quarantine store.
	HoldQueue HoldQueue `yaml:"holdqueue"`
	// Release applies verdicts and deadlines to held mail.
	Release Release `yaml:"release"`
	// Deliver is the SMTP client to the next hop.
	Deliver Deliver `yaml:"deliver"`
	// Milter is the milter server for Postfix and Sendmail.
	Milter Milter `yaml:"milter"`
	// Proxy is the SMTP proxy in front of Exchange (or any upstream).
	Proxy Proxy `yaml:"proxy"`
	// Web is the admin page.
	Web Web `yaml:"web"`
	// Ops is where /metrics, /healthz and /readyz are served.
	Ops Ops `yaml:"ops"`
	// Admin is the local admin API the CLI uses while the process holds
	// the embedded store.
	Admin Admin `yaml:"admin"`
}

// Log says how to log.
type Log struct {
	// Format is "text" or "json". Default text.
	Format string `yaml:"format"`
	// Level is debug, info, warn or error. Default info.
	Level string `yaml:"level"`
}

// Default returns a configuration with every default filled in.
func Default() Config {
	c := Config{
		DataDir: "/var/lib/airlock",
		Log:     Log{Format: "text", Level: "info"},
	}
	c.Policy = DefaultPolicy()
	c.Extract = DefaultExtract()
	c.Sandbox = DefaultSandbox()
	c.Sandboxd = DefaultSandboxd()
	c.HoldQueue = DefaultHoldQueue()
	c.Release = DefaultRelease()
	c.Deliver = DefaultDeliver()
	c.Milter = DefaultMilter()
	c.Proxy = DefaultProxy()
	c.Web = DefaultWeb()
	c.Ops = DefaultOps()
	c.Admin = DefaultAdmin()
	return c
}

// Problems collects validation errors with their paths.
type Problems struct{ list []string }

// Addf records one problem at path.
func (p *Problems) Addf(path, format string, args ...any) {
	p.list = append(p.list, path+": "+fmt.Sprintf(format, args...))
}

// Err returns nil when there were no problems, or an *Error listing them.
func (p *Problems) Err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &Error{Problems: append([]string(nil), p.list...)}
}

// Error is every problem found in a configuration, each "path: message".
type Error struct {
	File     string
	Problems []string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		fmt.Fprintf(&b, "%s: ", e.File)
	}
	fmt.Fprintf(&b, "%d configuration problem(s):", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p)
	}
	return b.String()
}

// Load reads, checks and validates the file at path. The error, when not
// nil, is an *Error listing every problem found.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	c, err := Parse(data)
	var ce *Error
	if errors.As(err, &ce) {
		ce.File = path
	}
	if err == nil && !filepath.IsAbs(c.DataDir) {
		// Relative data dirs are relative to the config file, so that an
		// example config works from any working directory.
		c.DataDir = filepath.Join(filepath.Dir(path), c.DataDir)
	}
	return c, err
}

// Parse decodes YAML onto the defaults and validates the result.
func Parse(data []byte) (Config, error) {
	c := Default()
	var p Problems
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		p.Addf("(file)", "%v", err)
		return c, p.Err()
	}
	if len(root.Content) > 0 {
		checkKeys(root.Content[0], reflect.TypeOf(c), "", &p)
		if err := root.Content[0].Decode(&c); err != nil {
			var te *yaml.TypeError
			if errors.As(err, &te) {
				for _, e := range te.Errors {
					p.Addf("(value)", "%s", e)
				}
			} else {
				p.Addf("(file)", "%v", err)
			}
		}
	}
	c.Validate(&p)
	return c, p.Err()
}

// Validate checks the whole configuration, adding every problem to p.
func (c *Config) Validate(p *Problems) {
	switch c.Log.Format {
	case "text", "json":
	default:
		p.Addf("log.format", "must be text or json, not %q", c.Log.Format)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		p.Addf("log.level", "must be debug, info, warn or error, not %q", c.Log.Level)
	}
	if c.DataDir == "" {
		p.Addf("data_dir", "must be set")
	}
	c.Policy.Validate("policy", p)
	c.Extract.Validate("extract", p)
	c.Sandbox.Validate("sandbox", p)
	c.Sandboxd.Validate("sandboxd", p)
	c.HoldQueue.Validate("holdqueue", p)
	c.Release.Validate("release", p)
	c.Deliver.Validate("deliver", p)
	c.Ops.Validate("ops", p)
	c.Admin.Validate("admin", p)
	c.Milter.Validate("milter", p)
	c.Proxy.Validate("proxy", p)
	c.Web.Validate("web", p)
}

// Warnings lists settings that are valid but narrower than they read,
// each with its path; `airlock check-config` prints them.
func (c *Config) Warnings() []string {
	return c.Sandbox.Warnings("sandbox")
}

// Path resolves a path from the file against DataDir when it is relative.
func (c *Config) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.DataDir, p)
}

// checkKeys walks a YAML mapping against a struct type and reports every
// key the struct does not have, with its dotted path and line, so that a
// typo is an error rather than a silently ignored setting.
func checkKeys(n *yaml.Node, t reflect.Type, path string, p *Problems) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // the decoder reports the type mismatch
		}
		if _, ok := reflect.New(t).Interface().(yaml.Unmarshaler); ok {
			return
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			fields[name] = f.Type
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			kp := join(path, k.Value)
			ft, ok := fields[k.Value]
			if !ok {
				p.Addf(kp, "unknown key (line %d; known keys: %s)", k.Line, known(fields))
				continue
			}
			checkKeys(v, ft, kp, p)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, e := range n.Content {
			checkKeys(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), p)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			checkKeys(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), p)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func known(fields map[string]reflect.Type) string {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Marshal writes c as YAML (used by tests and `check-config --print`).
func Marshal(c Config) ([]byte, error) {
	var b bytes.Buffer
	e := yaml.NewEncoder(&b)
	e.SetIndent(2)
	if err := e.Encode(c); err != nil {
		return nil, err
	}
	return b.Bytes(), e.Close()
}
