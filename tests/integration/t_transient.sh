#!/bin/bash
# A passing fault does not become rejections (issue 14, point 5).  Redis
# refuses writes for 8 s (CONFIG SET maxmemory 1, the default noeviction
# policy) while plans whose permits were granted before the fault are
# queued: (A) in the stream, not yet read; (B) in the worker's memory,
# behind plans at the executor.  (C) DEBUG SLEEP 3 with plans in flight.
# (D) a script that keeps Redis busy for 4 s (BUSY replies after 0.5 s)
# with plans in flight.  (E) SCRIPT FLUSH with plans waiting for their
# permits and plans arriving after it: a NOSCRIPT is retried (the script
# sent as EVAL), never a plan's result; then EVALSHA again.
# Every plan gets its one result, executed: zero failures from the fault;
# a plan whose deadline (timestamp + INTENT_EXECUTOR_MAX_PLAN_AGE_SEC)
# passes during the fault gets plan_stale once Redis takes writes.  The
# time from the end of each fault to the last result is printed (a bound
# here is generous: the timing goal belongs to the bench).
. "$(dirname "$0")/../lib.sh"

N=${QIE_TRANSIENT_PLANS:-100}
FAULT_S=${QIE_TRANSIENT_FAULT_S:-8}
BOUND_S=30
NOLIMIT=(INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MAIN=100000
	INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MANUAL=100000)
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# recovered TAG IDS_FILE T_END_MS: waits for every result, prints how long
# after the fault's end (T_END_MS) the last one came, checks each plan has
# exactly one and that every one executed.
recovered() {
	local tag=$1 ids=$2 t_end=$3 t_done
	check "$tag: every plan has its result within ${BOUND_S} s after the fault" \
		wait_decided "$ids" $BOUND_S
	# the last result's stream id is Redis's clock (ms) when it was added
	t_done=$(results_all | jq -r --arg p "$tag-" 'select(.plan_id | startswith($p))
		| ._id | split("-")[0] | tonumber' | sort -n | tail -n 1)
	echo "  $tag: recovery: the last result came $((${t_done:-t_end} - t_end)) ms after the fault ended"
	result_rows "$tag-" >"$T/rows-$tag"
	tally "$ids" "$T/rows-$tag"
	echo "  $tag: plans=$T_PLANS results=$T_RESULTS executed=$T_EXEC lost=$T_LOST dup=$T_DUP"
	check "$tag: one result per plan ($T_RESULTS for $T_PLANS)" \
		test "$T_LOST" = 0 -a "$T_DUP" = 0 -a "$T_RESULTS" = "$T_PLANS"
	local errs
	errs=$(awk -F'\t' '$2 != "true" {print $4}' "$T/rows-$tag" | sort | uniq -c | head -n 3 | xargs)
	check "$tag: zero failures caused by the fault (all $T_PLANS executed)${errs:+; seen: $errs}" \
		test "$T_NOTEXEC" = 0 -a "$T_DUPEXEC" = 0
	check "$tag: nothing pending" test "$(pending_count "$MAIN" intent_executor)" = 0
}

# in_flight STEP TAG: N granted plans TAG-1.., ids in $T/ids-STEP, with the
# executor stopped (its pid in exec_pid, to be continued) once the first
# plan of each symbol has been sent to it: the rest wait in memory.
in_flight() {
	local s
	exec_pid=$(status_get executor pid)
	grant_many "$2-" 1 "$N"
	kill_pid -STOP "$exec_pid"
	add_many "$MAIN" "$2-" 1 "$N"
	seq 1 "$N" | sed "s/^/$2-/" >"$T/ids-$1"
	for s in 1 2 3; do check "$1: plan $2-$s at the executor" wait_claim_state "$2-$s" sent 5; done
}

start_redis --enable-debug-command local
start_daemon "${NOLIMIT[@]}"

# ---------------------------------------------- (A) OOM, plans in the stream
main_pid=$(status_get main pid)
grant_many oomA- 1 "$N"
kill_pid -STOP "$main_pid"      # a moment: the plans wait in the stream
add_many "$MAIN" oomA- 1 "$N"
seq 1 "$N" | sed 's/^/oomA-/' >"$T/ids-A"
# this one's deadline (its timestamp + 30 s) passes during the fault
add_plan "$MAIN" staleA timestamp $(($(date +%s) - 30 + FAULT_S / 2))
grant staleA
redis-cli CONFIG SET maxmemory 1 >/dev/null
kill_pid -CONT "$main_pid"
check "A: the worker names the refusal (OOM) in an ERROR line" \
	wait_log "OOM command not allowed" 5
sleep "$FAULT_S"
check "A: nothing was decided during the fault" test "$(result_rows oomA- | wc -l)" = 0
redis-cli CONFIG SET maxmemory 0 >/dev/null
t_end=$(now_ms)
recovered oomA "$T/ids-A" "$t_end"
check "A: the plan whose deadline passed got plan_stale, once" \
	wait_result staleA 10
check "A: ... and only that" test "$(result_count staleA)" = 1 -a \
	"$(result_field staleA error | cut -d: -f1)" = plan_stale
check "A: the end of the refusals is logged" log_has "Redis accepts our commands again"

# ------------------------------- (B) OOM, plans in memory behind the executor
exec_pid=$(status_get executor pid)
grant_many oomB- 1 "$N"
kill_pid -STOP "$exec_pid"      # a moment: requests wait at the executor
add_many "$MAIN" oomB- 1 "$N"
seq 1 "$N" | sed 's/^/oomB-/' >"$T/ids-B"
for s in 1 2 3; do check "B: plan oomB-$s at the executor" wait_claim_state "oomB-$s" sent 5; done
redis-cli CONFIG SET maxmemory 1 >/dev/null
kill_pid -CONT "$exec_pid"
sleep "$FAULT_S"
check "B: no result written during the fault" test "$(result_rows oomB- | wc -l)" = 0
redis-cli CONFIG SET maxmemory 0 >/dev/null
recovered oomB "$T/ids-B" "$(now_ms)"

# ------------------------------------------- (C) DEBUG SLEEP 3, plans in flight
in_flight C slp
losses=$(grep -c "Redis connection lost" "$DLOG")
redis-cli DEBUG SLEEP 3 >/dev/null &
sleeper=$!
sleep 0.3
kill_pid -CONT "$exec_pid"      # its answers come while Redis sleeps
wait "$sleeper"
recovered slp "$T/ids-C" "$(now_ms)"
check "C: no connection was lost to it (3 s is below the reply timeout)" \
	test "$(grep -c "Redis connection lost" "$DLOG")" = "$losses"

# --------------------------------------- (D) BUSY for 4 s, plans in flight
redis-cli CONFIG SET busy-reply-threshold 500 >/dev/null
in_flight D busy
redis-cli EVAL "local s = tonumber(redis.call('TIME')[1])
	while tonumber(redis.call('TIME')[1]) - s < 4 do end return 1" 0 >/dev/null &
busy=$!
sleep 0.3
kill_pid -CONT "$exec_pid"
wait "$busy"
recovered busy "$T/ids-D" "$(now_ms)"
check "D: the worker was told BUSY, and said so" log_has "BUSY Redis is busy"

# ------------------- (E) SCRIPT FLUSH: every script's NOSCRIPT is retried
# plans waiting for their permits (polled every 2 ms: a poll meets the
# flush first; granted well within the tests' 1 s permit timeout), then
# plans claimed after it
add_many "$MAIN" fl- 1 "$N"
seq 1 "$N" | sed 's/^/fl-/' >"$T/ids-E"
for s in 1 2 3; do check "E: plan fl-$s waits for its permit" wait_claim_state "fl-$s" claimed 5; done
redis-cli CONFIG RESETSTAT >/dev/null
redis-cli SCRIPT FLUSH >/dev/null
sleep 0.1
grant_many fl- 1 $((N + 20))
add_many "$MAIN" fl- $((N + 1)) $((N + 20))
seq $((N + 1)) $((N + 20)) | sed 's/^/fl-/' >>"$T/ids-E"
recovered fl "$T/ids-E" "$(now_ms)"
check "E: the scripts were sent again as EVAL after the flush" \
	test "$(redis-cli INFO commandstats | grep -c '^cmdstat_eval:')" = 1
n=$(redis-cli INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\),.*/\1/p')
check "E: ... and as EVALSHA after that (${n:-0} calls)" test "${n:-0}" -gt 100
