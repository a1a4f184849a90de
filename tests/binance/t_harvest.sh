#!/bin/bash
# t_harvest.sh - the harvest lane (quantum:stream:harvest.intent, issue 17
# point 2) against the fake exchange, in one-way and in hedge mode: a CLOSE
# of a long and of a short, a PARTIAL_CLOSE of 0.5 (the quantity checked on
# the fake's order list, rounded down to the step), a part below the
# minimum quantity, a flat position skipped (nothing sent, neither
# counter), a symbol not allowlisted, a bad action and bad percentages,
# the ledger and the one trade.closed entry of each close (also when the
# ledger goes flat: never two), the counters and the contract's log lines;
# then the lane's own rate cap, the lane disabled (no worker, READY
# still), and a paper run (every entry flat-skipped).  That a request of
# the harvest link which is not reduce-only is refused is proven by
# tests/unit/test_executor.c (the worker never sends one).
. "$(dirname "$0")/../lib.sh"

HV=quantum:stream:harvest.intent
is() {
	[ "$1" = "$2" ] && return 0
	echo "  got '$1', want '$2'" >&2; return 1
}
# hv FIELD VALUE ...: a harvest entry; waits for its result, prints its
# plan_id (harvest-<entry id>).
hv() {
	local id
	id=$(redis-cli XADD "$HV" '*' "$@")
	wait_result "harvest-$id" 40 >&2
	echo "harvest-$id"
}
res() { result_field "$1" "$2"; }
# of PLAN_ID FIELD: a field of the fake's order with the plan's client order id
of() { fake_orders | jq -r --arg c "qie-$1" '[.orders[] | select(.clientOrderId == $c)][0].'"$2"; }
# pos SYMBOL SIDE: the fake's position ("0" when flat)
pos() { fake_account | jq -r --arg y "$1" --arg s "$2" '[.positions[] | select(.symbol == $y and .positionSide == $s) | .positionAmt][0] // "0"'; }
set_pos() { curl -fsS -X POST "$FX/_fake/position?symbol=$1&side=$2&amt=$3&entry=$4" >/dev/null; }
# closed ORDER_ID JQ: a jq expression over each trade.closed entry of that
# order (one line each)
closed() {
	redis-cli --json XRANGE quantum:stream:trade.closed - + | jq -r --arg o "$1" '
		.[] | .[1] as $f
		| ([range(0; $f | length; 2) | {key: $f[.], value: $f[. + 1]}] | from_entries)
		| select(.order_id == $o) | '"$2"
}
closed_count() { closed "$1" .order_id | wc -l; }
ledger() { redis-cli HGET "quantum:position:ledger:$1" "$2"; }

run_mode() {
	local m=$1 L=BOTH S=BOTH
	[ "$m" = hedge ] && L=LONG S=SHORT
	FX_LONG=0
	if [ "$m" = hedge ]; then start_fake --mode hedge; else start_fake; fi
	fake_creds
	# the positions before the daemon reads them at start
	set_pos ETHUSDT "$L" 0.04 2900
	set_pos BTCUSDT "$S" -0.004 61000
	set_pos SOLUSDT "$L" 0.01 140
	start_daemon_binance INTENT_EXECUTOR_ALLOWLIST=BTCUSDT,ETHUSDT,BNBUSDT,SOLUSDT,LTCUSDT
	check "$m: the harvest lane consumes" wait_log "📨 Consuming HARVEST: $HV" 10
	local ex0 fl0
	ex0=$(metric harvest_executed) fl0=$(metric harvest_failed)

	# PARTIAL_CLOSE 0.5 of the 0.04 long: SELL 0.02, reduce-only
	local p
	p=$(hv symbol ETHUSDT action PARTIAL_CLOSE percentage 0.5 reason tp_partial R_net 0.8 pnl_usd 2.5 entry_price 2900 exit_price 3000)
	check "$m partial: executed" is "$(res "$p" executed)" true
	check "$m partial: SELL 0.02 on the exchange" is "$(of "$p" side)/$(of "$p" quantity)" SELL/0.02
	check "$m partial: positionSide $L" is "$(of "$p" positionSide)" "$L"
	[ "$m" = one-way ] && check "$m partial: reduceOnly" is "$(of "$p" reduceOnly)" true
	check "$m partial: half the position left" is "$(pos ETHUSDT "$L")" 0.02
	check "$m partial: the result's qty is what was sent" is "$(res "$p" qty)/$(res "$p" filled_qty)" 0.02/0.02
	local oid
	oid=$(res "$p" order_id)
	check "$m partial: one trade.closed entry for its order" is "$(closed_count "$oid")" 1
	check "$m partial: trade.closed from the entry (model_id, source, reason, R_net, pnl_usd, prices, side)" \
		is "$(closed "$oid" '[.model_id, .source, .reason, .R_net, .pnl_usd, .entry_price, .exit_price, .side, .symbol] | join(" ")')" \
		"autonomous_exit autonomous_trader tp_partial 0.8 2.5 2900 3000 LONG ETHUSDT"
	check "$m partial: the ledger counted the order" is "$(redis-cli SISMEMBER quantum:ledger:seen_orders "$oid")" 1
	check "$m partial: the contract's lines" bash -c "grep -qF '🌾 HARVEST INTENT: ETHUSDT PARTIAL_CLOSE' '$DLOG' && grep -qF '🚀 HARVEST CLOSE: ETHUSDT 50% of the position' '$DLOG' && grep -qF '✅ HARVEST SUCCESS: ETHUSDT closed 0.02 orderId=$oid' '$DLOG'"

	# CLOSE of the rest of the long (percentage absent: all of it)
	p=$(hv symbol ETHUSDT action CLOSE reason tp_full)
	check "$m close long: executed, SELL 0.02" is "$(res "$p" executed)/$(of "$p" side)/$(of "$p" quantity)" true/SELL/0.02
	check "$m close long: flat on the exchange" is "$(pos ETHUSDT "$L")" 0
	oid=$(res "$p" order_id)
	check "$m close long: one trade.closed, side LONG, computed prices where the entry gives none" \
		is "$(closed_count "$oid")/$(closed "$oid" '[.side, .model_id, .reason] | join(" ")')" "1/LONG autonomous_exit tp_full"

	# CLOSE of a short: BUY
	p=$(hv symbol btcusdt action close)
	check "$m close short: executed, BUY 0.004" is "$(res "$p" executed)/$(of "$p" side)/$(of "$p" quantity)" true/BUY/0.004
	check "$m close short: positionSide $S" is "$(of "$p" positionSide)" "$S"
	check "$m close short: flat" is "$(pos BTCUSDT "$S")" 0
	oid=$(res "$p" order_id)
	check "$m close short: trade.closed side SHORT" is "$(closed "$oid" .side)" SHORT
	check "$m close short: ✅ HARVEST SUCCESS line" log_has "✅ HARVEST SUCCESS: BTCUSDT closed 0.004 orderId=$oid"

	# a part below the minimum quantity (0.01 x 0.5 = 0.005, step 0.01)
	local posts
	posts=$(fake_order_posts)
	p=$(hv symbol SOLUSDT action PARTIAL_CLOSE percentage 0.5)
	check "$m below min qty: refused" is "$(res "$p" error)/$(res "$p" executed)" close_below_min_qty:SOLUSDT/false
	check "$m below min qty: nothing sent" is "$(fake_order_posts)" "$posts"
	check "$m below min qty: ❌ HARVEST FAILED line" log_has "❌ HARVEST FAILED: SOLUSDT - close_below_min_qty:SOLUSDT"

	# flat: skipped, nothing sent, neither counter
	local ex fl
	ex=$(metric harvest_executed) fl=$(metric harvest_failed)
	p=$(hv symbol BNBUSDT action CLOSE)
	check "$m flat: skipped (close_no_position), not executed" is "$(res "$p" error)/$(res "$p" executed)" close_no_position/false
	check "$m flat: nothing sent" is "$(fake_order_posts)" "$posts"
	check "$m flat: neither harvest_executed nor harvest_failed" is "$(metric harvest_executed)/$(metric harvest_failed)" "$ex/$fl"
	check "$m flat: the skip is logged" log_has "HARVEST SKIPPED: BNBUSDT - close_no_position"

	# refused entries: one result each, nothing sent, harvest_failed
	p=$(hv symbol DOGEUSDT action CLOSE)
	check "$m not allowlisted: refused" is "$(res "$p" error)" symbol_not_in_allowlist:DOGEUSDT
	check "$m not allowlisted: ❌ HARVEST FAILED line" log_has "❌ HARVEST FAILED: DOGEUSDT - symbol_not_in_allowlist:DOGEUSDT"
	p=$(hv symbol ETHUSDT action OPEN)
	check "$m bad action: refused" is "$(res "$p" error)" invalid_action:OPEN
	local v
	for v in 1.5 0 -0.5 abc ""; do
		p=$(hv symbol ETHUSDT action PARTIAL_CLOSE percentage "$v")
		check "$m percentage '$v': refused" is "$(res "$p" error)" "invalid_percentage:$v"
	done
	p=$(hv action CLOSE)
	check "$m no symbol: refused" is "$(res "$p" error)" missing_required_fields
	p=$(hv symbol ETHUSDT action CLOSE action CLOSE)
	check "$m a field twice: refused" is "$(res "$p" error)" duplicate_field:action
	check "$m refusals: nothing sent" is "$(fake_order_posts)" "$posts"
	check "$m counters: 3 executed, 10 failed" \
		is "$(( $(metric harvest_executed) - ex0 ))/$(( $(metric harvest_failed) - fl0 ))" 3/10

	# the ledger knows the position (opened by the main lane): the close
	# makes it flat, and still one trade.closed entry for its order
	grant lt_open
	add_plan "$MAIN" lt_open symbol LTCUSDT side BUY qty 0.3 reduceOnly false leverage 1
	wait_result lt_open 40
	check "$m ledger: the main lane opened 0.3 LTC" is "$(res lt_open executed)/$(ledger LTCUSDT ledger_amt)" true/0.3
	p=$(hv symbol LTCUSDT action CLOSE reason exit_brain R_net 1.2 pnl_usd 3)
	oid=$(res "$p" order_id)
	check "$m ledger: the close executed, SELL 0.3" is "$(res "$p" executed)/$(of "$p" side)/$(of "$p" quantity)" true/SELL/0.3
	check "$m ledger: flat, its position keys gone" is "$(ledger LTCUSDT ledger_amt)/$(ledger LTCUSDT side)" 0/FLAT
	check "$m ledger: one trade.closed for the order (never two), the entry's" \
		is "$(closed_count "$oid")/$(closed "$oid" '[.model_id, .source, .R_net, .pnl_usd, .side] | join(" ")')" \
		"1/autonomous_exit autonomous_trader 1.2 3 LONG"
	check "$m ledger: the LEDGER_COMMIT line" log_has "LEDGER_COMMIT symbol=LTCUSDT order_id=$oid amt=0.0000 side=FLAT"

	# the entry's result: one per entry, on the result stream
	check "$m: one result per harvest entry" is \
		"$(results_all | jq -r 'select(.details.lane == "harvest") | .plan_id' | sort | uniq -d | wc -l)" 0
	check "$m: harvest results name their lane and stream id" is \
		"$(results_all | jq -r 'select(.details.lane == "harvest") | select(.plan_id != "harvest-" + .details.stream_id) | .plan_id' | wc -l)" 0
	check "$m: no sandbox violation" bash -c "! grep -q SIGSYS '$DLOG'"
	stop_daemon
	stop_fake
	redis-cli FLUSHALL >/dev/null
}

start_redis
run_mode one-way
run_mode hedge

# what the harvest lane spent is kept like the other lanes' (no restart
# resets its caps): the runs above wrote it to the supervisor's ledger
check "spend: the harvest lane's orders are in the ledger file" grep -q "^spend harvest [0-9]* 1 " "$T/ledger"

# the lane's own rate cap: 1 order a minute; the main lane is not held up
# (a ledger of its own: the runs above spent this minute's orders)
FX_LONG=0
start_fake
fake_creds
set_pos ETHUSDT BOTH 0.02 3000
set_pos BTCUSDT BOTH 0.002 60000
start_daemon_binance INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_HARVEST=1 \
	INTENT_EXECUTOR_LEDGER_FILE="$T/ledger-rc"
wait_log "📨 Consuming HARVEST" 10
p1=$(hv symbol ETHUSDT action CLOSE)
p2=$(hv symbol BTCUSDT action CLOSE)
check "rate cap: the first close executed" is "$(res "$p1" executed)" true
check "rate cap: the second refused by the harvest lane's cap, nothing sent" \
	is "$(res "$p2" error)/$(fake_posts "qie-$p2")" "rate_limited:lane harvest above 1 orders/min/0"
grant rc_main
add_plan "$MAIN" rc_main symbol BTCUSDT side SELL qty 0.001 reduceOnly true
wait_result rc_main 40
check "rate cap: the main lane's own cap is untouched" is "$(res rc_main executed)" true
stop_daemon
stop_fake
redis-cli FLUSHALL >/dev/null

# disabled: no worker, READY (the status file's state) without it
start_daemon INTENT_EXECUTOR_HARVEST_ENABLED=false
wait_log "is ready: Redis answered" 10 2
for i in $(seq 100); do grep -q '^state ready' "$T/status" && break; sleep 0.05; done
check "disabled: the daemon is ready without the harvest lane" \
	grep -qx "state ready: main and manual lanes consuming (harvest disabled), executor up (backend paper)" "$T/status"
check "disabled: the status file shows it off" grep -q "^harvest pid=0 .*last_death=disabled" "$T/status"
check "disabled: no harvest worker started" bash -c "! grep -q 'started harvest\|Consuming HARVEST' '$DLOG'"
redis-cli XADD "$HV" '*' symbol ETHUSDT action CLOSE >/dev/null
sleep 1
check "disabled: an entry is not read (no group, no result)" is \
	"$(redis-cli XINFO GROUPS "$HV" 2>/dev/null | grep -c intent_executor_harvest)/$(results_all | grep -c harvest-)" 0/0
stop_daemon
redis-cli FLUSHALL >/dev/null

# paper: the backend keeps no positions, so every entry is flat-skipped
start_daemon
wait_log "📨 Consuming HARVEST" 10
p=$(hv symbol ETHUSDT action CLOSE)
check "paper: skipped as flat (close_no_position)" is "$(res "$p" error)/$(res "$p" executed)" close_no_position/false
check "paper: neither counter" is "$(metric harvest_executed)/$(metric harvest_failed)" 0/0
check "paper: the status file shows the harvest worker" grep -q "^harvest pid=[1-9]" "$T/status"
check "paper: ready with three lanes" grep -qx "state ready: main, manual and harvest lanes consuming, executor up (backend paper)" "$T/status"
stop_daemon
