package main

import "context"

func init() {
	commands["proxy"] = command{
		summary: "run the SMTP proxy in front of Exchange (gate + release loop; sandboxd at sandbox.url)",
		run: func(ctx context.Context, env *cmdEnv, args []string) error {
			return runMailPath(ctx, env, "proxy", args)
		},
	}
}
