#!/bin/bash
# t_binance_unsettled.sh - answers that are lost for good, and a crash of
# the executor while an order is in flight.  The daemon must never send an
# order twice, and must say what it knows: not placed (the exchange has no
# such order once its receive window is over), or UNKNOWN when the
# exchange cannot be asked.
. "$(dirname "$0")/../lib.sh"

start_redis
start_fake
fake_creds
start_daemon_binance
wait_log "ready: backend=binance" 10

field() { result_field "$1" "$2"; }
one() { [ "$(result_count "$1")" = 1 ]; }
plan() { fx_plan "$1" symbol ETHUSDT side SELL qty 0.01 reduceOnly true; }

# 1. HTTP 500 and nothing executed: absent after the receive window.
fake_mode 5xx_noexec
plan u_500_01
check "500 without executing: not executed" [ "$(field u_500_01 executed)" = false ]
check "500 without executing: order_not_placed" \
	bash -c "[[ '$(field u_500_01 error)' == order_not_placed:HTTP\ 500* ]]"
check "500 without executing: no order, sent once" \
	[ "$(fake_count qie-u_500_01)/$(fake_posts qie-u_500_01)" = 0/1 ]
check "500 without executing: one result" one u_500_01

# 2. Connection dropped before executing.
fake_mode drop_noexec
plan u_drop_01
check "dropped before executing: order_not_placed" \
	bash -c "[[ '$(field u_drop_01 error)' == order_not_placed:* ]]"
check "dropped before executing: no order, sent once" \
	[ "$(fake_count qie-u_drop_01)/$(fake_posts qie-u_drop_01)" = 0/1 ]

# 3. Executed, answer lost, and every look-up fails: UNKNOWN, said clearly.
fake_mode lost
t0=$(date +%s)
plan u_unk_01
t1=$(date +%s)
fake_mode query_5xx 0
check "unsettled: executed=false" [ "$(field u_unk_01 executed)" = false ]
check "unsettled: status UNKNOWN" [ "$(field u_unk_01 order_status)" = UNKNOWN ]
check "unsettled: error order_unknown naming the client order id" \
	bash -c "[[ '$(field u_unk_01 error)' == order_unknown:*qie-u_unk_01* ]]"
check "unsettled: the exchange holds exactly the one order" \
	[ "$(fake_count qie-u_unk_01)/$(fake_posts qie-u_unk_01)" = 1/1 ]
check "unsettled: loud log line" log_has "outcome UNKNOWN"
check "unsettled: gave up within 20 s" [ $((t1 - t0)) -le 20 ]
check "unsettled: one result" one u_unk_01

# 4. An order already on the exchange (sent before a crash): not resent.
q="symbol=ETHUSDT&side=SELL&type=MARKET&quantity=0.01&reduceOnly=true"
q="$q&newClientOrderId=qie-u_pre_01&newOrderRespType=RESULT&recvWindow=5000"
q="$q&timestamp=$(date +%s%3N)"
sig=$(printf '%s' "$q" | openssl dgst -sha256 -hmac "$FX_SECRET" | awk '{print $NF}')
curl -fsS -X POST -H "X-MBX-APIKEY: $FX_KEY" "$FX/fapi/v1/order?$q&signature=$sig" >/dev/null
plan u_pre_01
check "order already on the exchange: reported as executed" [ "$(field u_pre_01 executed)" = true ]
check "already there: not sent again" [ "$(fake_count qie-u_pre_01)/$(fake_posts qie-u_pre_01)" = 1/1 ]
check "already there: logged" log_has "already on the exchange, not sent again"

# 5. The executor dies while its order is in flight; the plan is replayed.
fake_mode delay 1 4000
grant u_crash_01
add_plan "$MAIN" u_crash_01 symbol ETHUSDT side SELL qty 0.01 reduceOnly true
for i in $(seq 100); do [ "$(fake_posts qie-u_crash_01)" = 1 ] && break; sleep 0.05; done
old=$(executor_pid)
kill -KILL "$old"
wait_result u_crash_01 40
check "executor killed mid-order: the plan still gets its result" one u_crash_01
check "after the crash: executed, from the exchange's record" [ "$(field u_crash_01 executed)" = true ]
check "after the crash: one order, sent once" \
	[ "$(fake_count qie-u_crash_01)/$(fake_posts qie-u_crash_01)" = 1/1 ]
check "after the crash: the executor was restarted" [ "$(executor_pid)" != "$old" ]
check "no order was ever sent twice by the daemon" \
	[ "$(fake_orders | jq '[.orders[] | select(.count > 1)] | length')" = 0 ]
check "no sandbox violation" bash -c "! grep -q SIGSYS '$DLOG'"
