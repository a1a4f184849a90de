#!/bin/bash
# t_ledger.sh - the position ledger (CONTRACT.md, "Position ledger"),
# written by the settle script with each fill's result.  Paper backend:
# an open, a partial close, a flip, going flat (the three position keys
# deleted, one trade.closed entry), the pnl of a position the ledger held
# before, the weighted entry price, the exact LEDGER_COMMIT line, the seen
# orders (an order id counted before moves nothing), a ledger hash that is
# not a decimal or of the wrong type (no result until it is fixed, then
# exactly one and one ledger move), and the main worker killed with
# SIGKILL at each step of a plan's way.  Binance backend against the fake
# exchange: the executor, the worker or the whole daemon killed at each
# step where an order may exist; the ledger ends equal to the fills and to
# the exchange's position, each order counted once; a position opened by
# someone else: the ledger's amount is the exchange's (the executor's
# positions after the fill), not the sum of our fills.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../crash.sh"
trap eo_cleanup EXIT

LK=quantum:position:ledger:
COMMON=(INTENT_EXECUTOR_CLAIM_MIN_IDLE_MS=1000 INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=30000)
BACKEND=paper
: >"$T/all.log"

# led FIELD [SYMBOL]: a field of the symbol's ledger hash (ETHUSDT).
led() { redis-cli HGET "$LK${2:-ETHUSDT}" "$1"; }
# fill PLAN_ID [field value ...]: granted, on the main lane, decided,
# executed.
fill() {
	local id=$1; shift
	grant "$id"
	add_plan "$MAIN" "$id" "$@"
	wait_result "$id" 10 && [ "$(result_field "$id" executed)" = true ]
}
order_of() { result_field "$1" order_id; }
# is_led SYMBOL AMT SIDE ENTRY: the ledger hash says so, in every field.
is_led() {
	local s=$1 f
	for f in ledger_amt position_amt last_known_amt; do
		[ "$(led $f "$s")" = "$2" ] || { echo "$f: $(led $f "$s"), want $2" >&2; return 1; }
	done
	for f in ledger_side side last_side; do
		[ "$(led $f "$s")" = "$3" ] || { echo "$f: $(led $f "$s"), want $3" >&2; return 1; }
	done
	for f in entry_price avg_entry_price; do
		[ "$(led $f "$s")" = "$4" ] || { echo "$f: $(led $f "$s"), want $4" >&2; return 1; }
	done
	[ "$(led qty "$s")" = "${2#-}" ] && [ "$(led unrealized_pnl "$s")" = 0 ] &&
		[ "$(led source "$s")" = intent_executor_exactly_once ]
}
# logs: every daemon log of this test
logs() { cat "$T/all.log" "$DLOG"; }
# commits ORDER_ID: LEDGER_COMMIT lines for the order
commits() { logs | grep -c "LEDGER_COMMIT .* order_id=$1 "; }
# line_once PLAN_ID SYMBOL AMT SIDE ENTRY QTY: the exact line, once
line_once() {
	local want="LEDGER_COMMIT symbol=$2 order_id=$(order_of "$1") amt=$3 side=$4 entry_price=$5 unrealized_pnl=0.00 filled_qty=$6"
	[ "$(logs | grep -cF -- "$want")" = 1 ] || { echo "not once: $want" >&2; return 1; }
}
# closed FIELD: a field of the newest trade.closed entry
closed() {
	redis-cli --json XREVRANGE quantum:stream:trade.closed + - COUNT 1 | jq -r --arg f "$1" \
		'.[0][1] as $a | [range(0; $a | length; 2) | select($a[.] == $f) | $a[. + 1]][0]'
}
# closed_is FIELD VALUE ...: the newest trade.closed entry says so
closed_is() {
	while [ $# -ge 2 ]; do
		[ "$(closed "$1")" = "$2" ] || { echo "trade.closed $1: $(closed "$1"), want $2" >&2; return 1; }
		shift 2
	done
}
start_redis
FX_LONG=0 start_fake_eo            # flat: the ledger starts where the account does
fake_creds
up

# --- open, partial close, flip, flat (paper fills at the mark, 3000)
check "open: executed" fill lg-open side BUY reduceOnly false qty 0.03
check "open: LONG 0.03 at 3000" is_led ETHUSDT 0.03 LONG 3000
check "open: the plan's leverage (1 when absent), the order, the fill" bash -c \
	'[ "$1" = 1 ] && [ "$2" = "$3" ] && [ "$4" = 0.03 ] && [ "$5" = 0.03 ]' _ \
	"$(led leverage)" "$(led last_order_id)" "$(order_of lg-open)" "$(led last_filled_qty)" "$(led last_executed_qty)"
now=$(date +%s)
check "open: synced_at, updated_at, last_update_ts are unix seconds of now" bash -c \
	'for v in "$2" "$3" "$4"; do [ $((v - $1)) -le 5 ] && [ $(($1 - v)) -le 5 ] || exit 1; done' _ \
	"$now" "$(led synced_at)" "$(led updated_at)" "$(led last_update_ts)"
check "open: the exact LEDGER_COMMIT line, once" line_once lg-open ETHUSDT 0.0300 LONG 3000.00 0.0300
check "partial close: executed" fill lg-part side SELL qty 0.01
check "partial close: LONG 0.02, entry kept" is_led ETHUSDT 0.02 LONG 3000
check "partial close: its line" line_once lg-part ETHUSDT 0.0200 LONG 3000.00 0.0100
check "flip: executed" fill lg-flip side SELL reduceOnly false qty 0.05 leverage 5
check "flip: SHORT 0.03 at the fill's price" is_led ETHUSDT -0.03 SHORT 3000
check "flip: the plan's leverage" test "$(led leverage)" = 5
check "flip: its line (signed amount)" line_once lg-flip ETHUSDT -0.0300 SHORT 3000.00 0.0500
check "flip: not flat, no trade.closed" test "$(redis-cli XLEN quantum:stream:trade.closed)" = 0
redis-cli SET quantum:state:positions:ETHUSDT x >/dev/null
redis-cli HSET quantum:position:snapshot:ETHUSDT amt -0.03 >/dev/null
redis-cli SET quantum:position:ETHUSDT y >/dev/null
redis-cli SET quantum:position:BTCUSDT other >/dev/null
check "flat: executed" fill lg-flat side BUY qty 0.03 confidence 0.77 model_id m-1 R_net 2.5 reason tp_hit
check "flat: FLAT 0, entry 0" is_led ETHUSDT 0 FLAT 0
check "flat: its line" line_once lg-flat ETHUSDT 0.0000 FLAT 0.00 0.0300
check "flat: the three position keys deleted" test "$(redis-cli EXISTS quantum:state:positions:ETHUSDT \
	quantum:position:snapshot:ETHUSDT quantum:position:ETHUSDT)" = 0
check "flat: another symbol's position key kept" test "$(redis-cli GET quantum:position:BTCUSDT)" = other
check "flat: one trade.closed entry" test "$(redis-cli XLEN quantum:stream:trade.closed)" = 1
check "flat: trade.closed says what closed, with the plan's fields" closed_is event_type trade.closed \
	symbol ETHUSDT side SHORT entry_price 3000 exit_price 3000 pnl_usd 0 pnl_percent 0 \
	confidence 0.77 model_id m-1 R_net 2.5 reason tp_hit order_id "$(order_of lg-flat)" source intent_executor
check "flat: its timestamp is ISO 8601 UTC" grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\+00:00$' \
	<<<"$(closed timestamp)"
check "flat: 14 fields, all strings" test "$(redis-cli --json XREVRANGE quantum:stream:trade.closed + - COUNT 1 |
	jq '.[0][1] | length')" = 28

# --- a position the ledger held before (another service wrote it): pnl
redis-cli HSET "${LK}BTCUSDT" ledger_amt 0.002 entry_price 59000 ledger_side LONG >/dev/null
check "pnl: the close executed" fill lg-btc symbol BTCUSDT side SELL qty 0.002
check "pnl: BTCUSDT flat" is_led BTCUSDT 0 FLAT 0
check "pnl: the position key of BTCUSDT deleted" test "$(redis-cli EXISTS quantum:position:BTCUSDT)" = 0
check "pnl: trade.closed with pnl, and the defaults for what the plan did not say" closed_is \
	symbol BTCUSDT side LONG entry_price 59000 exit_price 60000 pnl_usd 2 pnl_percent 1.69491525 \
	confidence 0 model_id intent_executor R_net 0 reason position_closed
# the weighted entry price, and the line's 2 decimals rounded (0.115: 0.12)
redis-cli HSET "${LK}TRXUSDT" ledger_amt 100 entry_price 0.11 >/dev/null
check "grow: executed" fill lg-trx symbol TRXUSDT side BUY reduceOnly false qty 100
check "grow: LONG 200 at the weighted average" is_led TRXUSDT 200 LONG 0.115
check "grow: its line" line_once lg-trx TRXUSDT 200.0000 LONG 0.12 100.0000

# --- the seen orders: an order id counted before moves nothing
last=$(order_of lg-trx)
next=paper-$((${last#paper-} + 1))
redis-cli SADD quantum:ledger:seen_orders "$next" >/dev/null
check "seen: the plan executed, its result written" fill lg-seen side BUY reduceOnly false qty 0.01
check "seen: it was the order counted before ($next)" test "$(order_of lg-seen)" = "$next"
check "seen: the ledger did not move" is_led ETHUSDT 0 FLAT 0
check "seen: no LEDGER_COMMIT for it" test "$(commits "$next")" = 0
check "seen: said in the log" log_has "order $next of plan lg-seen was counted in the position ledger before: not again"

# --- a ledger hash the script refuses: no result, nothing moved, retried
pending_entries() { pending_count "$MAIN" intent_executor; }
seen0=$(redis-cli SCARD quantum:ledger:seen_orders)
redis-cli HSET "${LK}ETHUSDT" ledger_amt 1e-05 >/dev/null
grant lg-bad; add_plan "$MAIN" lg-bad side BUY reduceOnly false qty 0.01
check "not a decimal: refused, logged naming the key" wait_log \
	"Redis refused the result of plan lg-bad: ERR ledger_amt is not a plain decimal in range [HSET ${LK}ETHUSDT]" 10
check "not a decimal: no result" test "$(result_count lg-bad)" = 0
check "not a decimal: the entry pending" test "$(pending_entries)" = 1
check "not a decimal: nothing counted" test "$(redis-cli SCARD quantum:ledger:seen_orders)" = "$seen0"
check "not a decimal: the hash as it was" test "$(led ledger_amt)" = 1e-05
redis-cli HSET "${LK}ETHUSDT" ledger_amt 0.01 >/dev/null
check "fixed: the result written" wait_result lg-bad 15
sleep 0.5
check "fixed: exactly one result" test "$(result_count lg-bad)" = 1
check "fixed: one ledger move (0.01 + 0.01)" test "$(led ledger_amt)" = 0.02
check "fixed: one LEDGER_COMMIT" test "$(commits "$(order_of lg-bad)")" = 1
check "fixed: nothing pending" test "$(pending_entries)" = 0
redis-cli DEL "${LK}ETHUSDT" >/dev/null
redis-cli SET "${LK}ETHUSDT" not-a-hash >/dev/null
grant lg-wt; add_plan "$MAIN" lg-wt side SELL reduceOnly false qty 0.01
check "wrong type: refused, logged naming the key" wait_log \
	"WRONGTYPE Operation against a key holding the wrong kind of value [HSET ${LK}ETHUSDT]" 10
check "wrong type: no result" test "$(result_count lg-wt)" = 0
redis-cli DEL "${LK}ETHUSDT" >/dev/null
check "fixed: the result written" wait_result lg-wt 15
sleep 0.5
check "fixed: exactly one result, one ledger move" bash -c '[ "$1" = 1 ] && [ "$2" = -0.01 ]' _ \
	"$(result_count lg-wt)" "$(led ledger_amt)"

# --- kill -9 of the worker at each step (paper: the executor keeps its
# book, and answers a plan sent again with its first fill)
# crash_run VICTIM STEP ID: the plan held at STEP, VICTIM killed, decided.
crash_run() {
	local victim=$1 step=$2 id=$3
	EXE=$(status_get executor pid) WRK=$(status_get main pid) CONSUMER=$(consumer_of)
	echo "$id" >>"$T/ids"
	check "$BACKEND/$victim/$step: held there" hold "$step" "$id"
	check "$BACKEND/$victim/$step: kill -9 $victim, back up" crash "$victim"
	[ "$step" = after_claim ] && grant "$id"
	check "$BACKEND/$victim/$step: decided" wait_result "$id" 20
}
# counted_once IDS: each plan one executed result, its order one
# LEDGER_COMMIT and in the seen set; prints the sum of the fills
counted_once() {
	local id o n bad=0
	while read -r id; do
		n=$(result_count "$id") o=$(order_of "$id")
		if [ "$n" != 1 ] || [ "$(result_field "$id" executed)" != true ] ||
			[ "$(commits "$o")" != 1 ] ||
			[ "$(redis-cli SISMEMBER quantum:ledger:seen_orders "$o")" != 1 ]; then
			echo "$id: $n results, order $o, $(commits "$o") LEDGER_COMMIT" >&2
			bad=1
		fi
	done <"$1"
	return $bad
}
: >"$T/ids"
HOLD_FIELDS=(symbol BTCUSDT side BUY reduceOnly false qty 0.002)
for step in after_claim after_send after_answer before_ack; do
	crash_run worker $step "lg-p-$step"
done
sleep 0.5
check "paper crashes: one result per plan, each order counted once" counted_once "$T/ids"
check "paper crashes: the ledger is the sum of the fills (4 x 0.002)" is_led BTCUSDT 0.008 LONG 60000
down

# --- binance (the fake exchange: ETHUSDT at 3000): the executor, the
# worker and the whole daemon killed where an order may exist
BACKEND=binance
redis-cli DEL "${LK}ETHUSDT" >/dev/null
: >"$T/ids"
HOLD_FIELDS=(side BUY reduceOnly false qty 0.01)
for victim in executor worker supervisor; do
	for step in after_send after_answer before_ack; do
		up
		crash_run $victim $step "lg-b-${victim:0:3}-$step"
		sleep 0.3
		down
	done
done
check "binance crashes: one result per plan, each order counted once" counted_once "$T/ids"
check "binance crashes: one order per plan on the exchange" \
	test "$(fake_total_orders)" = "$(grep -c . "$T/ids")"
check "binance crashes: the ledger is the sum of the fills (9 x 0.01)" is_led ETHUSDT 0.09 LONG 3000
eth=$(fake_account | jq -r '[.positions[] | select(.symbol == "ETHUSDT") | .positionAmt][0]')
check "binance crashes: the ledger equals the exchange's position ($eth)" \
	awk -v a="$eth" -v b="$(led ledger_amt)" 'BEGIN { exit !(a + 0 == b + 0) }'

# --- the ledger's amount is the exchange's, not a sum of our fills: a
# BTCUSDT long of 0.5 @ 50000 that another service opened (the executor
# reads it at start); the ledger knew nothing of it
redis-cli DEL "${LK}BTCUSDT" >/dev/null
curl -fsS -o /dev/null -X POST "$FX/_fake/position?symbol=BTCUSDT&side=BOTH&amt=0.5&entry=50000"
up
check "exchange's amount: BUY 0.002 (fills at 60000)" fill lg-x1 symbol BTCUSDT side BUY reduceOnly false qty 0.002
check "exchange's amount: the ledger says 0.502, the exchange's position, and its weighted entry price" \
	is_led BTCUSDT 0.502 LONG 50039.84063745
check "exchange's amount: SELL 0.1 reduce-only" fill lg-x2 symbol BTCUSDT side SELL reduceOnly true qty 0.1
check "exchange's amount: 0.402, the entry price kept" is_led BTCUSDT 0.402 LONG 50039.84063745
btc=$(fake_account | jq -r '[.positions[] | select(.symbol == "BTCUSDT") | .positionAmt][0]')
check "exchange's amount: the ledger equals the exchange's position ($btc)" \
	awk -v a="$btc" -v b="$(led ledger_amt BTCUSDT)" 'BEGIN { exit !(a + 0 == b + 0) }'
down
check "no sandbox violation" bash -c "! grep -q 'sandbox violation' '$T/all.log'"
