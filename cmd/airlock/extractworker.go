package main

import (
	"context"

	"github.com/airlockmail/airlock/extract"
)

func init() {
	commands["extract-worker"] = command{
		summary: "internal: walk one message in an isolated child process (started by the filter)",
		run: func(ctx context.Context, env *cmdEnv, args []string) error {
			return extract.ServeWorker(env.stdin, env.stdout)
		},
	}
}
