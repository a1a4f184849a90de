#!/bin/bash
# t_limits.sh - the executor's rate caps and hourly budgets hold across
# restarts of the executor and of the whole daemon, and no 60 s window
# holds more orders than the cap: what each lane spent is told to the
# supervisor before every order, kept in its ledger file
# (INTENT_EXECUTOR_LEDGER_FILE) and handed to every new executor.  A
# malformed ledger stops the start; an unwritable one is a loud warning.
. "$(dirname "$0")/../lib.sh"

start_redis
CAP=10
OPTS=(INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MANUAL=$CAP INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MAIN=40
	INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=20000 INTENT_EXECUTOR_MAX_PLAN_AGE_SEC=300)
executed_of() { result_rows "$1" | awk -F'\t' '$2 == "true"' | wc -l; }
limited_of() { result_rows "$1" | awk -F'\t' '$2 != "true" && $4 ~ /^rate_limited:/' | wc -l; }
count_of() { result_rows "$1" | wc -l; }
wait_count() { # PREFIX N SECONDS
	local i
	for i in $(seq $(($3 * 10))); do
		[ "$(count_of "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# 1. the manual lane's cap across executor kills
check "daemon starts" start_daemon "${OPTS[@]}"
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null
grant_many lm- 1 25
for i in $(seq 25); do
	add_plan "$MANUAL" "lm-$i"
	if [ "$i" = 6 ] || [ "$i" = 14 ]; then
		old=$(executor_pid)
		kill -9 "$old"
		wait_new_pid executor "$old" 10
		sleep 0.3
	fi
	sleep 0.05
done
check "25 manual plans decided (executor killed twice among them)" wait_count lm- 25 40
ex=$(executed_of lm-)
echo "manual lane, cap $CAP/min: $ex executed, $(limited_of lm-) rate_limited, across 2 executor kills"
check "at most $CAP executed in the minute ($ex), the restarts reset nothing" test "$ex" -le $CAP
check "  and the cap is used ($ex >= $((CAP - 2)): the kills may cost a plan or two)" test "$ex" -ge $((CAP - 2))
check "every other one is rate_limited, one result each" \
	test "$(limited_of lm-)" = $((25 - ex)) -a "$(count_of lm-)" = 25
ledger_orders() { awk -v l="$1" '$1 == "spend" && $2 == l {n += $4} END {print n + 0}' "$T/ledger"; }
check "the ledger holds the lane's $ex orders ($(ledger_orders manual))" test "$(ledger_orders manual)" = "$ex"

# 2. the whole daemon restarted, SIGTERM and then SIGKILL of the supervisor
stop_daemon
check "restarted daemon" start_daemon "${OPTS[@]}"
grant_many lr- 1 3
for i in 1 2 3; do add_plan "$MANUAL" "lr-$i"; done
check "3 more manual plans decided" wait_count lr- 3 20
check "  all rate_limited: the restart resets no cap ($(executed_of lr-) executed)" \
	test "$(limited_of lr-)" = 3
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
sleep 0.5
check "daemon started after a SIGKILL of the supervisor" start_daemon "${OPTS[@]}"
grant_many lk- 1 2
for i in 1 2; do add_plan "$MANUAL" "lk-$i"; done
wait_count lk- 2 20
check "  2 more manual plans: rate_limited too" test "$(limited_of lk-)" = 2
redis-cli DEL quantum:manual_lane:enabled >/dev/null

# 3. a burst on the main lane: no 60 s window above the cap (a token
# bucket let 658 through in 6.6 s under 600/min)
grant_many lb- 1 70
check "70 main plans added at once" add_many "$MAIN" lb- 1 70 1
check "70 main plans decided" wait_count lb- 70 40
ex=$(executed_of lb-)
echo "main lane burst, cap 40/min: $ex of 70 executed"
check "at most 40 executed in the burst ($ex)" test "$ex" -le 40 -a "$ex" -ge 38
stop_daemon

# 4. the hourly budget across a restart: ETHUSDT 0.01 at the paper price
# 3000 is 30 USDT; a budget of 100 takes three
: >"$T/ledger"
B=(INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MAIN=100 INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=20000)
check "daemon with a 100 USDT hourly budget" start_daemon "${B[@]}"
grant_many lh- 1 5
for i in 1 2 3 4; do add_plan "$MAIN" "lh-$i"; done
check "4 plans decided" wait_count lh- 4 20
check "  3 executed ($(executed_of lh-)), the 4th over the budget" \
	bash -c '[ "$1" = 3 ] && grep -q "hourly_notional_exceeded" <<<"$2"' _ \
	"$(executed_of lh-)" "$(result_rows lh-4)"
stop_daemon
check "restarted" start_daemon "${B[@]}"
add_plan "$MAIN" lh-5
wait_count lh-5 1 20
check "after the restart the budget is still spent" \
	grep -q "hourly_notional_exceeded" <<<"$(result_rows lh-5)"
stop_daemon

# 5. a malformed ledger stops the start, naming the file and line
printf 'spend main 1 1 0\nspend sideways 1 1 1\n' >"$T/bad-ledger"
run_daemon_once 10 INTENT_EXECUTOR_LEDGER_FILE="$T/bad-ledger"
check "a malformed ledger: the daemon exits non-zero at once" test "$ONCE_RC" != 0
check "  naming the setting, the file and the line" \
	grep -q "INTENT_EXECUTOR_LEDGER_FILE: $T/bad-ledger line 2: lane is not main, manual or harvest" <<<"$ONCE_OUT"
check "  and no child was started" bash -c '! grep -q "started executor" <<<"$1"' _ "$ONCE_OUT"

# 6. a ledger that cannot be written: a loud warning, the daemon runs
check "a ledger in a missing folder: the daemon starts" \
	start_daemon INTENT_EXECUTOR_LEDGER_FILE="$T/no-such-dir/ledger"
check "  with a warning that a restart resets the limits" \
	log_has "the rate caps and hourly budgets are kept in memory only"
stop_daemon
