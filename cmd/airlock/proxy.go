package main

import "context"

func init() {
	commands["proxy"] = command{
		summary: "run the SMTP proxy in front of Exchange (gate + release loop; sandboxd at sandbox.url)",
		usage:   "airlock proxy [--config FILE] [--data-dir DIR] [--proxy-listen A] [--upstream A] [--next-hop A] [--web-listen A] [--ops-listen A] [--internal-networks N,...]",
		example: "airlock proxy --config /etc/airlock/airlock.yaml --proxy-listen 0.0.0.0:25 --upstream exchange.corp.example:25",
		run: func(ctx context.Context, env *cmdEnv, args []string) error {
			return runMailPath(ctx, env, "proxy", args)
		},
	}
}
