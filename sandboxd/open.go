package sandboxd

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/store"
	"github.com/airlockmail/airlock/seal"
)

// Setup is what Open did, for the operator: where the generated secrets
// are.
type Setup struct {
	TokensFile, ClientTokenFile, WebTokenFile, AdminTokenFile, KeyFile string
	KeyCreated                                                         bool
	// TokenNotes say which token files were created or changed (roles
	// added to an older install's tokens).
	TokenNotes []string
}

// Open builds a Daemon from the whole configuration: the store it names,
// the sample key (created when missing), the tokens (created when
// missing). close releases the store.
func Open(ctx context.Context, c config.Config, analyzers []analyzer.Analyzer, log *slog.Logger) (d *Daemon, setup Setup, close func() error, err error) {
	sc := c.Sandboxd
	// Like every other path in the file, the certificate and key are
	// relative to data_dir (a unit's working directory is "/").
	sc.TLS.CertFile, sc.TLS.KeyFile = c.Path(sc.TLS.CertFile), c.Path(sc.TLS.KeyFile)
	setup.KeyFile = c.Path(sc.KeyFile)
	setup.TokensFile = c.Path(sc.TokensFile)
	setup.ClientTokenFile = c.Path(sc.ClientTokenFile)
	if sc.WebTokenFile != "" {
		setup.WebTokenFile = c.Path(sc.WebTokenFile)
	}
	if sc.AdminTokenFile != "" {
		setup.AdminTokenFile = c.Path(sc.AdminTokenFile)
	}
	key, kc, err := seal.LoadOrCreateKeyFile(setup.KeyFile)
	if err != nil {
		return nil, setup, nil, fmt.Errorf("sample key: %w", err)
	}
	setup.KeyCreated = kc
	tokens, notes, err := LoadOrCreateTokens(setup.TokensFile, TokenFiles{Filter: setup.ClientTokenFile,
		Web: setup.WebTokenFile, Admin: setup.AdminTokenFile})
	if err != nil {
		return nil, setup, nil, err
	}
	setup.TokenNotes = notes
	for _, n := range notes {
		log.Info("sandboxd tokens: " + n)
	}
	var st store.Store
	switch sc.Store {
	case "redis":
		pw := ""
		if sc.Redis.PasswordFile != "" {
			b, err := os.ReadFile(c.Path(sc.Redis.PasswordFile))
			if err != nil {
				return nil, setup, nil, fmt.Errorf("redis password: %w", err)
			}
			pw = strings.TrimSpace(string(b))
		}
		client := store.NewRedisClient(redis.UniversalOptions{
			Addrs: sc.Redis.Addrs, MasterName: sc.Redis.MasterName, Username: sc.Redis.Username,
			Password: pw, DB: sc.Redis.DB,
			DialTimeout: sc.Redis.Timeout, ReadTimeout: sc.Redis.Timeout, WriteTimeout: sc.Redis.Timeout,
		})
		rs, err := store.OpenRedis(ctx, store.RedisOptions{Client: client, Prefix: sc.Redis.Prefix,
			ClaimTimeout: sc.ClaimTimeout, EventsKept: sc.EventsKept})
		if err != nil {
			client.Close()
			return nil, setup, nil, err
		}
		st = rs
		close = func() error { rs.Close(); return client.Close() }
	default:
		bs, err := store.OpenBolt(store.BoltOptions{Dir: c.Path("sandboxd"), ClaimTimeout: sc.ClaimTimeout, EventsKept: sc.EventsKept})
		if err != nil {
			return nil, setup, nil, err
		}
		st = bs
		close = bs.Close
	}
	d, err = New(ctx, Options{Config: sc, Store: st, Key: key, Tokens: tokens, Analyzers: analyzers, Logger: log, Node: c.Node})
	if err != nil {
		close()
		return nil, setup, nil, err
	}
	return d, setup, close, nil
}
