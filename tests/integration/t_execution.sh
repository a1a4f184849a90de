#!/bin/bash
# Executed plans on the paper backend: the result's fields, the cooldown,
# done and inflight keys, idempotency on plan_id, the min-notional check of
# opening orders (blocked, or upsized with INTENT_EXECUTOR_ALLOW_UPSIZE) and
# the reduce-only default.  Paper filters: ETHUSDT step 0.001, min notional
# 20, mark 3000; TRXUSDT step 1, min notional 5, mark 0.12.
. "$(dirname "$0")/../lib.sh"

start_redis
start_daemon

field_is() {
	local v; v=$(result_field "$1" "$2")
	[ "$v" = "$3" ] && return 0
	echo "  $1: $2=$v, want $3" >&2; return 1
}
field_like() {
	local v; v=$(result_field "$1" "$2")
	[[ $v =~ $3 ]] && return 0
	echo "  $1: $2=$v, want /$3/" >&2; return 1
}
between() {
	[ -n "$1" ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ] && return 0
	echo "  $1 not in [$2, $3]" >&2; return 1
}
# run_plan STREAM PLAN_ID [field value ...]: granted, added, decided.
run_plan() { local s=$1 id=$2; shift 2; grant "$id"; add_plan "$s" "$id" "$@"; wait_result "$id" 5; }

# --- an executed plan on the main lane
now=$(date +%s)
check "main: decided" run_plan $MAIN ex-main
check "main: executed (details)" field_is ex-main executed true
check "main: executed (top-level field)" test "$(result_top ex-main executed)" = true
check "main: top-level source is intent_executor" test "$(result_top ex-main source)" = intent_executor
check "main: top-level event_type" test "$(result_top ex-main event_type)" = apply.result
check "main: top-level symbol" test "$(result_top ex-main symbol)" = ETHUSDT
check "main: top-level timestamp is now (unix s)" between "$(result_top ex-main timestamp)" $((now - 2)) $((now + 5))
check "main: no error" field_is ex-main error null
check "main: order_id paper-N" field_like ex-main order_id '^paper-[0-9]+$'
check "main: client_order_id qie-<plan_id>" field_is ex-main client_order_id qie-ex-main
check "main: filled_qty 0.01" field_is ex-main filled_qty 0.01
check "main: qty 0.01" field_is ex-main qty 0.01
check "main: order_status FILLED" field_is ex-main order_status FILLED
check "main: side SELL" field_is ex-main side SELL
check "main: lane main" field_is ex-main lane main
check "main: decision EXECUTE" field_is ex-main decision EXECUTE
now_ms=$(($(date +%s%N) / 1000000))
check "cooldown key holds unix ms of the execution" \
	between "$(redis-cli GET quantum:cooldown:last_exec_ts:ETHUSDT)" $((now_ms - 5000)) $now_ms
check "cooldown key TTL ~3600" between "$(redis-cli TTL quantum:cooldown:last_exec_ts:ETHUSDT)" 3590 3600
check "done key = 1" test "$(redis-cli GET quantum:intent_executor:done:ex-main)" = 1
check "done key TTL ~86400" between "$(redis-cli TTL quantum:intent_executor:done:ex-main)" 86390 86400
check "inflight key removed" test "$(redis-cli EXISTS quantum:inflight:ETHUSDT)" = 0
check "executed_true = 1" test "$(metric executed_true)" = 1

# --- the manual lane
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null
check "manual: decided" run_plan $MANUAL ex-manual symbol BTCUSDT side BUY qty 0.002
check "manual: executed" field_is ex-manual executed true
check "manual: lane manual" field_is ex-manual lane manual
check "manual: client_order_id" field_is ex-manual client_order_id qie-ex-manual
check "manual: filled_qty 0.002" field_is ex-manual filled_qty 0.002
check "manual: order_status FILLED" field_is ex-manual order_status FILLED
check "manual: order_id differs from main's" \
	test "$(result_field ex-manual order_id)" != "$(result_field ex-main order_id)"
check "manual: BTCUSDT cooldown key set" \
	between "$(redis-cli TTL quantum:cooldown:last_exec_ts:BTCUSDT)" 3590 3600
check "manual: inflight key removed" test "$(redis-cli EXISTS quantum:inflight:BTCUSDT)" = 0

long=0123456789abcdef0123456789abcdef01234567     # 40: too long to embed
check "40-char plan_id: decided" run_plan $MAIN $long
check "40-char plan_id: client_order_id qih-<32 hex> (36 chars)" \
	field_like $long client_order_id '^qih-[0-9a-f]{32}$'

# --- idempotency: the same plan_id again on its lane is skipped; on the
# other lane it is a conflict (t_lane_isolation.sh): refused, one result
lane_results() { results_of "$1" | jq -r --arg l "$2" 'select(.lane == $l) | .error' | wc -l; }
add_plan $MAIN ex-main
check "same plan_id again: skipped as already done" \
	wait_log "Skip duplicate plan (already done): plan_id=ex-main" 5
add_plan $MANUAL ex-main
check "same plan_id on the other lane after it was executed: refused (conflict)" \
	wait_log "Refused plan (plan_id_conflict): plan_id=ex-main" 5
add_plan $MAIN ex-main qty 0       # a malformed copy of the executed plan
add_plan $MAIN ex-main decision BLOCKED reason late_copy
sleep 0.3
check "same plan_id again: still one main-lane result (malformed and BLOCKED copies included; got $(lane_results ex-main main))" \
	test "$(lane_results ex-main main)" = 1
check "same plan_id again: its one result still says executed" test "$(result_field ex-main executed)" = true
check "the other lane's copy: one result, plan_id_conflict:main" \
	test "$(results_of ex-main | jq -r 'select(.lane == "manual") | .error')" = plan_id_conflict:main
check "same plan_id again: executed_true unchanged" test "$(metric executed_true)" = 3

add_plan $MAIN ex-twice            # no permit yet: still in progress ...
add_plan $MAIN ex-twice            # ... when the second copy arrives
check "copy while in progress: skipped" wait_log "Skip duplicate plan (already in progress): plan_id=ex-twice" 5
grant ex-twice
check "copy while in progress: decided" wait_result ex-twice 5
check "copy while in progress: executed" field_is ex-twice executed true

add_plan $MAIN ex-bad-copy         # waiting for its permit ...
add_plan $MAIN ex-bad-copy qty 0   # ... when a malformed copy arrives
sleep 0.3
grant ex-bad-copy
check "malformed copy while in progress: the plan is decided" wait_result ex-bad-copy 5
sleep 0.3
check "malformed copy while in progress: one result only (got $(result_count ex-bad-copy): $(results_of ex-bad-copy | jq -r '"executed=\(.executed) error=\(.error)"' | tr '\n' ' '))" \
	test "$(result_count ex-bad-copy)" = 1
check "malformed copy while in progress: the result says executed" \
	test "$(result_field ex-bad-copy executed)" = true

add_plan $MAIN ex-cross            # both lanes waiting for the same permit
add_plan $MANUAL ex-cross
sleep 0.2
grant ex-cross
check "same plan_id on both lanes at once: decided" wait_result ex-cross 5
sleep 0.5
check "same plan_id on both lanes at once (both waiting for its permit): a conflict, one result per lane, none executed (got $(result_count ex-cross))" \
	test "$(lane_results ex-cross main)$(lane_results ex-cross manual)$(results_of ex-cross | jq -r .executed | sort -u)" = 11false
check "duplicate_skipped counted" test "$(metric duplicate_skipped)" -ge 2
check "executed_true = 5 (main, manual, 40-char, twice, bad-copy)" test "$(metric executed_true)" = 5

# --- opening orders (reduceOnly false) are checked against min notional
check "opening 0.001 ETH (3 USDT < 20): decided" run_plan $MAIN ex-small side BUY qty 0.001 reduceOnly false
check "opening below min notional: not executed" field_is ex-small executed false
check "opening below min notional: min_notional_check_failed" \
	field_like ex-small error '^min_notional_check_failed:'
check "opening below min notional: no order placed (order_id null)" field_is ex-small order_id null
check "opening below min notional: its inflight key removed (the order is terminal, not only a filled one)" \
	test "$(redis-cli EXISTS quantum:inflight:ETHUSDT)" = 0
check "opening 0.01 ETH (30 USDT): decided" run_plan $MAIN ex-open side BUY qty 0.01 reduceOnly false
check "opening above min notional: executed" field_is ex-open executed true
check "reduceOnly \"maybe\" is no boolean: decided" run_plan $MAIN ex-maybe side BUY qty 0.001 reduceOnly maybe
check "reduceOnly \"maybe\" is no boolean: invalid_reduce_only:maybe, nothing sent" \
	field_like ex-maybe error '^invalid_reduce_only:maybe$'
check "reduceOnly \"maybe\": no order (order_id null)" field_is ex-maybe order_id null

# --- reduceOnly absent => reduce-only: no notional check
grant ex-absent
sid=$(xadd_plan $MAIN ex-absent qty 0.001 -reduceOnly)
check "reduceOnly absent, 0.001 ETH: added" test -n "$sid"
check "reduceOnly absent: decided" wait_result ex-absent 5
check "reduceOnly absent: treated as reduce-only, executed (no notional check)" \
	field_is ex-absent executed true
check "reduceOnly absent: qty 0.001" field_is ex-absent filled_qty 0.001
check "reduceOnly YES: decided" run_plan $MAIN ex-yes qty 0.001 reduceOnly YES
check "reduceOnly YES: executed" field_is ex-yes executed true
check "reduce-only below the step (0.0005): decided" run_plan $MAIN ex-step qty 0.0005
check "reduce-only below the step: not executed, min qty" \
	field_like ex-step error '^min_notional_check_failed:.*min qty'

# --- INTENT_EXECUTOR_ALLOW_UPSIZE=true: raised to the next step multiple
stop_daemon
start_daemon INTENT_EXECUTOR_ALLOW_UPSIZE=true
check "upsize: decided" run_plan $MAIN ex-up side BUY qty 0.001 reduceOnly false
check "upsize: executed" field_is ex-up executed true
check "upsize: qty rounded up to 0.007 (21 USDT >= 20; 0.006 is 18)" field_is ex-up qty 0.007
check "upsize: filled_qty 0.007" field_is ex-up filled_qty 0.007
check "upsize: requested_qty 0.001" field_is ex-up requested_qty 0.001
check "upsize TRX: decided" run_plan $MAIN ex-up-trx symbol TRXUSDT side BUY qty 1 reduceOnly false
check "upsize TRX: 42 (5 / 0.12 = 41.7, rounded up)" field_is ex-up-trx qty 42
redis-cli SET quantum:permit:p33:ex-up-cap '{"allow": true, "safe_qty": 0.005}' EX 60 >/dev/null
add_plan $MAIN ex-up-cap side BUY qty 0.001 reduceOnly false
check "upsize above the permit's safe_qty: decided" wait_result ex-up-cap 5
check "upsize above the permit's safe_qty: refused" field_like ex-up-cap error '^min_notional_check_failed:'
check "upsize: reduce-only orders are not upsized" run_plan $MAIN ex-up-ro qty 0.001
check "upsize: reduce-only 0.001 stays 0.001" field_is ex-up-ro qty 0.001

dups=$(results_all | jq -r '"\(.plan_id)/\(.details.lane)"' | sort | uniq -d | tr '\n' ' ')
check "one result per plan and lane (more than one: ${dups:-none})" test -z "$dups"
check "nothing pending on the main lane" test "$(pending_count $MAIN intent_executor)" = 0
check "nothing pending on the manual lane" test "$(pending_count $MANUAL intent_executor_manual)" = 0
