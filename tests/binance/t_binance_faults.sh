#!/bin/bash
# t_binance_faults.sh - the fake exchange misbehaves once per plan; each
# plan must end with exactly one result that tells the truth, and the
# exchange must hold at most one order for it (an order whose answer was
# lost is settled by asking for its client order id, never sent again).
. "$(dirname "$0")/../lib.sh"

start_redis
start_fake
fake_creds
start_daemon_binance
wait_log "ready: backend=binance" 10

# fault PLAN_ID MODE [ARG]: the next order POST misbehaves, then the plan.
fault() {
	fake_mode "$2" 1 "${3:--1}"
	fx_plan "$1" symbol ETHUSDT side SELL qty 0.02 reduceOnly true
}
field() { result_field "$1" "$2"; }
one() { [ "$(result_count "$1")" = 1 ]; }

fault f_1021_01 1021
check "-1021 once: executed after a time resync" [ "$(field f_1021_01 executed)" = true ]
check "-1021 once: one order, sent twice (the first was rejected)" \
	[ "$(fake_count qie-f_1021_01)/$(fake_posts qie-f_1021_01)" = 1/2 ]
check "-1021 once: one result" one f_1021_01
check "-1021 once: offset resynced" wait_log "server time offset" 1 2

fault f_2019_01 2019
check "-2019: not executed, exchange error reported" \
	[ "$(field f_2019_01 error)" = "binance_error:-2019:Margin is insufficient." ]
check "-2019: executed=false" [ "$(field f_2019_01 executed)" = false ]
check "-2019: no order, sent once" [ "$(fake_count qie-f_2019_01)/$(fake_posts qie-f_2019_01)" = 0/1 ]
check "-2019: one result" one f_2019_01

fault f_part_01 partial
check "partial fill: executed" [ "$(field f_part_01 executed)" = true ]
check "partial fill: filled_qty is executedQty" [ "$(field f_part_01 filled_qty)" = 0.01 ]
check "partial fill: status as returned" [ "$(field f_part_01 order_status)" = PARTIALLY_FILLED ]
check "partial fill: qty is the order's" [ "$(field f_part_01 qty)" = 0.02 ]
check "partial fill: one order" [ "$(fake_count qie-f_part_01)" = 1 ]

fault f_drop_01 drop
check "connection dropped after the order: settled as executed" [ "$(field f_drop_01 executed)" = true ]
check "dropped: status FILLED" [ "$(field f_drop_01 order_status)" = FILLED ]
check "dropped: one order, sent once" [ "$(fake_count qie-f_drop_01)/$(fake_posts qie-f_drop_01)" = 1/1 ]
check "dropped: one result" one f_drop_01
check "dropped: logged as unknown, then settled" log_has "order qie-f_drop_01: outcome unknown"

fault f_502_01 5xx
check "HTTP 502 after executing: settled as executed" [ "$(field f_502_01 executed)" = true ]
check "502: one order, sent once" [ "$(fake_count qie-f_502_01)/$(fake_posts qie-f_502_01)" = 1/1 ]
check "502: one result" one f_502_01

fault f_1007_01 1007
check "-1007 (HTTP 503) after executing: settled as executed" [ "$(field f_1007_01 executed)" = true ]
check "-1007: one order, sent once" [ "$(fake_count qie-f_1007_01)/$(fake_posts qie-f_1007_01)" = 1/1 ]

fault f_junk_01 garbage
check "200 with a body that is not JSON: settled as executed" [ "$(field f_junk_01 executed)" = true ]
check "junk: one order, sent once" [ "$(fake_count qie-f_junk_01)/$(fake_posts qie-f_junk_01)" = 1/1 ]

fault f_new_01 new
check "answered NEW with nothing filled: looked up again, FILLED" \
	[ "$(field f_new_01 executed)/$(field f_new_01 order_status)" = true/FILLED ]
check "NEW: one order, sent once" [ "$(fake_count qie-f_new_01)/$(fake_posts qie-f_new_01)" = 1/1 ]

t0=$(date +%s)
fault f_slow_01 delay 7000
t1=$(date +%s)
check "answer delayed past the 5 s timeout: settled as executed" [ "$(field f_slow_01 executed)" = true ]
check "delayed: one order, sent once" [ "$(fake_count qie-f_slow_01)/$(fake_posts qie-f_slow_01)" = 1/1 ]
check "delayed: decided within 10 s" [ $((t1 - t0)) -le 10 ]
check "delayed: one result" one f_slow_01

check "no order was ever sent twice by the daemon" \
	[ "$(fake_orders | jq '[.orders[] | select(.count > 1)] | length')" = 0 ]
check "no sandbox violation" bash -c "! grep -q SIGSYS '$DLOG'"
check "the secret never reaches the log" bash -c "! grep -qF '$FX_SECRET' '$DLOG'"
