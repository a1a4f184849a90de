#!/bin/bash
# t_booleans.sh - every boolean the daemon reads, as README.md
# ("Booleans") lists them: true/false, yes/no, 1/0 in any case, nothing
# around them.  On both lanes, against the fake exchange (binance
# backend): each good spelling of reduceOnly reaches the exchange as
# written (absent: reduce-only); each other spelling gets one result
# invalid_reduce_only:<value> (sanitized) and no order.  The permit's
# allow in a hash, and as a JSON string: the good spellings of true grant,
# anything else denies.  A boolean setting spelled otherwise (on) is a
# startup error naming the variable.  The plans SELL: the account holds a
# long (tests/lib.sh), which a reduce-only SELL reduces.
. "$(dirname "$0")/../lib.sh"
trap eo_cleanup EXIT

start_redis
start_fake_eo
fake_creds
start_daemon_binance INTENT_EXECUTOR_MANUAL_ALLOW_OPEN=true INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=3000
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null

GOOD_TRUE=(true TRUE True tRUE yes YES Yes 1)
GOOD_FALSE=(false FALSE False fALSE no NO No 0)
BAD=("" maybe "true " " true" "False " on off ON 2 -1 tru truex "yes!" 1.0 01 null None "'true'" t)

# ro_rows LANE: "plan_id<TAB>executed<TAB>error<TAB>reduceOnly on the exchange"
declare -A WANT=()        # plan id -> "true" / "false" (on the exchange) or "bad:<value>"
n=0
for lane in main manual; do
	S=$MAIN; [ $lane = manual ] && S=$MANUAL
	src=intent_bridge; [ $lane = manual ] && src=manual_operator
	for v in "${GOOD_TRUE[@]}"; do
		n=$((n + 1)); id=ro-$lane-t$n
		grant "$id"; add_plan "$S" "$id" source $src side SELL reduceOnly "$v"; WANT[$id]=true
	done
	for v in "${GOOD_FALSE[@]}"; do
		n=$((n + 1)); id=ro-$lane-f$n
		grant "$id"; add_plan "$S" "$id" source $src side SELL reduceOnly "$v"; WANT[$id]=false
	done
	n=$((n + 1)); id=ro-$lane-absent$n
	grant "$id"; xadd_plan "$S" "$id" source $src side SELL -reduceOnly >/dev/null; WANT[$id]=true
	for v in "${BAD[@]}"; do
		n=$((n + 1)); id=ro-$lane-b$n
		grant "$id"; add_plan "$S" "$id" source $src side SELL reduceOnly "$v"; WANT[$id]="bad:$v"
	done
	# a NUL and a newline: sanitized in the error
	n=$((n + 1)); id=ro-$lane-nul$n
	grant "$id"
	xadd_lua "$S" "'plan_id', '$id', 'decision', 'EXECUTE', 'symbol', 'ETHUSDT', 'side', 'SELL',
		'type', 'MARKET', 'qty', '0.01', 'source', '$src', 'timestamp', '$(date +%s)',
		'reduceOnly', 'true' .. string.char(0)" >/dev/null
	WANT[$id]="bad:true?"
	n=$((n + 1)); id=ro-$lane-nl$n
	grant "$id"; add_plan "$S" "$id" source $src side SELL reduceOnly $'no\n'; WANT[$id]="bad:no?"
done
printf '%s\n' "${!WANT[@]}" >"$T/ro.ids"
check "every plan decided" wait_decided "$T/ro.ids" 60
result_rows ro- >"$T/ro.rows"
fake_orders >"$T/orders.json"

# one_plan ID: its one result and its order (or none) as WANT says
one_plan() {
	local id=$1 want=${WANT[$1]} rows ex err ro norders
	rows=$(awk -F'\t' -v p="$id" '$1 == p' "$T/ro.rows")
	[ "$(grep -c . <<<"$rows")" = 1 ] || { echo "  $id: $(grep -c . <<<"$rows") results" >&2; return 1; }
	IFS=$'\t' read -r _ ex _ err <<<"$rows"
	norders=$(jq --arg c "qie-$id" '[.orders[] | select(.clientOrderId == $c)] | length' "$T/orders.json")
	ro=$(jq -r --arg c "qie-$id" '.orders[] | select(.clientOrderId == $c) | .reduceOnly' "$T/orders.json")
	case $want in
	bad:*)
		[ "$ex" = false ] && [ "$err" = "invalid_reduce_only:${want#bad:}" ] && [ "$norders" = 0 ] && return 0
		echo "  $id: executed=$ex error='$err' orders=$norders; want false, 'invalid_reduce_only:${want#bad:}', 0" >&2
		return 1 ;;
	*)
		[ "$ex" = true ] && [ "$norders" = 1 ] && [ "$ro" = "$want" ] && return 0
		echo "  $id: executed=$ex error='$err' orders=$norders reduceOnly=$ro; want true, 1, $want" >&2
		return 1 ;;
	esac
}
bad_orders=0 bad_wrong=0 good_wrong=0
for id in $(sort "$T/ro.ids"); do
	if one_plan "$id" 2>>"$T/why"; then continue; fi
	case ${WANT[$id]} in
	bad:*) bad_wrong=$((bad_wrong + 1))
		[ "$(jq --arg c "qie-$id" '[.orders[] | select(.clientOrderId == $c)] | length' "$T/orders.json")" != 0 ] &&
			bad_orders=$((bad_orders + 1)) ;;
	*) good_wrong=$((good_wrong + 1)) ;;
	esac
done
nbad=$(printf '%s\n' "${WANT[@]}" | grep -c '^bad:')
ngood=$(printf '%s\n' "${WANT[@]}" | grep -vc '^bad:')
echo "info: $nbad bad spellings (both lanes): $bad_wrong wrong, $bad_orders placed an order; $ngood good: $good_wrong wrong"
[ -s "$T/why" ] && head -n 12 "$T/why"
for lane in main manual; do
	for id in $(grep "^ro-$lane-b" "$T/ro.ids" | sort -V); do
		check "$lane: reduceOnly '${WANT[$id]#bad:}': one result invalid_reduce_only, no order" one_plan "$id"
	done
	for id in $(grep -E "^ro-$lane-(nul|nl)" "$T/ro.ids"); do
		check "$lane: reduceOnly with a control byte: invalid_reduce_only:${WANT[$id]#bad:} (sanitized), no order" one_plan "$id"
	done
	for id in $(grep -E "^ro-$lane-(t|f|absent)" "$T/ro.ids" | sort -V); do
		check "$lane: $id: executed once with reduceOnly=${WANT[$id]} on the exchange" one_plan "$id"
	done
done
check "the log names the refusal" log_has "Skip plan (invalid_reduce_only:maybe)"

# --- the permit's allow: hash strings and JSON strings
declare -A PW=()
k=0
for v in true TRUE Yes 1; do
	k=$((k + 1)); id=pa-h$k
	redis-cli HSET "quantum:permit:p33:$id" allow "$v" >/dev/null; PW[$id]=granted
done
for v in false No 0 "" on maybe "true " 2; do
	k=$((k + 1)); id=pa-h$k
	redis-cli HSET "quantum:permit:p33:$id" allow "$v" >/dev/null; PW[$id]=denied
done
for v in yes TRUE; do
	k=$((k + 1)); id=pa-j$k
	redis-cli SET "quantum:permit:p33:$id" "{\"allow\": \"$v\"}" >/dev/null; PW[$id]=granted
done
for v in no on "true "; do
	k=$((k + 1)); id=pa-j$k
	redis-cli SET "quantum:permit:p33:$id" "{\"allow\": \"$v\"}" >/dev/null; PW[$id]=denied
done
for id in "${!PW[@]}"; do add_plan "$MAIN" "$id"; done
printf '%s\n' "${!PW[@]}" >"$T/pa.ids"
check "permit plans decided" wait_decided "$T/pa.ids" 30
permit_ok() {
	local id=$1 ex err
	ex=$(result_top "$id" executed); err=$(result_field "$id" error)
	if [ "${PW[$id]}" = granted ]; then [ "$ex" = true ] && return 0
	else [ "$ex" = false ] && [[ $err == p33_permit_denied:* ]] && return 0; fi
	echo "  $id (allow '$(redis-cli HGET "quantum:permit:p33:$id" allow 2>/dev/null || redis-cli GET "quantum:permit:p33:$id")'): executed=$ex error=$err, want ${PW[$id]}" >&2
	return 1
}
for id in $(sort -V "$T/pa.ids"); do
	check "permit $id: ${PW[$id]}" permit_ok "$id"
done

# --- a boolean setting in another spelling: a startup error naming it
run_daemon_once 10 INTENT_EXECUTOR_ALLOW_UPSIZE=on
check "INTENT_EXECUTOR_ALLOW_UPSIZE=on: the daemon refuses to start" test "$ONCE_RC" != 0 -a "$ONCE_RC" != 124
check "... naming the variable and the spellings" \
	grep -q "INTENT_EXECUTOR_ALLOW_UPSIZE.*true or false (also 1/0, yes/no, any case)" <<<"$ONCE_OUT"
check "nothing pending on the main lane" test "$(pending_count "$MAIN" intent_executor)" = 0
check "nothing pending on the manual lane" test "$(pending_count "$MANUAL" intent_executor_manual)" = 0
