#!/bin/bash
# A halt takes effect in the middle of a drain (issue 14, point 9): while a
# backlog of plans on one symbol drains with their permits already
# granted, each plan's sent step rides in the round trip of its
# predecessor's result (workers/lifecycle.c, owner.c).  When the trading
# state turns HALTED, or the lane's breaker key is set, at most the one
# order already in flight for the symbol may still execute: every plan
# after it is refused (trading_halted, lane_halted), each plan has one
# result, and no plan executes after a refused one.  (Two checks make
# this hold: a permit read ahead is kept only while trading is ACTIVE
# (poll.c), and the riding step reads the state again (owner.c, whose
# check tests/unit/test_owner.c tests alone); with neither, about 200 of
# the plans here execute after the halt.)
. "$(dirname "$0")/../lib.sh"

N=1500
TS=quantum:intent_executor:trading_state
HALT=quantum:intent_executor:breaker:halted:main

start_redis
start_daemon INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MAIN=1000000 \
	INTENT_EXECUTOR_MAX_NOTIONAL_USDT_MAIN=1000000000 \
	INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MAIN=1000000000 \
	INTENT_EXECUTOR_MAX_PLAN_AGE_SEC=600

# backlog PREFIX: N plans on ETHUSDT, each with its permit, in one call
backlog() {
	redis-cli EVAL "
	for i = 1, tonumber(ARGV[1]) do
		local id = string.format('%s_%05d', ARGV[3], i)
		redis.call('SET', 'quantum:permit:p33:' .. id, '{\"allow\": true}', 'EX', 600)
		redis.call('XADD', KEYS[1], '*', 'plan_id', id,
			'action', 'FULL_CLOSE_PROPOSED', 'decision', 'EXECUTE',
			'symbol', 'ETHUSDT', 'side', 'SELL', 'type', 'MARKET',
			'qty', '0.01', 'reduceOnly', 'true', 'source', 'intent_bridge',
			'timestamp', ARGV[2])
	end
	return 1" 1 "$MAIN" "$N" "$(date +%s)" "$1" >/dev/null
}

# halt_now KEY: sets KEY and prints Redis's time of it in ms (one script)
halt_now() {
	redis-cli EVAL "redis.call('SET', KEYS[1], ARGV[1])
		local t = redis.call('TIME')
		return t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))" \
		1 "$1" HALTED
}

# drain PREFIX KEY ERROR: a backlog, KEY set once 200 of its results are
# in, then what must hold of its N results
drain() {
	local p=$1 key=$2 err=$3 base i t
	base=$(redis-cli XLEN quantum:stream:apply.result)
	backlog "$p"
	for i in $(seq 3000); do
		[ "$(redis-cli XLEN quantum:stream:apply.result)" -ge $((base + 200)) ] && break
		sleep 0.01
	done
	t=$(halt_now "$key")
	for i in $(seq 600); do
		[ "$(redis-cli XLEN quantum:stream:apply.result)" -ge $((base + N)) ] && break
		sleep 0.1
	done
	results_all | jq -c --arg p "${p}_" 'select(.plan_id | startswith($p))
		| {id: .plan_id, ms: (._id | split("-")[0] | tonumber),
		   ex: .details.executed, err: .details.error}' >"$T/$p.json"
	local total uniq ex halted last_ex first_halt after
	total=$(wc -l <"$T/$p.json")
	uniq=$(jq -r .id "$T/$p.json" | sort -u | wc -l)
	ex=$(jq -r 'select(.ex == true) | .id' "$T/$p.json" | wc -l)
	halted=$(jq -r --arg e "$err" 'select(.ex == false and (.err | startswith($e))) | .id' "$T/$p.json" | wc -l)
	last_ex=$(jq -r 'select(.ex == true) | .id' "$T/$p.json" | sort | tail -n 1)
	first_halt=$(jq -r 'select(.ex == false) | .id' "$T/$p.json" | sort | head -n 1)
	after=$(jq -r --argjson t "$t" 'select(.ex == true and .ms > $t) | .id' "$T/$p.json" | wc -l)
	echo "  $p: results=$total executed=$ex refused=$halted executed after the halt=$after"
	check "$p: every plan has one result" test "$total" = "$N" -a "$uniq" = "$N"
	check "$p: plans executed before the halt ($ex)" test "$ex" -ge 200
	check "$p: the rest refused $err ($halted)" test "$halted" -gt 0 -a \
		"$((ex + halted))" = "$N"
	check "$p: no plan executed after a refused one" \
		bash -c '[[ "$1" < "$2" ]]' _ "$last_ex" "$first_halt"
	check "$p: at most the order in flight executed after the halt ($after)" \
		test "$after" -le 1
	check "$p: nothing pending" test "$(pending_count "$MAIN" \
		intent_executor)" = 0
}

drain hd "$TS" trading_halted
redis-cli DEL "$TS" >/dev/null
drain hb "$HALT" lane_halted
