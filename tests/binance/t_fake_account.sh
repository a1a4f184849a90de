#!/bin/bash
# t_fake_account.sh - the fake exchange itself follows Binance's documented
# account rules (tests/fake-exchange/fake_account.c): position mode and its
# change, positionSide and reduceOnly per mode, positions moved by fills
# (weighted entry price), reduce-only refusals, positionRisk, leverage and
# its call log, a client order id unique among open orders only, a NEW
# order that fills later, and gzip.  No daemon: requests go straight to it.
. "$(dirname "$0")/../lib.sh"
FX_LONG=0       # the fake's own rules, from a flat account

start_fake
# order SIDE QTY [more parameters]: a MARKET ETHUSDT order, its client
# order id $COID or else a new one (the time in ns: new in a subshell too).
order() {
	fx_signed POST /fapi/v1/order "symbol=ETHUSDT&side=$1&type=MARKET&quantity=$2${3:+&$3}&newClientOrderId=${COID:-fa-$(date +%s%N)}&newOrderRespType=RESULT"
}
code() { jq -r '.code // "ok"'; }
# pos SIDE: positionAmt/entryPrice/leverage of ETHUSDT's SIDE position.
pos() {
	fx_signed GET /fapi/v2/positionRisk "symbol=ETHUSDT" |
		jq -r --arg s "$1" '.[] | select(.positionSide == $s) | "\(.positionAmt)/\(.entryPrice)/\(.leverage)"'
}

# ---- one-way mode (the default)
check "one-way at start" test "$(fx_signed GET /fapi/v1/positionSide/dual | jq -c .)" = '{"dualSidePosition":false}'
all=$(fx_signed GET /fapi/v2/positionRisk)
check "positionRisk: every symbol once, BOTH" \
	test "$(echo "$all" | jq -r '[.[] | "\(.symbol):\(.positionSide)"] | join(" ")')" = \
	"BTCUSDT:BOTH ETHUSDT:BOTH XRPUSDT:BOTH DOGEUSDT:BOTH BNBUSDT:BOTH SOLUSDT:BOTH ADAUSDT:BOTH LTCUSDT:BOTH LINKUSDT:BOTH DOTUSDT:BOTH AVAXUSDT:BOTH"
check "positionRisk: the documented fields, numbers as strings" \
	test "$(echo "$all" | jq -r '.[0] | [.positionAmt, .entryPrice, .markPrice, .unRealizedProfit, .leverage, .maxNotionalValue, .marginType] | map(type) | unique | join(",")')" = string
check "flat at start, leverage 20" test "$(pos BOTH)" = "0/0/20"
check "one-way: positionSide LONG refused with -4061" test "$(order BUY 0.01 positionSide=LONG | code)" = -4061
check "one-way: positionSide FOO refused with -4060" test "$(order BUY 0.01 positionSide=FOO | code)" = -4060
check "one-way: positionSide BOTH accepted" test "$(order BUY 0.01 positionSide=BOTH | jq -r .status)" = FILLED
check "one-way: reduceOnly absent accepted" test "$(order BUY 0.02 | jq -r .status)" = FILLED
check "a fill moves the position" test "$(pos BOTH)" = "0.03/3000/20"
# entry price: the fills' weighted average (a position set at 2000 first)
curl -fsS -X POST "$FX/_fake/position?symbol=ETHUSDT&side=BOTH&amt=0.01&entry=2000" >/dev/null
order BUY 0.01 >/dev/null
check "entry price is the weighted average (2000, 3000 -> 2500)" test "$(pos BOTH)" = "0.02/2500/20"
check "unRealizedProfit is amt * (mark - entry)" \
	test "$(fx_signed GET /fapi/v2/positionRisk symbol=ETHUSDT | jq -r '.[0].unRealizedProfit')" = 10
order SELL 0.01 reduceOnly=true >/dev/null
check "a reduce keeps the entry price" test "$(pos BOTH)" = "0.01/2500/20"
check "loose by default: a reduceOnly order larger than the position passes" \
	test "$(order SELL 0.03 reduceOnly=true | jq -r .status)" = FILLED
check "... and flips the position at the fill's price" test "$(pos BOTH)" = "-0.02/3000/20"
fake_mode reduce_check
check "reduce_check: a reduceOnly order that would grow the short: -2022" \
	test "$(order SELL 0.01 reduceOnly=true | code)" = -2022
check "reduce_check: one that would flip it: -2022" test "$(order BUY 0.03 reduceOnly=true | code)" = -2022
check "reduce_check: one within it passes" test "$(order BUY 0.02 reduceOnly=true | jq -r .status)" = FILLED
check "reduce_check: flat now: -2022" test "$(order BUY 0.01 reduceOnly=true | code)" = -2022
check "reduceOnly=maybe refused with -1130" test "$(order BUY 0.01 reduceOnly=maybe | code)" = -1130

# ---- leverage
r=$(fx_signed POST /fapi/v1/leverage "symbol=ETHUSDT&leverage=7")
check "leverage 7: answered as documented" \
	test "$(echo "$r" | jq -r '"\(.leverage) \(.symbol) \(.maxNotionalValue | type)"')" = "7 ETHUSDT string"
check "positionRisk shows it" test "$(pos BOTH | cut -d/ -f3)" = 7
check "leverage 0: -4028" test "$(fx_signed POST /fapi/v1/leverage "symbol=ETHUSDT&leverage=0" | code)" = -4028
check "leverage 126: -4028" test "$(fx_signed POST /fapi/v1/leverage "symbol=ETHUSDT&leverage=126" | code)" = -4028
check "leverage of an unknown symbol: -1121" test "$(fx_signed POST /fapi/v1/leverage "symbol=NOPEUSDT&leverage=3" | code)" = -1121
check "every leverage call recorded, with its answer" \
	test "$(fake_account | jq -r '[.leverage_call_count, (.leverage_calls | map("\(.leverage):\(.code)") | join(","))] | join(" ")')" = \
	"4 7:200,0:-4028,126:-4028,3:-1121"
check "unsigned leverage call refused" test "$(curl -sS -X POST "$FX/fapi/v1/leverage?symbol=ETHUSDT&leverage=3" | code)" = -2015

# ---- client order ids: unique among open orders only
COID=fa-again
check "an id used once" test "$(order BUY 0.01 | jq -r .status)" = FILLED
check "the same id again once it is FILLED: accepted" test "$(order BUY 0.01 | jq -r .status)" = FILLED
check "the fake counts two orders on it" \
	test "$(fake_orders | jq -r '.orders[] | select(.clientOrderId == "fa-again") | "\(.count)/\(.posts)"')" = 2/2
COID=fa-open
fake_mode new 1 60000
r=$(order BUY 0.01)
check "NEW: answered NEW with nothing executed" \
	test "$(echo "$r" | jq -r '"\(.status) \(.executedQty)"')" = "NEW 0"
check "an id of an OPEN order: -4116" test "$(order BUY 0.01 | code)" = -4116
check "an open order blocks a position-mode change: -4067" \
	test "$(fx_signed POST /fapi/v1/positionSide/dual dualSidePosition=true | code)" = -4067
COID=fa-new id=fa-new
fake_mode new 1 300
o=$(order BUY 0.01)
unset COID
before=$(pos BOTH)
check "NEW-then-FILLED: NEW at first" test "$(echo "$o" | jq -r .status)" = NEW
sleep 0.5
check "NEW-then-FILLED: the controls see it filled too" \
	test "$(fake_orders | jq -r --arg c "$id" '.orders[] | select(.clientOrderId == $c) | .status')" = FILLED
g=$(fx_signed GET /fapi/v1/order "symbol=ETHUSDT&origClientOrderId=$id")
check "NEW-then-FILLED: a later look-up says FILLED, all executed" \
	test "$(echo "$g" | jq -r '"\(.status) \(.executedQty)"')" = "FILLED 0.01"
check "the fill moved the position then" test "$before" != "$(pos BOTH)"

# ---- position mode
curl -fsS -X POST "$FX/_fake/reset" >/dev/null
order BUY 0.01 >/dev/null
check "a position blocks a mode change: -4068" \
	test "$(fx_signed POST /fapi/v1/positionSide/dual dualSidePosition=true | code)" = -4068
order SELL 0.01 reduceOnly=true >/dev/null
check "same mode: -4059" test "$(fx_signed POST /fapi/v1/positionSide/dual dualSidePosition=false | code)" = -4059
check "flat: switched to hedge" \
	test "$(fx_signed POST /fapi/v1/positionSide/dual dualSidePosition=true | jq -c .)" = '{"code":200,"msg":"success"}'
check "hedge now" test "$(fx_signed GET /fapi/v1/positionSide/dual | jq -r .dualSidePosition)" = true

# ---- hedge mode
check "hedge: positionRisk lists LONG and SHORT" \
	test "$(fx_signed GET /fapi/v2/positionRisk symbol=ETHUSDT | jq -r 'map(.positionSide) | join(" ")')" = "LONG SHORT"
check "hedge: reduceOnly sent: -1106, named" \
	test "$(order SELL 0.01 "positionSide=LONG&reduceOnly=true" | jq -r '"\(.code) \(.msg)"')" = \
	"-1106 Parameter 'reduceOnly' sent when not required."
check "hedge: reduceOnly=false sent: -1106 too" test "$(order BUY 0.01 "positionSide=LONG&reduceOnly=false" | code)" = -1106
check "hedge: no positionSide: -4061" test "$(order BUY 0.01 | code)" = -4061
check "hedge: positionSide BOTH: -4061" test "$(order BUY 0.01 positionSide=BOTH | code)" = -4061
check "hedge: SELL LONG while flat: -2022" test "$(order SELL 0.01 positionSide=LONG | code)" = -2022
check "hedge: BUY LONG opens" test "$(order BUY 0.02 positionSide=LONG | jq -r '"\(.status) \(.positionSide)"')" = "FILLED LONG"
check "hedge: SELL SHORT opens the other side" test "$(order SELL 0.01 positionSide=SHORT | jq -r .status)" = FILLED
check "hedge: LONG 0.02" test "$(pos LONG | cut -d/ -f1)" = 0.02
check "hedge: SHORT -0.01 (short is negative)" test "$(pos SHORT | cut -d/ -f1)" = -0.01
check "hedge: SELL LONG above the long: -2022" test "$(order SELL 0.03 positionSide=LONG | code)" = -2022
check "hedge: a close below the minimum notional passes (it reduces)" \
	test "$(order SELL 0.001 positionSide=LONG | jq -r .status)" = FILLED
check "hedge: an opening order below it: -4164" test "$(order BUY 0.001 positionSide=LONG | code)" = -4164
check "hedge: BUY SHORT closes the short" test "$(order BUY 0.01 positionSide=SHORT | jq -r .status)" = FILLED
check "hedge: SHORT flat" test "$(pos SHORT | cut -d/ -f1)" = 0
check "account control shows the open position" \
	test "$(fake_account | jq -r '.positions | map("\(.positionSide):\(.positionAmt)") | join(",")')" = LONG:0.019
check "reset: back to the start mode (one-way)" \
	bash -c "curl -fsS -X POST '$FX/_fake/reset' >/dev/null && test \"\$(curl -fsS '$FX/_fake/account' | jq -r .dualSidePosition)\" = false"

# ---- gzip
h=$(curl -sS -o "$T/info.gz" -D - -H 'Accept-Encoding: gzip' "$FX/fapi/v1/exchangeInfo")
check "gzip asked: exchangeInfo comes gzip-compressed" bash -c "grep -qi '^content-encoding: gzip' <<<'$h'"
check "... and unpacks to the JSON" test "$(gzip -dc "$T/info.gz" | jq -r '.symbols | length')" = 11
h=$(curl -sS -o /dev/null -D - "$FX/fapi/v1/exchangeInfo")
check "not asked: plain" bash -c "! grep -qi '^content-encoding' <<<'$h'"
check "a small reply is not compressed" \
	bash -c "! curl -sS -o /dev/null -D - -H 'Accept-Encoding: gzip' '$FX/fapi/v1/time' | grep -qi '^content-encoding'"
check "gzip replies counted" test "$(fake_account | jq -r .gzip_replies)" = 1
fake_mode info_symbols 1 5000
check "info_symbols: a big exchangeInfo (5011 symbols)" \
	test "$(curl -sS --compressed "$FX/fapi/v1/exchangeInfo" | jq -r '.symbols | length')" = 5011

stop_fake
start_fake --mode hedge
check "--mode hedge: hedge at start" test "$(fx_signed GET /fapi/v1/positionSide/dual | jq -r .dualSidePosition)" = true
curl -fsS -X POST "$FX/_fake/reset" >/dev/null
check "--mode hedge: reset keeps the start mode" test "$(fake_account | jq -r .dualSidePosition)" = true
