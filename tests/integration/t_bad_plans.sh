#!/bin/bash
# A battery of bad plans on both lanes.  Each one (but the obsolete nested
# format, which is acknowledged without a result) gets exactly one result
# with executed=false and the expected error word; nothing is executed, no
# process dies, nothing stays pending, and a good plan still executes.
. "$(dirname "$0")/../lib.sh"

start_redis
start_daemon
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null

SIDS=() WHAT=() WANT=()
# expect STREAM_ID "what" 'regex the result error must match'
expect() { SIDS+=("$1"); WHAT+=("$2"); WANT+=("$3"); }

# lbase PLAN_ID [FIELD...]: the Lua list of a valid plan's fields, without
# the FIELDs named (for xadd_lua).
lbase() {
	local id=$1 k s=; shift
	declare -A f=([plan_id]="'$id'" [decision]="'EXECUTE'" [symbol]="'ETHUSDT'"
		[side]="'SELL'" [type]="'MARKET'" [qty]="'0.01'" [reduceOnly]="'true'"
		[source]="'intent_bridge'" [timestamp]="'$(date +%s)'")
	for k in "$@"; do unset "f[$k]"; done
	for k in "${!f[@]}"; do s+="'$k', ${f[$k]}, "; done
	echo "${s%, }"
}

MB=1048576
for lane in main manual; do
	S=$MAIN; [ $lane = manual ] && S=$MANUAL
	p=bad-$lane
	# missing or empty required fields
	for fld in plan_id symbol side qty; do
		expect "$(xadd_plan $S $p-no-$fld -$fld)" "$lane: no $fld" '^missing_required_fields$'
		expect "$(xadd_plan $S $p-empty-$fld $fld '')" "$lane: empty $fld" '^missing_required_fields$'
	done
	# quantities
	expect "$(xadd_plan $S $p-qty0 qty 0)" "$lane: qty 0" '^invalid_qty:'
	expect "$(xadd_plan $S $p-qty00 qty 0.000)" "$lane: qty 0.000" '^invalid_qty:'
	expect "$(xadd_plan $S $p-qtytiny qty 0.000000001)" "$lane: qty 1e-9 (0 at 8 places)" '^invalid_qty:'
	expect "$(xadd_plan $S $p-qtyneg qty -1)" "$lane: qty -1" '^invalid_qty:'
	expect "$(xadd_plan $S $p-qtynan qty nan)" "$lane: qty nan" '^invalid_qty:'
	expect "$(xadd_plan $S $p-qtyinf qty inf)" "$lane: qty inf" '^invalid_qty:'
	expect "$(xadd_plan $S $p-qtyexp qty 1e309)" "$lane: qty 1e309" '^invalid_qty:'
	expect "$(xadd_plan $S $p-qtyhex qty 0x10)" "$lane: qty 0x10" '^invalid_qty:'
	expect "$(xadd_plan $S $p-qtysp qty ' 1')" "$lane: qty ' 1'" '^invalid_qty:'
	expect "$(xadd_plan $S $p-qtybig qty 99999999999999999999)" "$lane: qty 1e20" '^invalid_qty:'
	expect "$(xadd_lua $S "$(lbase $p-qtymb qty), 'qty', string.rep('9', $MB)")" \
		"$lane: qty of 1 MB" '^invalid_qty:'
	# an unknown field of 1 MB: a valid plan otherwise; no permit is granted
	expect "$(xadd_lua $S "$(lbase $p-bigextra), 'comment', string.rep('x', $MB)")" \
		"$lane: unknown field of 1 MB (no permit)" '^p33_permit_missing_or_denied$'
	# binary bytes
	expect "$(xadd_lua $S "$(lbase $p-binsym0 symbol), 'symbol', 'ETH' .. string.char(0) .. 'USDT'")" \
		"$lane: NUL byte in symbol" '^symbol_not_in_allowlist:'
	expect "$(xadd_lua $S "$(lbase $p-binsymff symbol), 'symbol', 'ETHUSDT' .. string.char(255, 10)")" \
		"$lane: bytes ff 0a in symbol" '^symbol_not_in_allowlist:'
	expect "$(xadd_lua $S "$(lbase $p-binqty qty), 'qty', '0.01' .. string.char(0) .. '5'")" \
		"$lane: NUL byte in qty" '^invalid_qty:'
	expect "$(xadd_lua $S "$(lbase $p-binqty2 qty), 'qty', string.char(0xef, 0xbc, 0x91)")" \
		"$lane: fullwidth digit in qty" '^invalid_qty:'
	expect "$(xadd_lua $S "$(lbase $p-binside side), 'side', 'SELL' .. string.char(0)")" \
		"$lane: NUL byte in side" '^invalid_side:'
	# unknown values, and values that try to smuggle parameters
	expect "$(xadd_plan $S $p-hold side HOLD)" "$lane: side HOLD" '^invalid_side:HOLD$'
	expect "$(xadd_plan $S $p-doge symbol DOGEUSDT)" "$lane: symbol DOGEUSDT" \
		'^symbol_not_in_allowlist:DOGEUSDT$'
	expect "$(xadd_plan $S $p-symamp symbol 'ETHUSDT&side=BUY')" "$lane: symbol with &" \
		'^symbol_not_in_allowlist:'
	expect "$(xadd_plan $S $p-symeq symbol 'ETH=USDT')" "$lane: symbol with =" \
		'^symbol_not_in_allowlist:'
	expect "$(xadd_plan $S $p-sideamp side 'SELL&reduceOnly=false')" "$lane: side with &" \
		'^invalid_side:'
	expect "$(xadd_plan $S $p-sideeq side 'BUY=')" "$lane: side with =" '^invalid_side:'
	expect "$(xadd_plan $S $p-limit type LIMIT)" "$lane: type LIMIT" '^unsupported_type:LIMIT$'
	expect "$(xadd_plan $S "$(printf 'L%.0s' $(seq 200))")" "$lane: plan_id of 200 characters" \
		'^invalid_plan_id'
	expect "$(xadd_plan $S "$p id")" "$lane: plan_id with a space" '^invalid_plan_id'
	# a field given twice (XADD allows it)
	expect "$(xadd_lua $S "$(lbase $p-dupqty), 'qty', '0.02'")" "$lane: qty given twice" \
		'^duplicate_field:qty$'
	expect "$(xadd_lua $S "$(lbase $p-dupside), 'side', 'BUY'")" "$lane: side given twice" \
		'^duplicate_field:side$'
	# decisions other than EXECUTE: the reason is error, else reason, else reason_codes
	expect "$(xadd_plan $S $p-blocked decision BLOCKED reason risk_limit_hit)" \
		"$lane: decision BLOCKED with reason" '^risk_limit_hit$'
	expect "$(xadd_plan $S $p-skip decision SKIP error no_position reason other)" \
		"$lane: decision SKIP with error and reason" '^no_position$'
	expect "$(xadd_plan $S $p-skipcodes decision SKIP reason_codes kill_switch)" \
		"$lane: decision SKIP with reason_codes" '^kill_switch$'
	expect "$(xadd_plan $S $p-blockednr decision BLOCKED)" "$lane: decision BLOCKED, no reason" \
		'^decision_not_execute:BLOCKED$'
	expect "$(xadd_plan $S $p-nodecision -decision)" "$lane: no decision" \
		'^decision_not_execute:missing$'
done
DECISION_PLANS=10

# the obsolete nested format: acknowledged, no result
obs_main=$(redis-cli XADD $MAIN '*' payload '{"plan_id":"obsolete1","symbol":"ETHUSDT"}')
obs_manual=$(redis-cli XADD $MANUAL '*' payload '{"plan_id":"obsolete2","symbol":"ETHUSDT"}')

# --- every bad plan decided (one snapshot of the result stream, then checks)
deadline=$((SECONDS + 10))
while [ "$(redis-cli XLEN quantum:stream:apply.result)" -lt "${#SIDS[@]}" ] &&
	[ $SECONDS -lt $deadline ]; do
	sleep 0.1
done
sleep 0.3      # room for a stray second result
declare -A NRES=() EXEC=() ERR=()
while IFS=$'\t' read -r sid top ex err; do
	NRES[$sid]=$((${NRES[$sid]:-0} + 1))
	EXEC[$sid]="$top/$ex"
	ERR[$sid]=$err
done < <(results_all | jq -r '[.details.stream_id, .executed, .details.executed, .details.error] | @tsv')
check_entry() {
	local i=$1 sid=${SIDS[$1]}
	[ "${NRES[$sid]:-0}" = 1 ] && [ "${EXEC[$sid]}" = false/false ] &&
		[[ ${ERR[$sid]} =~ ${WANT[$i]} ]] && return 0
	echo "  entry $sid: ${NRES[$sid]:-0} result(s), executed=${EXEC[$sid]:-} (top-level/details), error=${ERR[$sid]:-}; want 1, false/false, /${WANT[$i]}/" >&2
	return 1
}
for i in "${!SIDS[@]}"; do
	check "${WHAT[$i]}: one result, executed=false, error /${WANT[$i]}/" check_entry "$i"
done

check "obsolete format (main): no result" test "$(entry_result_count "$obs_main")" = 0
check "obsolete format (manual): no result" test "$(entry_result_count "$obs_manual")" = 0
check "obsolete format: logged as skipped on both lanes" \
	test "$(grep -cF 'obsolete nested payload format' "$DLOG")" = 2
check "obsolete format: counted (skipped_obsolete = 2)" test "$(metric skipped_obsolete)" = 2
check "nothing executed: executed_true = 0" test "$(metric executed_true)" = 0
check "nothing executed: no result has executed=true" \
	test "$(results_all | jq -r 'select(.executed != "false" or .details.executed != false) | ._id' | wc -l)" = 0
check "result count = bad plans" test "$(results_all | wc -l)" = "${#SIDS[@]}"
check "p35_guard_blocked counts the $DECISION_PLANS non-EXECUTE decisions" \
	test "$(metric p35_guard_blocked)" = $DECISION_PLANS
check "processed = executed_true + executed_false" \
	test "$(metric processed)" -eq $(($(metric executed_true) + $(metric executed_false)))
check "no result stream field carries a raw control byte" \
	test "$(redis-cli --raw XRANGE quantum:stream:apply.result - + | LC_ALL=C grep -c '[[:cntrl:]]')" = 0

# --- the daemon kept running: no process died or was restarted
check "supervisor still running" kill -0 "$DAEMON_PID"
for role in executor main manual; do
	check "$role never restarted" test "$(status_get $role restarts)" = 0
done
check "no FATAL in the log" bash -c "! grep -q FATAL '$DLOG'"

# --- and still executes a good plan on each lane
grant good-main
grant good-manual
add_plan $MAIN good-main
add_plan $MANUAL good-manual
check "good plan (main) decided" wait_result good-main 10
check "good plan (main) executed" test "$(result_field good-main executed)" = true
check "good plan (manual) decided" wait_result good-manual 10
check "good plan (manual) executed" test "$(result_field good-manual executed)" = true
check "executed_true = 2" test "$(metric executed_true)" = 2

check "nothing pending on the main lane" test "$(pending_count $MAIN intent_executor)" = 0
check "nothing pending on the manual lane" test "$(pending_count $MANUAL intent_executor_manual)" = 0
