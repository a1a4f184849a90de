#!/bin/bash
# t_binance_basic.sh - the binance backend against the fake exchange when
# it behaves: signed orders fill, sizing uses the exchange's filters and
# mark price, a symbol without filters is not traded, and the secret never
# reaches the log.
. "$(dirname "$0")/../lib.sh"

start_redis
start_fake
fake_creds
start_daemon_binance INTENT_EXECUTOR_ALLOWLIST=BTCUSDT,ETHUSDT,TRXUSDT,XRPUSDT
check "executor ready on the binance backend" wait_log "ready: backend=binance" 10
check "filters loaded for the listed symbols" log_has "filters of 2 of 4 allowed symbols loaded"

add_plan "$MAIN" bn_close_001 symbol ETHUSDT side SELL qty 0.0105 reduceOnly true
grant bn_close_001
wait_result bn_close_001 15
check "reduce-only close executed" [ "$(result_field bn_close_001 executed)" = true ]
check "close: quantity rounded down to the step" [ "$(result_field bn_close_001 qty)" = 0.01 ]
check "close: filled_qty from the exchange" [ "$(result_field bn_close_001 filled_qty)" = 0.01 ]
check "close: order_status FILLED" [ "$(result_field bn_close_001 order_status)" = FILLED ]
check "close: order_id from the exchange" [ "$(result_field bn_close_001 order_id)" -gt 1000000 ]
check "close: one order on the exchange" [ "$(fake_count "$(coid_of bn_close_001)")" = 1 ]
check "close: sent once" [ "$(fake_posts "$(coid_of bn_close_001)")" = 1 ]

add_plan "$MAIN" bn_open_001 symbol ETHUSDT side BUY qty 0.01 reduceOnly false
grant bn_open_001
wait_result bn_open_001 15
check "opening order executed at the mark price" [ "$(result_field bn_open_001 executed)" = true ]
check "open: reduceOnly=false on the exchange" \
	[ "$(fake_orders | jq -r '.orders[] | select(.clientOrderId == "qie-bn_open_001") | .reduceOnly')" = false ]

add_plan "$MAIN" bn_small_001 symbol BTCUSDT side BUY qty 0.001 reduceOnly false
grant bn_small_001
wait_result bn_small_001 15
check "open below the exchange's min notional is blocked" \
	bash -c "[[ '$(result_field bn_small_001 error)' == min_notional_check_failed:* ]]"
check "blocked: nothing sent" [ "$(fake_posts "$(coid_of bn_small_001)")" = 0 ]

add_plan "$MAIN" bn_trx_001 symbol TRXUSDT side SELL qty 10
grant bn_trx_001
wait_result bn_trx_001 15
check "unlisted symbol: filters_unavailable:TRXUSDT" \
	[ "$(result_field bn_trx_001 error)" = filters_unavailable:TRXUSDT ]
add_plan "$MAIN" bn_xrp_001 symbol XRPUSDT side SELL qty 10
grant bn_xrp_001
wait_result bn_xrp_001 15
check "symbol not TRADING: filters_unavailable:XRPUSDT" \
	[ "$(result_field bn_xrp_001 error)" = filters_unavailable:XRPUSDT ]

add_plan "$MAIN" bn_big_001 symbol BTCUSDT side SELL qty 500
grant bn_big_001
wait_result bn_big_001 15
check "above MARKET_LOT_SIZE maxQty (stricter than LOT_SIZE): blocked" \
	bash -c "[[ '$(result_field bn_big_001 error)' == max_qty_exceeded:* ]]"

check "exactly one result per plan" [ "$(result_count bn_close_001)$(result_count bn_open_001)$(result_count bn_trx_001)" = 111 ]
check "the secret never reaches the log" bash -c "! grep -qF '$FX_SECRET' '$DLOG'"
check "no signature in the log" bash -c "! grep -q 'signature=' '$DLOG'"
check "no sandbox violation" bash -c "! grep -q SIGSYS '$DLOG'"
