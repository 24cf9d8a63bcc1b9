package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/airlockmail/airlock/config"
)

const root = "../.."

// compose is the part of the compose file the checks read.
type compose struct {
	Services map[string]struct {
		Image   string   `yaml:"image"`
		Command []string `yaml:"command"`
		Build   struct {
			Context string `yaml:"context"`
			Target  string `yaml:"target"`
		} `yaml:"build"`
		Ports       []string          `yaml:"ports"`
		Expose      []string          `yaml:"expose"`
		Volumes     []any             `yaml:"volumes"`
		Environment map[string]string `yaml:"environment"`
		DependsOn   any               `yaml:"depends_on"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func readFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func loadCompose(t *testing.T) compose {
	t.Helper()
	var c compose
	// yaml.v3 resolves the x-airlock anchor and its merge keys as
	// compose does, so each role's build and volumes are checked as
	// merged.
	if err := yaml.Unmarshal([]byte(readFile(t, "docker-compose.yml")), &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

// flagValue returns the value after name in a command line.
func flagValue(cmd []string, name string) string {
	for i, a := range cmd {
		if a == name && i+1 < len(cmd) {
			return cmd[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

func TestComposeServices(t *testing.T) {
	c := loadCompose(t)
	want := []string{"redis", "sandboxd", "milter", "proxy", "web", "postfix"}
	for _, name := range want {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("service %s missing", name)
		}
	}
	// The Airlock roles run the one image built from the Dockerfile's
	// airlock stage, each with its verb and the compose config.
	verbs := map[string]string{"sandboxd": "sandboxd", "milter": "milter", "proxy": "proxy", "web": "web"}
	for svc, verb := range verbs {
		s := c.Services[svc]
		if s.Build.Target != "airlock" || s.Build.Context != "." {
			t.Errorf("%s: build %+v, want context . target airlock (the anchor merged?)", svc, s.Build)
		}
		if len(s.Command) == 0 || s.Command[0] != verb {
			t.Errorf("%s: command %v, want verb %s", svc, s.Command, verb)
		}
		if got := flagValue(s.Command, "--config"); got != "/etc/airlock/airlock.yaml" {
			t.Errorf("%s: --config %q", svc, got)
		}
		if len(s.Volumes) == 0 {
			t.Errorf("%s: no data volume", svc)
		}
	}
	if c.Services["postfix"].Build.Target != "postfix" {
		t.Errorf("postfix: build target %q, want postfix", c.Services["postfix"].Build.Target)
	}
	for _, v := range []string{"redis-data", "airlock-data", "proxy-data"} {
		if _, ok := c.Volumes[v]; !ok {
			t.Errorf("volume %s not declared", v)
		}
	}
}

func TestComposeRedisIsDurable(t *testing.T) {
	c := loadCompose(t)
	cmd := strings.Join(c.Services["redis"].Command, " ")
	for _, want := range []string{"redis-server", "--appendonly yes", "--appendfsync always"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("redis command %q lacks %q: the hold queue refuses a Redis that does not fsync every write", cmd, want)
		}
	}
}

// TestComposeWiring follows the mail through the files: Postfix calls the
// milter service on the port it listens on, released mail goes to
// Postfix's no-milter port, every role finds sandboxd and Redis by service
// name, and the config the image carries loads.
func TestComposeWiring(t *testing.T) {
	c := loadCompose(t)
	docker := readFile(t, "Dockerfile")
	cfgText := readFile(t, "configs/compose.yaml")
	cfg, err := config.Load(filepath.Join(root, "configs/compose.yaml"))
	if err != nil {
		t.Fatalf("configs/compose.yaml: %v", err)
	}
	if !strings.Contains(docker, "COPY configs/compose.yaml /etc/airlock/airlock.yaml") {
		t.Error("the image does not carry configs/compose.yaml as /etc/airlock/airlock.yaml")
	}
	for _, stage := range []string{"AS build", "AS airlock", "AS postfix"} {
		if !strings.Contains(docker, stage) {
			t.Errorf("Dockerfile lacks stage %q", stage)
		}
	}

	// Postfix → milter.
	m := regexp.MustCompile(`smtpd_milters = inet:([a-z0-9-]+):(\d+)`).FindStringSubmatch(docker)
	if m == nil {
		t.Fatal("Dockerfile's Postfix has no smtpd_milters = inet:HOST:PORT")
	}
	milterListen := flagValue(c.Services["milter"].Command, "--milter-listen")
	if _, ok := c.Services[m[1]]; !ok || m[1] != "milter" {
		t.Errorf("Postfix calls milter host %q, not the milter service", m[1])
	}
	if !strings.HasSuffix(milterListen, ":"+m[2]) {
		t.Errorf("milter listens on %q, Postfix calls port %s", milterListen, m[2])
	}
	if !strings.Contains(docker, "milter_default_action = tempfail") {
		t.Error("Postfix would pass mail unscanned when the milter is away (milter_default_action not tempfail)")
	}

	// Released mail → Postfix's port without the milter.
	hop := flagValue(c.Services["milter"].Command, "--next-hop")
	if hop == "" {
		hop = cfg.Deliver.NextHop
	}
	host, port, _ := strings.Cut(hop, ":")
	if host != "postfix" {
		t.Errorf("milter next hop %q is not the postfix service", hop)
	}
	reinject := regexp.MustCompile(`'` + port + ` inet n - n - - smtpd'\s*\\\s*'  -o syslog_name=[^']*'\s*\\\s*'  -o smtpd_milters='`)
	if !reinject.MatchString(docker) {
		t.Errorf("Postfix has no smtpd on port %s with smtpd_milters emptied (released mail would loop through the milter)", port)
	}
	if up := flagValue(c.Services["proxy"].Command, "--upstream"); up != hop {
		t.Errorf("proxy upstream %q, want Postfix's re-injection port %q", up, hop)
	}

	// Every role → sandboxd and Redis by service name.
	sbxPort := strings.TrimPrefix(flagValue(c.Services["sandboxd"].Command, "--listen"), "0.0.0.0:")
	if cfg.Sandbox.URL != "http://sandboxd:"+sbxPort {
		t.Errorf("sandbox.url %q, sandboxd listens on port %s", cfg.Sandbox.URL, sbxPort)
	}
	for name, addrs := range map[string][]string{"holdqueue": cfg.HoldQueue.Redis.Addrs, "sandboxd": cfg.Sandboxd.Redis.Addrs} {
		if !slices.Equal(addrs, []string{"redis:6379"}) {
			t.Errorf("%s.redis.addrs = %v, want the redis service", name, addrs)
		}
	}
	if cfg.HoldQueue.Backend != "redis" || cfg.Sandboxd.Store != "redis" {
		t.Errorf("roles in separate containers must share Redis: holdqueue %q, sandboxd %q", cfg.HoldQueue.Backend, cfg.Sandboxd.Store)
	}
	if cfg.HoldQueue.Redis.AcceptNoFsync {
		t.Error("compose config accepts a Redis without fsync")
	}
	if !strings.Contains(cfgText, "token_file: sandboxd/client.token") {
		t.Error("the roles do not read sandboxd's generated token from the shared volume")
	}
	// Health checks probe the ops port the config serves.
	for _, svc := range []string{"milter", "proxy"} {
		hc := strings.Join(c.Services[svc].Healthcheck.Test, " ")
		if !strings.Contains(hc, "airlock healthcheck") || !strings.Contains(hc, strings.TrimPrefix(cfg.Ops.Listen, "0.0.0.0")) {
			t.Errorf("%s healthcheck %q does not probe ops.listen %s", svc, hc, cfg.Ops.Listen)
		}
	}
}
