#!/usr/bin/env bash
# Measures `airlock inspect` on the inspection issue's sample messages:
# peak RSS and wall time per message (/usr/bin/time -v), and the walk
# benchmark (10 MiB base64 attachment) against its baseline in one run.
#
#   ./bench/inspect.sh            prints a table
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/samples"
go build -o "$out/airlock" ./cmd/airlock
go test -count=1 -run '^TestInspectSamples$' ./extract -args -samples "$out/samples" >/dev/null

printf '%-32s %10s %10s %6s\n' message peak_rss_MiB wall_s files
for f in "$out"/samples/*.eml; do
  /usr/bin/time -v "$out/airlock" inspect --json "$f" >"$out/json" 2>"$out/time"
  rss=$(awk -F: '/Maximum resident set size/ {print $2}' "$out/time")
  wall=$(awk '/Elapsed \(wall clock\)/ {print $NF}' "$out/time")
  n=$(grep -c '"path"' "$out/json" || true)
  printf '%-32s %10.1f %10s %6s\n' "$(basename "$f")" "$(echo "$rss / 1024" | bc -l)" "$wall" "$n"
done
echo
go test -run '^$' -bench 'BenchmarkAttachment10MiB' -count 5 ./extract | grep -E '^Benchmark'
