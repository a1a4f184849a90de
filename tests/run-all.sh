#!/bin/bash
# tests/run-all.sh [SCRIPT...] - every test of `make check`: the Criterion
# unit tests, then each test script (tests/*/t_*.sh), then a one-line
# summary ("N passed, N failed") that CI reads.  With SCRIPTs: only those
# scripts, no unit tests (`make integration`).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
export BUILD
RESULTS=$(mktemp)
export RESULTS
failed_scripts=0

if [ $# -gt 0 ]; then
	scripts=("$@")
else
	scripts=("$TOP"/tests/*/t_*.sh)
fi

# The Criterion unit tests, one PASS or FAIL line each in $RESULTS.
run_units() {
	local out synth ut up i
	echo "== unit tests (Criterion)"
	out=$(mktemp)
	"$TOP/$BUILD/unit-tests" --jobs 2 2>&1 | tee "$out"
	synth=$(grep -E "Synthesis: Tested" "$out" | tail -n 1)
	ut=$(echo "$synth" | sed -n 's/.*Tested: \([0-9]*\).*/\1/p')
	up=$(echo "$synth" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
	[ -n "$ut" ] || { ut=1; up=0; }
	for i in $(seq "$up"); do echo "PASS unit" >>"$RESULTS"; done
	for i in $(seq $((ut - up))); do echo "FAIL unit" >>"$RESULTS"; done
	rm -f "$out"
}
[ $# -gt 0 ] || run_units

for t in "${scripts[@]}"; do
	[ -f "$t" ] || continue
	echo "== $(basename "$(dirname "$t")")/$(basename "$t")"
	before=$(wc -l <"$RESULTS")
	if ! timeout 600 bash "$t"; then
		echo "FAIL $(basename "$t"): script exited non-zero" | tee -a "$RESULTS"
		failed_scripts=$((failed_scripts + 1))
	fi
	[ "$(wc -l <"$RESULTS")" -gt "$before" ] ||
		echo "FAIL $(basename "$t"): recorded no check" | tee -a "$RESULTS"
done

passed=$(grep -c '^PASS' "$RESULTS")
failed=$(grep -c '^FAIL' "$RESULTS")
skipped=$(grep -c '^SKIP' "$RESULTS")
echo
grep -E '^(FAIL|SKIP)' "$RESULTS" | sed 's/^/  /'
rm -f "$RESULTS"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
