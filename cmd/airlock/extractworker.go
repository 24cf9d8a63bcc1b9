package main

import (
	"context"

	"github.com/airlockmail/airlock/extract"
)

func init() {
	commands["extract-worker"] = command{
		summary: "internal: walk one message in an isolated child process (started by the filter)",
		// No usage: internal, not listed; it speaks a framed protocol on
		// stdin/stdout and takes no flags.
		run: func(ctx context.Context, env *cmdEnv, args []string) error {
			return extract.ServeWorker(env.stdin, env.stdout)
		},
	}
}
