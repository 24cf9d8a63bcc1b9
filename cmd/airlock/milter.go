package main

import "context"

func init() {
	commands["milter"] = command{
		summary: "run the milter for Postfix/Sendmail (gate + release loop; sandboxd at sandbox.url)",
		run: func(ctx context.Context, env *cmdEnv, args []string) error {
			return runMailPath(ctx, env, "milter", args)
		},
	}
}
