#!/bin/bash
# t_hang.sh - hung children (issue 12).  With both lanes receiving plans,
# each child in turn (executor, main worker, manual worker) is stopped with
# SIGSTOP: a hang, not a crash.  Within 10 s the supervisor logs
# "<role> (pid N) not answering for N s: killed", kills it and starts a new
# one; the status file's hangs= for the role and the metric
# child_hangs_<role> count it; every plan added around the stop (some just
# before, some during) gets exactly one result within 20 s of the stop; the
# supervisor never exits.  A stopped child still alive 30 s after its
# SIGSTOP is resumed (SIGCONT) and the test fails.  Prints the detection
# time (SIGSTOP to the log line) of each role.
. "$(dirname "$0")/../lib.sh"

LIMITS=(INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MAIN=100000 INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MANUAL=100000
	INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MAIN=0 INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MANUAL=0)
DETECT_MAX=10                   # seconds from SIGSTOP to the log line
RESULT_MAX=20                   # seconds from SIGSTOP to every plan's result
STOP_MAX=30                     # a stopped child alive this long is resumed
STOPPED=                        # the pid we stopped and may have to resume
PRODUCER=

hang_cleanup() {
	[ -n "$STOPPED" ] && kill_pid -CONT "$STOPPED" 2>/dev/null
	[ -n "$PRODUCER" ] && kill_pid -TERM "$PRODUCER" 2>/dev/null && wait "$PRODUCER" 2>/dev/null
	stop_daemon_bounded
	cleanup
}
trap hang_cleanup EXIT

now() { date +%s.%N; }
# secs_since T0 [T1]: T1 (default now) - T0, in seconds with 3 decimals.
secs_since() { awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN {printf "%.3f", b - a}'; }
# le A B: A <= B (decimals).
le() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a <= b)}'; }
# gone PID: the process is no more (or a zombie not reaped yet).
gone() {
	[ -e "/proc/$1" ] || return 0
	[ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" = Z ]
}
# plans PREFIX N: N granted plans on each lane (PREFIX-m1.., PREFIX-u1..),
# their ids appended to $IDS.
plans() {
	local i
	for i in $(seq "$2"); do
		grant "$1-m$i"; grant "$1-u$i"
		add_plan "$MAIN" "$1-m$i" symbol ETHUSDT
		add_plan "$MANUAL" "$1-u$i" symbol BTCUSDT qty 0.002
		echo "$1-m$i" >>"$IDS"; echo "$1-u$i" >>"$IDS"
	done
}
# missing_results IDS_FILE: the plans listed without a result.
missing_results() {
	comm -23 <(sort -u "$1") <(results_all | jq -r .plan_id | sort -u)
}
# wait_results_until IDS_FILE DEADLINE: until each plan listed has a result
# or the wall clock passes DEADLINE.
wait_results_until() {
	local m
	while :; do
		m=$(missing_results "$1" | wc -l)
		[ "$m" = 0 ] && return 0
		le "$2" "$(now)" && { echo "  $m plan(s) without a result: $(missing_results "$1" | xargs)" >&2; return 1; }
		sleep 0.25
	done
}
# wait_value SECONDS WANT CMD...: until CMD prints WANT.
wait_value() {
	local secs=$1 want=$2 i v; shift 2
	for i in $(seq $((secs * 10))); do
		v=$("$@")
		[ "$v" = "$want" ] && return 0
		sleep 0.1
	done
	echo "  $*: $v, wanted $want" >&2
	return 1
}
# steady SECONDS: every child runs and the status file says ready.
steady() {
	local i r ok p
	for i in $(seq $(($1 * 10))); do
		ok=1
		for r in executor main manual; do
			p=$(status_get $r pid)
			{ [ -n "$p" ] && [ "$p" != 0 ] && kill -0 "$p" 2>/dev/null; } || ok=0
		done
		[ $ok = 1 ] && grep -q '^state ready:' "$T/status" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "  not steady: $(xargs <"$T/status" 2>/dev/null)" >&2
	return 1
}
pending_both() { echo "$(pending_count "$MAIN" intent_executor) $(pending_count "$MANUAL" intent_executor_manual)"; }
supervisor_alive() { [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; }
# log_stamp LINE: the epoch seconds of a daemon log line's time stamp.
log_stamp() { date -d "${1%% *}" +%s.%N 2>/dev/null; }

start_redis
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null
check "daemon starts" start_daemon "${LIMITS[@]}"
SUP=$DAEMON_PID
IDS=$T/ids-warmup; : >"$IDS"
plans warm 2
check "warm-up: both lanes execute plans" wait_results_until "$IDS" "$(awk -v t="$(now)" 'BEGIN {print t + 10}')"
: >"$T/all-ids"; cat "$IDS" >>"$T/all-ids"
TIMES=

for role in executor main manual; do
	check "$role: daemon steady before the stop" steady 10
	old=$(status_get $role pid)
	others=$(for r in executor main manual; do [ $r = $role ] || echo "$r=$(status_get $r pid)"; done | xargs)
	hangs0=$(status_get $role hangs)
	m0=$(metric "child_hangs_$role") mt0=$(metric child_hangs)
	IDS=$T/ids-$role; : >"$IDS"
	plans "$role-before" 2
	t0=$(now)
	if ! kill_pid -STOP "$old"; then
		fail "$role: SIGSTOP of its pid (${old:-none})"
		continue
	fi
	STOPPED=$old
	# more plans while it is stopped: 2 s and 5 s into the stop
	(
		sleep 2; plans "$role-during1" 2
		sleep 3; plans "$role-during2" 2
	) &
	PRODUCER=$!

	# the log line (waits up to 15 s, to measure even a late one)
	pat="$role (pid $old) not answering for "
	seen='' line=''
	for i in $(seq 300); do
		line=$(grep -F -- "$pat" "$DLOG" | head -n 1)
		[ -n "$line" ] && { seen=$(now); break; }
		sleep 0.05
	done
	if [ -n "$line" ]; then
		stamp=$(log_stamp "$line")
		d_seen=$(secs_since "$t0" "$seen")
		d_log=$([ -n "$stamp" ] && secs_since "$t0" "$stamp" || echo "$d_seen")
		echo "HANG DETECTION $role: ${d_log} s (SIGSTOP to the log line's time stamp; seen by the test after ${d_seen} s)"
		TIMES="$TIMES $role=${d_log}s"
		check "$role: the hang is logged within $DETECT_MAX s (${d_log} s)" le "$d_log" $DETECT_MAX
		check "$role: log line is '$role (pid $old) not answering for N s: killed'" \
			grep -qE -- "$role \(pid $old\) not answering for [0-9]+ s: killed" <<<"$line"
	else
		echo "HANG DETECTION $role: not logged within 15 s"
		TIMES="$TIMES $role=none"
		fail "$role: the hang is logged within $DETECT_MAX s (no '$pat' line after 15 s)"
	fi
	# the stopped child must die; resumed if still alive 30 s after the stop
	while ! gone "$old" && ! le "$STOP_MAX" "$(secs_since "$t0")"; do sleep 0.1; done
	if gone "$old"; then
		pass "$role: the stopped child (pid $old) was killed ($(secs_since "$t0") s after SIGSTOP)"
	else
		kill_pid -CONT "$old"
		fail "$role: the stopped child (pid $old) still alive $STOP_MAX s after SIGSTOP (resumed)"
	fi
	STOPPED=
	check "$role: its death is logged (killed by signal 9)" \
		wait_log "$role (pid $old) killed by signal 9 (SIGKILL)" 3
	if wait_new_pid $role "$old" 5; then
		pass "$role: replaced by a new pid (was $old, now $(status_get $role pid))"
	else
		fail "$role: replaced by a new pid (was $old)"
	fi
	check "$role: status file hangs=$((${hangs0:-0} + 1)) (was ${hangs0:-none})" \
		wait_value 3 "$((${hangs0:-0} + 1))" status_get $role hangs
	check "$role: hangs= was there before the stop (${hangs0:-none})" test -n "$hangs0"

	wait "$PRODUCER"; PRODUCER=
	deadline=$(awk -v t="$t0" -v d=$RESULT_MAX 'BEGIN {printf "%.3f", t + d}')
	n=$(wc -l <"$IDS")
	if wait_results_until "$IDS" "$deadline"; then
		pass "$role: all $n plans added around the stop have a result within $RESULT_MAX s of it ($(secs_since "$t0") s)"
	else
		fail "$role: all $n plans added around the stop have a result within $RESULT_MAX s of it"
	fi
	cat "$IDS" >>"$T/all-ids"
	check "$role: metric child_hangs_$role went from $m0 to $((m0 + 1))" \
		wait_value 5 "$((m0 + 1))" metric "child_hangs_$role"
	check "$role: metric child_hangs went from $mt0 to $((mt0 + 1))" \
		wait_value 5 "$((mt0 + 1))" metric child_hangs
	if [ $role != executor ]; then
		now_others=$(for r in executor main manual; do [ $r = $role ] || echo "$r=$(status_get $r pid)"; done | xargs)
		check "$role: the other children kept running ($others; now $now_others)" \
			test "$others" = "$now_others"
	fi
	check "$role: supervisor still running (pid $SUP)" supervisor_alive
	check "$role: status file still names supervisor pid $SUP" test "$(status_get supervisor pid)" = "$SUP"
done

# every plan of the test: exactly one result, executed
sleep 0.5
counts=$(results_all | jq -r .plan_id | sort | uniq -c)
lost=$(comm -23 <(sort -u "$T/all-ids") <(awk '{print $2}' <<<"$counts" | sort -u) | xargs)
dups=$(awk '$1 > 1 {print $2 "(" $1 ")"}' <<<"$counts" | xargs)
notexec=$(results_all | jq -r 'select(.executed != "true") | "\(.plan_id):\(.details.error)"' | xargs)
check "every plan ($(wc -l <"$T/all-ids")) has a result${lost:+ (none: $lost)}" test -z "$lost"
check "no plan has two results${dups:+ ($dups)}" test -z "$dups"
check "every plan executed${notexec:+ (not: $notexec)}" test -z "$notexec"
check "nothing pending on either lane" \
	wait_value 5 "0 0" pending_both
check "supervisor never exited (pid $SUP)" supervisor_alive
check "no seccomp kill logged" bash -c "! grep -q 'signal 31' '$DLOG'"
echo "HANG DETECTION TIMES:$TIMES"
