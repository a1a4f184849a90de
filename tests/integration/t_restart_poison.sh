#!/bin/bash
# t_restart_poison.sh - restarts are not poison.  (1) 100 main-lane plans
# wait for their permits (claimed, nothing sent) while the executor is
# killed with SIGKILL 6 times in a row; each time the workers lose their
# link, die and are restarted, and read every pending entry again (7
# deliveries each, past INTENT_EXECUTOR_MAX_DELIVERIES=5): none is
# dead-lettered, and once the permits come each executes once.  (2) A plan
# that really kills the executor each time it is sent (the executor is
# stopped with SIGSTOP, the plan sent, then the executor is killed): the
# claim counts an attempt each time the plan is sent, and once 5 attempts
# died under way the next delivery moves it to <stream>.dead, with a
# warning that an order may exist.
. "$(dirname "$0")/../lib.sh"
trap eo_cleanup EXIT

DEAD=$MAIN.dead
start_redis
start_daemon INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=600000 INTENT_EXECUTOR_MAX_PLAN_AGE_SEC=900

# min_deliveries: the lowest delivery count of the main group's pending entries
min_deliveries() {
	redis-cli --raw XPENDING "$MAIN" intent_executor - + 1000 | awk 'NR % 4 == 0' | sort -n | head -n 1
}
all_claimed() {
	local i n
	for i in $(seq 200); do
		n=$(redis-cli --raw EVAL "local n = 0 for i = 1, 100 do
			if redis.call('HGET', 'quantum:intent_executor:claim:rp-' .. i, 'state') == 'claimed' then n = n + 1 end
			end return n" 0)
		[ "$n" = 100 ] && return 0
		sleep 0.05
	done
	echo "  only $n of 100 claimed" >&2
	return 1
}

# ------------------------------------- (1) restarts while plans wait
add_many "$MAIN" rp- 1 100
seq 100 | sed 's/^/rp-/' >"$T/rp.ids"
check "100 plans read and claimed, waiting for their permits" all_claimed
kills=0
for k in $(seq 6); do
	e=$(executor_pid) w=$(status_get main pid)
	kill_pid -9 "$e" || break
	kills=$((kills + 1))
	wait_new_pid executor "$e" 20 || break
	wait_new_pid main "$w" 20 || break
	# the new worker has read all 100 again
	for i in $(seq 200); do
		[ "$(pending_count "$MAIN" intent_executor)" = 100 ] && [ "$(min_deliveries)" -ge $((k + 1)) ] && break
		sleep 0.05
	done
	sleep 2.1               # up 2 s: the supervisor's restart backoff stays short
done
md=$(min_deliveries)
echo "info: executor killed $kills times; pending $(pending_count "$MAIN" intent_executor), lowest delivery count $md; dead-lettered $(metric dead_lettered), in $DEAD $(redis-cli XLEN "$DEAD"), results $(result_rows rp- | wc -l)"
check "the executor was killed 6 times" test "$kills" = 6
check "every entry was delivered at least 7 times (past the limit of 5): lowest $md" test "${md:-0}" -ge 7
check "none dead-lettered (counter)" test "$(metric dead_lettered)" = 0
check "none in $DEAD" test "$(redis-cli XLEN "$DEAD")" = 0
check "no result yet (none decided)" test "$(result_rows rp- | wc -l)" = 0
check "no dead-letter line in the log" bash -c "! grep -q 'Dead-lettered entry' '$DLOG'"
check "the claims are still 'claimed' with no attempt counted" bash -c '
	[ "$(redis-cli -p '"$RPORT"' HGET quantum:intent_executor:claim:rp-7 state)" = claimed ] &&
	[ -z "$(redis-cli -p '"$RPORT"' HGET quantum:intent_executor:claim:rp-7 attempts)" ]'
grant_many rp- 1 100
check "after the grant, all 100 decided" wait_decided "$T/rp.ids" 60
result_rows rp- >"$T/rp.rows"
tally "$T/rp.ids" "$T/rp.rows"
echo "info: $T_PLANS plans, $T_RESULTS results, $T_EXEC executed, lost $T_LOST, duplicates $T_DUP"
check "each of the 100 executed once (executed $T_EXEC, duplicates $T_DUP)" \
	test "$T_EXEC" = 100 -a "$T_DUP" = 0 -a "$T_RESULTS" = 100
check "nothing pending" test "$(pending_count "$MAIN" intent_executor)" = 0

# ------------------------------ (2) a plan that kills the executor each time
pe=$(xadd_plan "$MAIN" rp-poison symbol BTCUSDT qty 0.002)
INFL=quantum:inflight:BTCUSDT
rounds=0 gone=0
for r in $(seq 10); do
	# the current worker waits for the poison's permit (read again after the last kill)
	for i in $(seq 200); do
		[ "$(grep -cF 'Waiting for P3.3 permit: rp-poiso' "$DLOG")" -ge "$r" ] && break
		[ "$(result_count rp-poison)" != 0 ] && { gone=1; break; }
		sleep 0.05
	done
	[ $gone = 1 ] && break
	e=$(executor_pid) w=$(status_get main pid)
	kill_pid -STOP "$e" || break
	redis-cli DEL "$INFL" >/dev/null
	grant rp-poison
	for i in $(seq 100); do [ "$(redis-cli EXISTS "$INFL")" = 1 ] && break; sleep 0.02; done
	redis-cli DEL quantum:permit:p33:rp-poison >/dev/null
	[ "$(redis-cli EXISTS "$INFL")" = 1 ] || { echo "  round $r: never sent" >&2; kill_pid -CONT "$e"; break; }
	kill_pid -9 "$e"; rounds=$((rounds + 1))
	wait_new_pid executor "$e" 20 || break
	wait_new_pid main "$w" 20 || break
done
for i in $(seq 100); do [ "$(result_count rp-poison)" != 0 ] && break; sleep 0.05; done
dfield() {
	redis-cli --json XRANGE "$DEAD" - + | jq -r --arg k "$1" '
		.[] | .[1] as $f | ([range(0; $f | length; 2) | {key: $f[.], value: $f[. + 1]}]
		| from_entries) | select(.plan_id == "rp-poison") | .[$k]' | head -n 1
}
echo "info: poison: sent and the executor killed $rounds times; claim attempts $(redis-cli HGET quantum:intent_executor:claim:rp-poison attempts), deliveries $(entry_pending "$MAIN" intent_executor "$pe"); result: $(result_field rp-poison error)"
check "poison: sent and killed 5 times, not more ($rounds)" test "$rounds" = 5
check "poison: in $DEAD once" test "$(redis-cli XLEN "$DEAD")" = 1
check "poison: dl_attempts 5" test "$(dfield dl_attempts)" = 5
check "poison: dl_claim_state sent" test "$(dfield dl_claim_state)" = sent
check "poison: dl_original_id is its entry" test "$(dfield dl_original_id)" = "$pe"
check "poison: one result, dead_lettered" bash -c "[ $(result_count rp-poison) = 1 ] && [[ '$(result_field rp-poison error)' == dead_lettered:* ]]"
check "poison: not executed" test "$(result_top rp-poison executed)" = false
check "poison: the log says why (5 attempts died under way)" \
	wait_log "Dead-lettered entry $pe (plan_id=rp-poiso): delivered 6 times (5 attempts were under way when their worker died" 2
check "poison: warning that an order may exist" log_has "plan rp-poison had been sent to the executor before"
check "poison: claim state dead_lettered" test "$(claim_state rp-poison)" = dead_lettered
check "poison: entry acknowledged" test -z "$(entry_pending "$MAIN" intent_executor "$pe")"
check "poison: counted (dead_lettered=$(metric dead_lettered))" test "$(metric dead_lettered)" = 1
