#!/bin/bash
# scripts/fuzz-run.sh - runs libFuzzer targets built by `make fuzz-build`.
#
#   scripts/fuzz-run.sh SECONDS BIN...      (make fuzz / make fuzz-short)
#
# For each BIN (BUILD/fuzz/fuzz_NAME), in parallel up to FUZZ_JOBS at once
# (default: the number of CPUs):
#   1. replays every file of tests/fuzz/regressions/NAME/ once;
#   2. fuzzes for SECONDS, starting from the committed seeds
#      tests/fuzz/corpus/NAME/ and from what earlier runs found, kept in
#      BUILD/fuzz/work/NAME/ (never written back to tests/);
#   3. prints one line: NAME, executions, new corpus size, ok or CRASH.
# A crash, leak, timeout (FUZZ_TIMEOUT s for one input, default 10) or
# failed invariant fails the target; the input is saved under
# BUILD/fuzz/crashes/NAME/ and the report and the way to turn it into a
# regression test are printed.  Extra libFuzzer flags for one target may be
# put in tests/fuzz/fuzz_NAME.options (lines not starting with #; paths
# relative to the top of the tree); FUZZ_FLAGS adds to all.
# Exits 1 when any target failed.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_EACH=${1:?usage: fuzz-run.sh SECONDS BIN...}
shift
[ $# -gt 0 ] || { echo "fuzz-run: no targets" >&2; exit 2; }
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
TIMEOUT=${FUZZ_TIMEOUT:-10}

run_one() {
	local bin=$1 name dir log out crashdir regdir corpus work opts
	name=$(basename "$bin")
	name=${name#fuzz_}
	dir=$(cd "$(dirname "$bin")" && pwd)
	bin=$dir/$(basename "$bin")
	log=$dir/logs/$name.log
	out=$dir/logs/$name.result
	crashdir=$dir/crashes/$name
	work=$dir/work/$name
	cd "$TOP" || return 1         # options name files relative to the top
	regdir=$TOP/tests/fuzz/regressions/$name
	corpus=$TOP/tests/fuzz/corpus/$name
	mkdir -p "$dir/logs" "$crashdir" "$work"
	opts=
	[ -f "$TOP/tests/fuzz/fuzz_$name.options" ] &&
		opts=$(grep -v '^#' "$TOP/tests/fuzz/fuzz_$name.options" | tr '\n' ' ')
	: >"$log"
	rm -f "$out"

	# 1. the regression inputs, each once
	local regs=()
	if [ -d "$regdir" ]; then
		while IFS= read -r -d '' f; do regs+=("$f"); done < \
			<(find "$regdir" -type f ! -name '.*' ! -name '*.md' -print0 | sort -z)
	fi
	if [ ${#regs[@]} -gt 0 ]; then
		# shellcheck disable=SC2086
		if ! "$bin" -timeout="$TIMEOUT" $opts ${FUZZ_FLAGS:-} "${regs[@]}" \
			>>"$log" 2>&1; then
			echo "FAIL $name: a regression input fails again (see below)" >"$out"
			return 1
		fi
	fi

	# 2. fuzzing
	local seeds=()
	[ -d "$corpus" ] && seeds=("$corpus")
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$SECONDS_EACH" -timeout="$TIMEOUT" \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$crashdir/" $opts ${FUZZ_FLAGS:-} \
		"$work" "${seeds[@]}" >>"$log" 2>&1
	local rc=$?
	local execs units
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	units=$(find "$work" -type f | wc -l)
	if [ $rc -eq 0 ]; then
		printf 'ok   %-18s %10s executions in %s s, %s inputs in its corpus, %s regressions\n' \
			"$name" "${execs:-?}" "$SECONDS_EACH" "$units" "${#regs[@]}" >"$out"
		return 0
	fi
	echo "FAIL $name: exit $rc after ${execs:-?} executions" >"$out"
	return 1
}

report_failure() {
	local bin=$1 name dir log crash
	name=$(basename "$bin")
	name=${name#fuzz_}
	dir=$(cd "$(dirname "$bin")" && pwd)
	log=$dir/logs/$name.log
	echo "---- fuzz $name: last lines of $log"
	grep -v '^#[0-9]' "$log" | tail -n 40
	crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	if [ -n "$crash" ]; then
		echo "---- crashing input saved: $crash"
		echo "     reproduce:  $bin $crash"
		echo "     once fixed, keep it as a regression test:"
		echo "       mkdir -p tests/fuzz/regressions/$name &&"
		echo "       cp $crash tests/fuzz/regressions/$name/"
	fi
}

for bin in "$@"; do
	if [ ! -x "$bin" ] || [ ! -f "$bin" ]; then
		echo "fuzz-run: $bin is not a built fuzz target" >&2
		exit 2
	fi
done
pids=() bins=()
for bin in "$@"; do
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
		wait -n 2>/dev/null || true
	done
	run_one "$bin" &
	pids+=($!)
	bins+=("$bin")
done

failed=0
for i in "${!pids[@]}"; do
	wait "${pids[$i]}" || true
done
for i in "${!bins[@]}"; do
	bin=${bins[$i]}
	name=$(basename "$bin")
	name=${name#fuzz_}
	dir=$(cd "$(dirname "$bin")" && pwd)
	if [ -f "$dir/logs/$name.result" ]; then
		cat "$dir/logs/$name.result"
		grep -q '^ok ' "$dir/logs/$name.result" || { failed=$((failed + 1)); report_failure "$bin"; }
	else
		echo "FAIL $name: no result"
		failed=$((failed + 1))
	fi
done
echo "fuzz: ${#bins[@]} targets for ${SECONDS_EACH} s each, $failed failed"
[ "$failed" -eq 0 ]
