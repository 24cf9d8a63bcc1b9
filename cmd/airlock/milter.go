package main

import "context"

func init() {
	commands["milter"] = command{
		summary: "run the milter for Postfix/Sendmail (gate + release loop; sandboxd at sandbox.url)",
		usage:   "airlock milter [--config FILE] [--data-dir DIR] [--milter-listen A] [--next-hop A] [--web-listen A] [--ops-listen A] [--internal-networks N,...]",
		example: "airlock milter --config /etc/airlock/airlock.yaml --milter-listen inet:127.0.0.1:7357",
		run: func(ctx context.Context, env *cmdEnv, args []string) error {
			return runMailPath(ctx, env, "milter", args)
		},
	}
}
