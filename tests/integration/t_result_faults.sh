#!/bin/bash
# A result that cannot be written is not lost (issue 14, point 3).  The
# result stream's key is made a string (SET quantum:stream:apply.result x)
# while plans run on both lanes: nothing is acknowledged, marked done or
# counted, the worker logs an ERROR naming the XADD and Redis's error and
# retries with backoff; once the key is deleted every plan gets its one
# result, nothing is left pending, and no order is sent twice: on the
# paper backend (order ids unique per plan) and on the binance backend
# against the fake exchange (one order per plan on the exchange).
. "$(dirname "$0")/../lib.sh"

RES=quantum:stream:apply.result
NOLIMIT=(INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MAIN=100000
	INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MANUAL=100000)
N=${QIE_RESULT_FAULT_PLANS:-15}

# add_lane_plans TAG NSYM: N granted plans on each lane (symbols rotate
# over NSYM), their ids in $T/ids-TAG; one plan of each lane refused at its
# checks (symbol not allowed) in $T/rej-TAG.
add_lane_plans() {
	local tag=$1 nsym=$2 l s i
	: >"$T/ids-$tag"
	: >"$T/rej-$tag"
	for l in main manual; do
		s=$MAIN
		[ $l = manual ] && s=$MANUAL
		grant_many "$tag-$l-" 1 "$N" || return 1
		add_many "$s" "$tag-$l-" 1 "$N" "$nsym" || return 1
		for i in $(seq "$N"); do echo "$tag-$l-$i" >>"$T/ids-$tag"; done
		add_plan "$s" "$tag-$l-rej" symbol DOGEUSDT
		echo "$tag-$l-rej" >>"$T/rej-$tag"
	done
}

# done_keys PREFIX: done keys of the plans whose id starts with PREFIX.
done_keys() { redis-cli --scan --pattern "quantum:intent_executor:done:$1*" | grep -c .; }
pending_of() { pending_count "$1" "$2"; }
both_pending() { echo $(($(pending_of "$MAIN" intent_executor) + $(pending_of "$MANUAL" intent_executor_manual))); }

# fault_run TAG NSYM: the whole scenario on the running daemon.
fault_run() {
	local tag=$1 nsym=$2 before_exec before_fail
	before_exec=$(metric executed_true)
	before_fail=$(metric executed_false)
	redis-cli SET $RES x >/dev/null
	check "$tag: plans added on both lanes while $RES is a string" add_lane_plans "$tag" "$nsym"
	check "$tag: ERROR line naming the XADD of the result and Redis's error" \
		wait_log "Redis refused the result of plan $tag-" 20
	check "$tag: the ERROR line carries WRONGTYPE and the command" \
		grep -q "ERROR.*WRONGTYPE.*\[XADD $RES\]" "$DLOG"
	sleep 2         # retries go on meanwhile
	check "$tag: no plan marked done while its result cannot be written" \
		test "$(done_keys "$tag-")" = 0
	check "$tag: no outcome counted (executed_true, executed_false unchanged)" \
		test "$(metric executed_true)" = "$before_exec" -a "$(metric executed_false)" = "$before_fail"
	local p
	p=$(both_pending)
	check "$tag: entries stay pending, none acknowledged ($p pending)" test "$p" -ge 4
	check "$tag: the worker retried (more than one refusal)" \
		grep -q "Redis refused the result of plan $tag-.*more refusals" "$DLOG"
	redis-cli DEL $RES >/dev/null
	cat "$T/ids-$tag" "$T/rej-$tag" >"$T/all-$tag"
	check "$tag: every plan has its result once the stream is writable" wait_decided "$T/all-$tag" 30
	result_rows "$tag-" >"$T/rows-$tag"
	tally "$T/all-$tag" "$T/rows-$tag"
	echo "  $tag: plans=$T_PLANS results=$T_RESULTS executed=$T_EXEC lost=$T_LOST dup=$T_DUP"
	check "$tag: exactly one result per plan ($T_RESULTS for $T_PLANS)" \
		test "$T_LOST" = 0 -a "$T_DUP" = 0 -a "$T_RESULTS" = "$T_PLANS"
	check "$tag: every granted plan executed, none twice" \
		test "$T_EXEC" = $((2 * N)) -a "$T_DUPEXEC" = 0
	check "$tag: the refused plans got their refusal" \
		test "$(awk -F'\t' '$4 ~ /^symbol_not_in_allowlist/' "$T/rows-$tag" | wc -l)" = 2
	check "$tag: order ids unique per plan" \
		test "$(awk -F'\t' '$2 == "true" {print $3}' "$T/rows-$tag" | sort -u | wc -l)" = $((2 * N))
	local coids
	coids=$(results_all | jq -r --arg p "$tag-" 'select(.plan_id | startswith($p))
		| select(.executed == "true") | .details.client_order_id' | sort | uniq -d | grep -c .)
	check "$tag: client order ids unique" test "$coids" = 0
	check "$tag: nothing pending on either lane" wait_pending_zero 10
	check "$tag: counted once each (executed_true +$((2 * N)))" \
		test "$(metric executed_true)" = $((before_exec + 2 * N))
	check "$tag: the end of the refusals is logged" \
		log_has "Redis accepts our commands again"
}

wait_pending_zero() {
	local i
	for i in $(seq $(($1 * 10))); do
		[ "$(both_pending)" = 0 ] && return 0
		sleep 0.1
	done
	echo "  still pending: $(both_pending)" >&2
	return 1
}

# ------------------------------------------------------------ paper backend
start_redis
start_daemon "${NOLIMIT[@]}"
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null
fault_run paper 3
stop_daemon

# ----------------------------------- binance backend against the fake exchange
trap eo_cleanup EXIT
start_fake_eo
fake_creds
start_daemon_binance "${NOLIMIT[@]}"
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null
fault_run bn 2     # the fake knows ETHUSDT and BTCUSDT
once=1
while read -r id; do
	c=$(fake_count "$(coid_of "$id")")
	[ "$c" = 1 ] || { echo "  $id: $c orders on the exchange" >&2; once=0; }
done <"$T/ids-bn"
check "bn: the exchange holds exactly one order per plan" test $once = 1
check "bn: no other order on the exchange ($(fake_total_orders) in all)" \
	test "$(fake_total_orders)" = $((2 * N))
