#!/bin/bash
# Crashes and restarts.  (1) kill -9 of each child in turn (executor, main
# worker, manual worker) while plans flow on both lanes: each is back
# within a second, the supervisor names the death, no plan is lost
# (exactly-once across a crash is not claimed: duplicates are printed; it
# is asserted for the plans added after the restarts).  (2) SIGTERM with
# plans waiting for their permits leaves them pending; a new daemon takes
# them over.  (3) Redis restarts (data kept, then data lost) are survived.
. "$(dirname "$0")/../lib.sh"

start_redis
# many plans a second flow here: lift the executor's per-lane order rate caps
# the caps and budgets are not under test here, and the ledger keeps what
# each lane spent across the daemon restarts below
NOLIMIT="INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MAIN=100000 INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MANUAL=100000
	INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MAIN=0 INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MANUAL=0"
start_daemon $NOLIMIT
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null

# grant_range PREFIX N: permits for PREFIX1 .. PREFIXN in one round trip.
grant_range() {
	redis-cli EVAL "for i = 1, tonumber(ARGV[2]) do
		redis.call('SET', 'quantum:permit:p33:' .. ARGV[1] .. i, '{\"allow\": true}', 'EX', 300)
	end" 0 "$1" "$2" >/dev/null
}
SYMS=(ETHUSDT BTCUSDT TRXUSDT) QTYS=(0.01 0.002 10)
# add_pair PREFIX I: plan PREFIX-main-I on the main lane, PREFIX-manual-I on
# the manual one (symbols rotate), both ids appended to $T/ids.
add_pair() {
	local k=$(($2 % 3))
	add_plan $MAIN "$1-main-$2" symbol ${SYMS[$k]} qty ${QTYS[$k]}
	add_plan $MANUAL "$1-manual-$2" symbol ${SYMS[$k]} qty ${QTYS[$k]}
	echo "$1-main-$2" >>"$T/ids"; echo "$1-manual-$2" >>"$T/ids"
}
# counts_of: "COUNT PLAN_ID" for every plan with a result.
counts_of() { results_all | jq -r .plan_id | sort | uniq -c; }
# wait_all IDS_FILE SECONDS: until every plan listed has a result.
wait_all() {
	local end=$((SECONDS + $2)) missing
	while :; do
		missing=$(comm -23 <(sort -u "$1") <(counts_of | awk '{print $2}' | sort -u) | wc -l)
		[ "$missing" = 0 ] && return 0
		[ $SECONDS -ge $end ] && { echo "  $missing plan(s) without a result" >&2; return 1; }
		sleep 0.3
	done
}

# ---------------------------------------------------------------- (1) kill -9
MAXP=400
for l in main manual; do grant_range "rs-$l-" $MAXP; done
: >"$T/ids"
(
	i=0
	while [ ! -e "$T/stop-producer" ] && [ $i -lt $MAXP ]; do
		i=$((i + 1)); add_pair rs "$i"; sleep 0.02
	done
) &
PRODUCER=$!
sleep 1.2
n_before=$(wc -l <"$T/ids")
for role in executor main manual; do
	old=$(status_get $role pid)
	old_main=$(status_get main pid) old_manual=$(status_get manual pid)
	kill -9 "$old"
	check "kill -9 $role (pid $old): back within 1 s under a new pid" wait_new_pid $role "$old" 1
	check "kill -9 $role: supervisor log names the death" \
		wait_log "$role (pid $old) killed by signal 9 (SIGKILL)" 2
	if [ $role = executor ]; then
		# the workers lose their link to the executor and are restarted too
		check "executor killed: main worker back within 1 s" wait_new_pid main "$old_main" 1
		check "executor killed: manual worker back within 1 s" wait_new_pid manual "$old_manual" 1
	fi
	sleep 0.8
done
n_during=$(($(wc -l <"$T/ids") - n_before))
touch "$T/stop-producer"
wait "$PRODUCER"
n_flow=$(wc -l <"$T/ids")
check "plans kept flowing while the children were killed ($n_during added then, $n_flow in all)" \
	test "$n_during" -ge 20

cp "$T/ids" "$T/ids-flow"
check "every plan added during the kills has a result" wait_all "$T/ids-flow" 25
counts=$(counts_of)
lost=$(comm -23 <(sort -u "$T/ids-flow") <(awk '{print $2}' <<<"$counts" | sort -u))
check "no plan lost (${lost:-none})" test -z "$lost"
dups=$(grep -Ff "$T/ids-flow" <<<"$counts" | awk '$1 > 1 {print $2 "(" $1 ")"}' | tr '\n' ' ')
echo "info: plans with more than one result across the crashes: $(wc -w <<<"$dups") ${dups:+: $dups}"
notexec=$(results_all | jq -r 'select(.plan_id | startswith("rs-")) | select(.executed != "true") | "\(.plan_id):\(.details.error)"' | tr '\n' ' ')
check "every plan of the flow executed (permits granted): ${notexec:-all}" test -z "$notexec"

# the flow after the restarts: exactly one result each
grant_range "post-main-" 10; grant_range "post-manual-" 10
: >"$T/ids"
for i in $(seq 10); do add_pair post "$i"; done
check "plans added after the restarts: all decided" wait_all "$T/ids" 10
sleep 0.3
counts=$(counts_of)
bad=$(grep -Ff "$T/ids" <<<"$counts" | awk '$1 != 1 {print $2 "(" $1 ")"}' | tr '\n' ' ')
check "plans added after the restarts: exactly one result each (${bad:-ok})" test -z "$bad"
check "supervisor still running" kill -0 "$DAEMON_PID"
check "executor restarted once" test "$(status_get executor restarts)" = 1
check "main worker restarted twice (executor's death, its own)" test "$(status_get main restarts)" = 2
check "manual worker restarted twice" test "$(status_get manual restarts)" = 2
check "nothing pending on the main lane" test "$(pending_count $MAIN intent_executor)" = 0
check "nothing pending on the manual lane" test "$(pending_count $MANUAL intent_executor_manual)" = 0

# ---------------------------------------------------------------- (2) SIGTERM
stop_daemon
start_daemon $NOLIMIT INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=30000
: >"$T/ids"
for i in 1 2 3 4; do add_pair term "$i"; done
add_pair term 7                 # a second ETHUSDT, a second BTCUSDT ...
add_pair term 8                 # ... queued behind the first
check "SIGTERM: plans waiting for permits (main)" wait_log "Waiting for P3.3 permit: term-mai" 5 3
check "SIGTERM: plans waiting for permits (manual)" wait_log "Waiting for P3.3 permit: term-man" 5 3
t0=$(date +%s%N)
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"; rc=$?
t1=$(date +%s%N)
DAEMON_PID=
check "SIGTERM: daemon exits with status 0 (got $rc)" test "$rc" = 0
check "SIGTERM: daemon stops within 3 s ($(((t1 - t0) / 1000000)) ms)" test $(((t1 - t0) / 1000000)) -lt 3000
check "SIGTERM: log says unsent plans stay pending" log_has "plans not yet sent stay pending"
check "SIGTERM: no result for the waiting plans" \
	test "$(results_all | jq -r 'select(.plan_id | startswith("term-")) | .plan_id' | wc -l)" = 0
check "SIGTERM: 6 entries left pending on the main lane" test "$(pending_count $MAIN intent_executor)" = 6
check "SIGTERM: 6 entries left pending on the manual lane" \
	test "$(pending_count $MANUAL intent_executor_manual)" = 6

grant_range "term-main-" 8; grant_range "term-manual-" 8
start_daemon $NOLIMIT INTENT_EXECUTOR_CLAIM_MIN_IDLE_MS=1000
check "new daemon: same consumer names, reads its own pending entries again at once" \
	wait_log "pending entries of this consumer" 5 2
check "new daemon: every waiting plan decided" wait_all "$T/ids" 10
sleep 0.3
counts=$(counts_of)
bad=$(grep -Ff "$T/ids" <<<"$counts" | awk '$1 != 1 {print $2 "(" $1 ")"}' | tr '\n' ' ')
check "new daemon: exactly one result each (${bad:-ok})" test -z "$bad"
notexec=$(results_all | jq -r 'select(.plan_id | startswith("term-")) | select(.executed != "true") | "\(.plan_id):\(.details.error)"' | tr '\n' ' ')
check "new daemon: every one executed: ${notexec:-all}" test -z "$notexec"
check "new daemon: nothing pending on the main lane" test "$(pending_count $MAIN intent_executor)" = 0
check "new daemon: nothing pending on the manual lane" \
	test "$(pending_count $MANUAL intent_executor_manual)" = 0

# ---------------------------------------------------------------- (3) Redis
pids_before="$(status_get executor pid) $(status_get main pid) $(status_get manual pid)"
stop_redis save
check "Redis stopped: the workers notice the lost connection" wait_log "Redis connection lost" 5 2
sleep 0.5
start_redis_again
check "Redis back (data kept): both workers reconnect" wait_log "Redis connected:" 10 2
grant redis-main-1; grant redis-manual-1
add_plan $MAIN redis-main-1
add_plan $MANUAL redis-manual-1
check "after the Redis restart: main plan decided" wait_result redis-main-1 5
check "after the Redis restart: main plan executed" test "$(result_field redis-main-1 executed)" = true
check "after the Redis restart: manual plan decided" wait_result redis-manual-1 5
check "after the Redis restart: manual plan executed" test "$(result_field redis-manual-1 executed)" = true

stop_redis                      # this time the data is lost: no stream, no group
sleep 0.3
start_redis_again
check "Redis back (data lost): both workers reconnect" wait_log "Redis connected:" 10 4
check "Redis back (data lost): the result stream is really gone" \
	test "$(redis-cli EXISTS quantum:stream:apply.result)" = 0
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null
grant redis-main-2; grant redis-manual-2
add_plan $MAIN redis-main-2
add_plan $MANUAL redis-manual-2
check "after losing Redis' data: main plan decided" wait_result redis-main-2 5
check "after losing Redis' data: main plan executed" test "$(result_field redis-main-2 executed)" = true
check "after losing Redis' data: manual plan decided" wait_result redis-manual-2 5
check "after losing Redis' data: manual plan executed" test "$(result_field redis-manual-2 executed)" = true
check "Redis restarts: no child restarted" \
	test "$(status_get executor pid) $(status_get main pid) $(status_get manual pid)" = "$pids_before"
check "Redis restarts: nothing pending" \
	test "$(pending_count $MAIN intent_executor) $(pending_count $MANUAL intent_executor_manual)" = "0 0"
