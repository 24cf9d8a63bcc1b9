package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/airlockmail/airlock/config"
)

func init() {
	commands["check-config"] = command{
		summary: "check a configuration file and print every problem with its path",
		run:     runCheckConfig,
	}
}

func runCheckConfig(ctx context.Context, env *cmdEnv, args []string) error {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	print := fs.Bool("print", false, "print the effective configuration (defaults filled in)")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2}
	}
	if fs.NArg() != 1 {
		return &exitError{code: 2, msg: "usage: airlock check-config [--print] FILE"}
	}
	c, err := config.Load(fs.Arg(0))
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
		fmt.Fprintf(env.stdout, "%s: warning: %s\n", fs.Arg(0), w)
	}
	fmt.Fprintf(env.stdout, "%s: ok\n", fs.Arg(0))
	return nil
}
