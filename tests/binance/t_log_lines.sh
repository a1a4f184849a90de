#!/bin/bash
# t_log_lines.sh - the log lines operators of the Python service grep for
# (CONTRACT.md, "Other log lines operators grep for"), with their exact
# text, and the counters an alert needs (orders_attempted, orders_failed),
# against the fake exchange (binance backend):
#   filled    an order that fills: 🚀 Executing, ✅ ORDER FILLED, 📝 Result
#             written executed=True; orders_attempted +1
#   margin    the exchange refuses it (-2019): orders_attempted and
#             orders_failed +1, 📝 Result written executed=False
#   denied    a permit with allow false: ❌ P3.3 denied, no order
#   nopermit  no permit within the timeout: ❌ No P3.3 permit, no order
#   skip      decision SKIP: P3.5_GUARD, no order
#   badlev    leverage 500: invalid_leverage:500, no order, no 🚀 line
#   harvest   a harvest-lane PARTIAL_CLOSE: 🌾 HARVEST INTENT, 🚀 HARVEST
#             CLOSE, ✅ HARVEST SUCCESS: <SYM> closed <qty> orderId=<id>;
#             a refused entry: ❌ HARVEST FAILED: <SYM> - <error>
. "$(dirname "$0")/../lib.sh"
trap eo_cleanup EXIT

start_redis
start_fake_eo
fake_creds
# a small BTCUSDT long for the harvest lane, before the daemon reads it
curl -fsS -X POST "$FX/_fake/position?symbol=BTCUSDT&side=BOTH&amt=0.004&entry=60000" >/dev/null
start_daemon_binance INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=1500

a0=$(metric orders_attempted) f0=$(metric orders_failed)

grant ll-filled-01
add_plan "$MAIN" ll-filled-01 side BUY reduceOnly false leverage 7
check "filled: decided" wait_result ll-filled-01 15
check "filled: 🚀 Executing Binance order line, exact" \
	log_has "🚀 Executing Binance order: ETHUSDT BUY 0.0100 reduceOnly=False leverage=7x"
oid=$(result_field ll-filled-01 order_id)
check "filled: ✅ ORDER FILLED line, exact (order $oid)" \
	log_has "✅ ORDER FILLED: ETHUSDT BUY qty=0.0100 order_id=$oid status=FILLED filled=0.0100"
check "filled: 📝 Result written executed=True" \
	log_has "📝 Result written: plan=ll-fille executed=True"
check "filled: orders_attempted +1" test "$(metric orders_attempted)" = $((a0 + 1))
check "filled: orders_failed unchanged" test "$(metric orders_failed)" = "$f0"

fake_mode 2019 1
grant ll-margin-1
add_plan "$MAIN" ll-margin-1 side BUY reduceOnly false
check "margin: decided" wait_result ll-margin-1 15
check "margin: refused by the exchange" \
	bash -c "[[ '$(result_field ll-margin-1 error)' == binance_error:-2019:* ]]"
check "margin: 📝 Result written executed=False" \
	log_has "📝 Result written: plan=ll-margi executed=False"
check "margin: orders_attempted +2 in all" test "$(metric orders_attempted)" = $((a0 + 2))
check "margin: orders_failed +1" test "$(metric orders_failed)" = $((f0 + 1))

redis-cli SET quantum:permit:p33:ll-denied-1 '{"allow": false, "reason": "risk_cap"}' EX 60 >/dev/null
add_plan "$MAIN" ll-denied-1
check "denied: decided" wait_result ll-denied-1 15
check "denied: ❌ P3.3 denied line, exact" log_has "❌ P3.3 denied: ll-denie reason=risk_cap"
check "denied: error p33_permit_denied:risk_cap" \
	test "$(result_field ll-denied-1 error)" = p33_permit_denied:risk_cap

add_plan "$MAIN" ll-nopermit
check "nopermit: decided" wait_result ll-nopermit 15
check "nopermit: ❌ No P3.3 permit line, exact" log_has "❌ No P3.3 permit: ll-noper"

add_plan "$MAIN" ll-skip-001 decision SKIP reason regime_flip
check "skip: decided" wait_result ll-skip-001 15
check "skip: P3.5_GUARD line, exact" \
	log_has "P3.5_GUARD decision=SKIP plan_id=ll-skip- symbol=ETHUSDT reason=regime_flip"

grant ll-badlev-1
add_plan "$MAIN" ll-badlev-1 side BUY reduceOnly false leverage 500
check "badlev: decided" wait_result ll-badlev-1 15
check "badlev: error invalid_leverage:500" \
	test "$(result_field ll-badlev-1 error)" = invalid_leverage:500
check "badlev: no 🚀 line for it" bash -c "! grep -q 'leverage=500x' '$DLOG'"

for id in ll-denied-1 ll-nopermit ll-skip-001 ll-badlev-1; do
	check "$id: no order on the exchange" test "$(fake_count "$(coid_of "$id")")" = 0
done
check "nothing else tried on the exchange (orders_attempted $(metric orders_attempted))" \
	test "$(metric orders_attempted)" = $((a0 + 2))
n=$(grep -c "📝 Result written: plan=ll-" "$DLOG")
check "one 📝 line per result (lines $n, results 6)" test "$n" = 6
check "nothing pending" test "$(pending_count "$MAIN" intent_executor)" = 0

# the harvest lane's lines (CONTRACT.md, "The harvest lane")
hid=$(redis-cli XADD quantum:stream:harvest.intent '*' symbol BTCUSDT action PARTIAL_CLOSE percentage 0.5 reason tp R_net 1.1)
check "harvest: decided" wait_result "harvest-$hid" 15
check "harvest: 🌾 HARVEST INTENT line" \
	log_has "🌾 HARVEST INTENT: BTCUSDT PARTIAL_CLOSE percentage=0.5 reason=tp R_net=1.1 entry=$hid"
check "harvest: 🚀 HARVEST CLOSE line" \
	log_has "🚀 HARVEST CLOSE: BTCUSDT 50% of the position reduceOnly=True plan=harvest-$hid"
hoid=$(result_field "harvest-$hid" order_id)
check "harvest: ✅ HARVEST SUCCESS line, exact (order $hoid)" \
	log_has "✅ HARVEST SUCCESS: BTCUSDT closed 0.002 orderId=$hoid"
check "harvest: 📝 Result written for it" log_has "📝 Result written: plan=harvest- executed=True"
hid=$(redis-cli XADD quantum:stream:harvest.intent '*' symbol DOGEUSDT action CLOSE)
check "harvest refused: decided" wait_result "harvest-$hid" 15
check "harvest refused: ❌ HARVEST FAILED line, exact" \
	log_has "❌ HARVEST FAILED: DOGEUSDT - symbol_not_in_allowlist:DOGEUSDT"
