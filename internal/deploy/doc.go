// Package deploy has no code: its tests check the deployment files at the
// top of the tree, which no other test reads and no Docker engine or
// systemd runs here — docker-compose.yml and the Dockerfile (services,
// Redis durability flags, the wiring between them), configs/systemd/
// (hardening directives, systemd-analyze verify) and docs/alerts.yml (rule
// structure, and every metric it names exists) — and the documentation:
// the README's quick start runs word for word on a fresh clone
// (TestQuickStart), and every command in the code blocks of README.md,
// docs/troubleshooting.md and docs/operations.md runs against a live
// `airlock all` (TestDocumentedCommands).
package deploy
