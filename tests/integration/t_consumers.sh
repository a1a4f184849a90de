#!/bin/bash
# t_consumers.sh - consumers that do not pile up (issue 12).  Ten restarts
# of one daemon (start, a plan on each lane, stop; three of them end with
# kill -9 of the supervisor, its children following through
# PR_SET_PDEATHSIG, with a plan per lane still waiting for its permit)
# leave exactly one consumer per lane in each group: INTENT_EXECUTOR_CONSUMER
# (main lane) and INTENT_EXECUTOR_CONSUMER-manual (manual lane).  The
# entries left pending by a kill -9 are read again by the next daemon under
# the same names and decided; every plan gets exactly one result and
# nothing stays pending.  Last, one run without INTENT_EXECUTOR_CONSUMER
# uses the host name.
. "$(dirname "$0")/../lib.sh"

CONS=qie-test-host
HOST=$(uname -n)
RUNS=10
KILL_RUNS=" 3 6 9 "             # these end with kill -9 of the supervisor
GROUP_MAIN=intent_executor
GROUP_MANUAL=intent_executor_manual
OPTS=(INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=30000)

consumers_cleanup() { stop_daemon_bounded; cleanup; }
trap consumers_cleanup EXIT

# consumers STREAM GROUP: the group's consumer names, sorted, space-separated.
consumers() {
	redis-cli --raw XINFO CONSUMERS "$1" "$2" 2>/dev/null |
		awk 'p == "name" {print} {p = $0}' | sort | xargs
}
# pending_holders STREAM GROUP: "consumer:count ..." of the group's PEL.
pending_holders() {
	redis-cli --raw XPENDING "$1" "$2" 2>/dev/null | awk 'NR > 3' | paste -sd' ' |
		awk '{for (i = 1; i < NF; i += 2) printf "%s:%s ", $i, $(i + 1)}' | sed 's/ $//'
}
# gone PID: the process is no more (or a zombie nobody reaped yet).
gone() {
	[ -e "/proc/$1" ] || return 0
	[ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" = Z ]
}
# wait_gone SECONDS PID...: until every pid is gone.
wait_gone() {
	local secs=$1 i p left; shift
	for i in $(seq $((secs * 20))); do
		left=
		for p in "$@"; do gone "$p" || left="$left $p"; done
		[ -z "$left" ] && return 0
		sleep 0.05
	done
	echo "still running:$left" >&2
	return 1
}
# wait_results SECONDS ID...: until each plan has a result.
wait_results() {
	local secs=$1 id missing; shift
	for _ in $(seq $((secs * 4))); do
		missing=
		for id in "$@"; do [ "$(result_count "$id")" -ge 1 ] || missing="$missing $id"; done
		[ -z "$missing" ] && return 0
		sleep 0.25
	done
	echo "no result for:$missing" >&2
	return 1
}

start_redis
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null
: >"$T/ids"
bad_start='' bad_name='' bad_plans='' bad_stop='' bad_cons='' kill_notes=''
t_start=$SECONDS
for run in $(seq $RUNS); do
	if ! start_daemon "${OPTS[@]}" INTENT_EXECUTOR_CONSUMER=$CONS; then
		bad_start="$bad_start $run"
		stop_daemon_bounded
		continue
	fi
	name=$(consumer_of)
	[ "$name" = "$CONS" ] || bad_name="$bad_name $run:${name:-none}"
	if [ -n "${held:-}" ]; then
		# the plans a kill -9 left pending: their permits now granted
		check "run $run: the entries left pending by the kill -9 are decided ($held)" \
			wait_results 10 "kill$((run - 1))-m" "kill$((run - 1))-u"
		held=
	fi
	grant "c$run-main"; grant "c$run-manual"
	add_plan "$MAIN" "c$run-main"; add_plan "$MANUAL" "c$run-manual"
	echo "c$run-main" >>"$T/ids"; echo "c$run-manual" >>"$T/ids"
	wait_results 10 "c$run-main" "c$run-manual" || bad_plans="$bad_plans $run"
	if [ "${KILL_RUNS#* "$run" }" != "$KILL_RUNS" ]; then
		# one plan per lane waiting for its permit, then the supervisor dies
		add_plan "$MAIN" "kill$run-m"; add_plan "$MANUAL" "kill$run-u"
		echo "kill$run-m" >>"$T/ids"; echo "kill$run-u" >>"$T/ids"
		wait_log "Waiting for P3.3 permit: kill$run-m" 5 &&
			wait_log "Waiting for P3.3 permit: kill$run-u" 5 ||
			kill_notes="$kill_notes run $run: plans not waiting for permits;"
		kids="$(status_get executor pid) $(status_get main pid) $(status_get manual pid)"
		kill_pid -9 "$DAEMON_PID"
		wait "$DAEMON_PID" 2>/dev/null
		DAEMON_PID=
		# shellcheck disable=SC2086
		check "run $run: kill -9 of the supervisor: its children ($kids) stop with it" wait_gone 10 $kids
		# shellcheck disable=SC2086
		kill_pid -9 $kids 2>/dev/null  # in case they did not: one daemon at a time
		pm=$(pending_count "$MAIN" $GROUP_MAIN) pu=$(pending_count "$MANUAL" $GROUP_MANUAL)
		held="main: $(pending_holders "$MAIN" $GROUP_MAIN); manual: $(pending_holders "$MANUAL" $GROUP_MANUAL)"
		check "run $run: after the kill -9, entries pending on both lanes ($pm, $pu; $held)" \
			test "${pm:-0}" -ge 1 -a "${pu:-0}" -ge 1
		check "run $run: they are held by $CONS and $CONS-manual" \
			test "$held" = "main: $CONS:$pm; manual: $CONS-manual:$pu"
		grant "kill$run-m"; grant "kill$run-u"
	else
		stop_daemon_bounded
		[ "$STOP_RC" = 0 ] || bad_stop="$bad_stop $run:${STOP_RC:-?}"
	fi
	cm=$(consumers "$MAIN" $GROUP_MAIN) cu=$(consumers "$MANUAL" $GROUP_MANUAL)
	[ "$cm" = "$CONS" ] && [ "$cu" = "$CONS-manual" ] || bad_cons="$bad_cons run $run: [$cm] [$cu];"
done
echo "info: $RUNS runs in $((SECONDS - t_start)) s"
check "each of the $RUNS runs started (both lanes consuming)${bad_start:+; not:$bad_start}" test -z "$bad_start"
check "the status file names the consumer $CONS in every run${bad_name:+ (not:$bad_name)}" test -z "$bad_name"
check "each run's plans decided within 10 s${bad_plans:+ (not in runs$bad_plans)}" test -z "$bad_plans"
check "each SIGTERM run exits 0${bad_stop:+ (not:$bad_stop)}" test -z "$bad_stop"
check "the killed runs had plans waiting for their permits${kill_notes:+ ($kill_notes)}" test -z "$kill_notes"
check "after every run one consumer per lane${bad_cons:+ (not:$bad_cons)}" test -z "$bad_cons"
cm=$(consumers "$MAIN" $GROUP_MAIN) cu=$(consumers "$MANUAL" $GROUP_MANUAL)
check "after $RUNS restarts: main group has exactly one consumer, $CONS ([$cm])" test "$cm" = "$CONS"
check "after $RUNS restarts: manual group has exactly one consumer, $CONS-manual ([$cu])" \
	test "$cu" = "$CONS-manual"
check "nothing pending on the main lane ($(pending_count "$MAIN" $GROUP_MAIN))" \
	test "$(pending_count "$MAIN" $GROUP_MAIN)" = 0
check "nothing pending on the manual lane ($(pending_count "$MANUAL" $GROUP_MANUAL))" \
	test "$(pending_count "$MANUAL" $GROUP_MANUAL)" = 0

# every plan: exactly one result, executed
sleep 0.3
counts=$(results_all | jq -r .plan_id | sort | uniq -c)
lost=$(comm -23 <(sort -u "$T/ids") <(awk '{print $2}' <<<"$counts" | sort -u) | xargs)
dups=$(grep -wFf "$T/ids" <<<"$counts" | awk '$1 > 1 {print $2 "(" $1 ")"}' | xargs)
notexec=$(results_all | jq -r 'select(.executed != "true") | "\(.plan_id):\(.details.error)"' | xargs)
check "every plan added ($(wc -l <"$T/ids")) has a result${lost:+ (none for: $lost)}" test -z "$lost"
check "no plan has two results${dups:+ ($dups)}" test -z "$dups"
check "every plan executed${notexec:+ (not: $notexec)}" test -z "$notexec"

# ---- one run without INTENT_EXECUTOR_CONSUMER: the host name
if check "a run without INTENT_EXECUTOR_CONSUMER starts" start_daemon "${OPTS[@]}"; then
	check "without INTENT_EXECUTOR_CONSUMER the consumer is the host name ($HOST; status file: $(consumer_of))" \
		test "$(consumer_of)" = "$HOST"
	grant host-main; grant host-manual
	add_plan "$MAIN" host-main; add_plan "$MANUAL" host-manual
	check "host-name run: both plans decided" wait_results 10 host-main host-manual
	check "host-name run: one result each" \
		test "$(result_count host-main) $(result_count host-manual)" = "1 1"
	stop_daemon_bounded
	check "host-name run: exits 0 (${STOP_RC:-?})" test "$STOP_RC" = 0
fi
want_m=$(printf '%s\n' "$CONS" "$HOST" | sort | xargs)
want_u=$(printf '%s\n' "$CONS-manual" "$HOST-manual" | sort | xargs)
cm=$(consumers "$MAIN" $GROUP_MAIN) cu=$(consumers "$MANUAL" $GROUP_MANUAL)
check "main group: $CONS and the host's $HOST, nothing else ([$cm])" test "$cm" = "$want_m"
check "manual group: $CONS-manual and $HOST-manual, nothing else ([$cu])" test "$cu" = "$want_u"
