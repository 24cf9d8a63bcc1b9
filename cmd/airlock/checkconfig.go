package main

import (
	"context"
	"fmt"

	"github.com/airlockmail/airlock/config"
)

func init() {
	commands["check-config"] = command{
		summary: "check a configuration file and print every problem with its path",
		usage:   "airlock check-config [--print] [--config] FILE\n  (no FILE: $AIRLOCK_CONFIG, else /etc/airlock/airlock.yaml)",
		example: "airlock check-config /etc/airlock/airlock.yaml",
		run:     runCheckConfig,
	}
}

func runCheckConfig(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags("check-config")
	print := fs.Bool("print", false, "print the effective configuration (defaults filled in)")
	cfgPath := fs.String("config", "", "the file to check (the same as the FILE argument)")
	if err := parseFlags(env, "check-config", fs, args); err != nil {
		return err
	}
	file := *cfgPath
	switch {
	case fs.NArg() > 1, fs.NArg() == 1 && file != "" && file != fs.Arg(0):
		return usageError("check-config", "one file at a time")
	case fs.NArg() == 1:
		file = fs.Arg(0)
	case file == "":
		file = defaultConfig()
	}
	c, err := config.Load(file)
	if err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	if *print {
		b, err := config.Marshal(c)
		if err != nil {
			return err
		}
		env.stdout.Write(b)
		return nil
	}
	for _, w := range c.Warnings() {
		fmt.Fprintf(env.stdout, "%s: warning: %s\n", file, w)
	}
	fmt.Fprintf(env.stdout, "%s: ok\n", file)
	return nil
}
