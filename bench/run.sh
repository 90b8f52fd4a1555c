#!/usr/bin/env bash
# Writes bench/RESULTS.md: ./run.sh
#
# Runs the correctness tests, then BenchmarkUpdate and BenchmarkGORMUpdate
# in COUNT rounds, each round one run of the test binary that measures
# every implementation once, so the implementations are interleaved
# (go test -count N would run each sub-benchmark N times back to back),
# then the generator scale measurement. Progress goes to stderr; the
# Markdown report goes to OUT, replaced only when the whole run succeeded;
# a complete run into RESULTS.md also copies its summary tables into
# README.md and ../README.md.
#
# Environment: COUNT (rounds, default 10), BENCHTIME (per benchmark and
# round, default 0.3s), SCALE_RUNS (timed runs per tool and size, default 3),
# OUT (the report, default RESULTS.md; - for stdout), SKIP_UPDATE=1 to skip
# BenchmarkUpdate, SKIP_GORM=1 to skip BenchmarkGORMUpdate, SKIP_SCALE=1 to
# skip the generator scale measurement.
set -euo pipefail
cd "$(dirname "$0")"

COUNT=${COUNT:-10}
BENCHTIME=${BENCHTIME:-0.3s}
SCALE_RUNS=${SCALE_RUNS:-3}
OUT=${OUT:-RESULTS.md}
BENCHSTAT=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
raw=$tmp/update.txt # benchstat names its column after the file
gormraw=$tmp/gorm.txt
report=$tmp/report.md

echo "== go vet and go test ./..." >&2
go vet ./... >&2
go test -count=1 ./... >&2
go test -c -o "$tmp/bench.test" .

# rounds runs benchmark $1 COUNT times, every sub-benchmark once a round.
rounds() {
	for ((round = 1; round <= COUNT; round++)); do
		echo "== $1, round $round of $COUNT (-benchtime $BENCHTIME)" >&2
		"$tmp/bench.test" -test.run '^$' -test.bench "^$1\$" -test.count 1 -test.benchtime "$BENCHTIME" -test.benchmem
	done
}

if [[ "${SKIP_UPDATE:-}" != 1 ]]; then
	rounds BenchmarkUpdate | tee "$raw" >&2
fi
if [[ "${SKIP_GORM:-}" != 1 ]]; then
	rounds BenchmarkGORMUpdate | tee "$gormraw" >&2
fi
# The generated change tracking alone (example/models in the main module).
trackraw=$tmp/tracking.txt
if [[ "${SKIP_UPDATE:-}" != 1 ]]; then
	(cd .. && go test -c -o "$tmp/models.test" ./example/models)
	for ((round = 1; round <= COUNT; round++)); do
		echo "== example/models, round $round of $COUNT (-benchtime $BENCHTIME)" >&2
		"$tmp/models.test" -test.run '^$' -test.bench . -test.count 1 -test.benchtime "$BENCHTIME" -test.benchmem
	done | tee "$trackraw" >&2
fi

{
cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
echo "## Results"
echo
echo "Written by \`cd bench && ./run.sh\` in one run; README.md says what each row measures."
echo
echo "Machine: $(go version | cut -d' ' -f3-), ${cpu:-unknown CPU}, $(nproc) cores ($(grep -c ^processor /proc/cpuinfo) logical CPUs), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM; $(date -u +%Y-%m-%d)."
echo "triggergen: commit $(git -C .. describe --always --dirty 2>/dev/null || echo unknown) of this repository; ent $(go list -m -f '{{.Version}}' entgo.io/ent), GORM $(go list -m -f '{{.Version}}' gorm.io/gorm) with github.com/glebarez/sqlite $(go list -m -f '{{.Version}}' github.com/glebarez/sqlite) (SQLite from modernc.org/sqlite $(go list -m -f '{{.Version}}' modernc.org/sqlite))."
echo "Command: \`cd bench && ./run.sh\` (COUNT=$COUNT, BENCHTIME=$BENCHTIME): $COUNT rounds, each one run of the test binary (\`bench.test -test.bench '^Benchmark...\$' -test.count 1 -test.benchtime $BENCHTIME\`) that measures every implementation once, so the implementations are interleaved."

if [[ "${SKIP_UPDATE:-}" != 1 ]]; then
	echo
	go run ./cmd/benchtable <"$raw"
	echo
	echo "### benchstat"
	echo
	echo '```'
	if ! (cd "$tmp" && go run "$BENCHSTAT" update.txt 2>&1); then
		echo "(benchstat could not be run)"
	fi
	echo '```'
fi

if [[ "${SKIP_UPDATE:-}" != 1 ]]; then
	echo
	echo "### Change tracking and the update in example/models (median of $COUNT rounds)"
	echo
	echo 'The generated DiffM, SnapshotM and UpdateM of the example models, from the main module (`go test ./example/models -bench .`).'
	echo
	go run ./cmd/benchtable -plain <"$trackraw"
fi

if [[ "${SKIP_GORM:-}" != 1 ]]; then
	echo
	go run ./cmd/benchtable -gorm <"$gormraw"
	echo
	echo '```'
	if ! (cd "$tmp" && go run "$BENCHSTAT" gorm.txt 2>&1); then
		echo "(benchstat could not be run)"
	fi
	echo '```'
fi

if [[ "${SKIP_SCALE:-}" != 1 ]]; then
	echo "== generator scale (SCALE_RUNS=$SCALE_RUNS)" >&2
	echo
	go run ./cmd/scaletable -runs "$SCALE_RUNS"
fi
} >"$report"

if [[ "$OUT" == - ]]; then
	cat "$report"
else
	cp "$report" "$OUT"
	echo "== wrote $OUT" >&2
fi
# A complete run into RESULTS.md refreshes the copies of its summary in the
# READMEs (between the bench summary markers).
if [[ "$OUT" == RESULTS.md && -z "${SKIP_UPDATE:-}${SKIP_GORM:-}${SKIP_SCALE:-}" ]]; then
	for readme in README.md ../README.md; do
		go run ./cmd/benchtable -readme "$readme" <RESULTS.md
		echo "== copied the summary into $readme" >&2
	done
fi
