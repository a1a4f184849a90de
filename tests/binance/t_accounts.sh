#!/bin/bash
# t_accounts.sh - real exchange accounts (issue 16) against the fake, in
# one-way and in hedge mode, from a flat account: every plan kind on both
# lanes (open with a leverage change, open at the leverage already set,
# open above the lane's leverage cap, partial close, a close larger than
# the position cut to it, reduce-only when flat, the manual lane's
# reduce-only rule, a short side, side CLOSE), each checked against what the fake
# received (its order log, its leverage calls, its positions); then a mode
# change while running (one order refused for its mode, read again, sent
# once more), -4028 (success only when positionRisk agrees), a NEW order
# followed until FILLED, and the body limit after gzip decompression.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/plans.sh"

# of ID FIELD: a field of the fake's order with the plan's client order id
of() { fake_orders | jq -r --arg c "qie-$1" '[.orders[] | select(.clientOrderId == $c)][0].'"$2"; }
lev_calls() { fake_account | jq -r .leverage_call_count; }
lev_of() { fake_account | jq -r ".leverage.$1"; }

run_mode() {
	local m=$1 L=BOTH S=BOTH
	[ "$m" = hedge ] && L=LONG S=SHORT
	local p="${m}_"
	FX_LONG=0
	if [ "$m" = hedge ]; then start_fake --mode hedge; else start_fake; fi
	fake_creds
	start_daemon_binance INTENT_EXECUTOR_ALLOWLIST=BTCUSDT,ETHUSDT,TRXUSDT,NOPEUSDT
	redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null
	check "$m: an allowed symbol exchangeInfo lacks is named" log_has "binance: allowed symbol NOPEUSDT: exchangeInfo does not list it: not traded"
	check "$m: the mode is read at start" log_has "binance: the account is in $([ "$m" = hedge ] && echo "hedge (dual-side)" || echo one-way) mode"

	# open BUY at 3x: the leverage is set first, then the order
	main ${p}open1 side BUY qty 0.05 reduceOnly false leverage 3
	check "$m open 3x: executed" is "$(res ${p}open1 executed)" true
	check "$m open 3x: one leverage call, 3" is "$(fake_account | jq -r '[.leverage_calls[] | select(.symbol == "ETHUSDT")] | map(.leverage + ":" + (.code|tostring)) | join(",")')" "3:200"
	check "$m open 3x: the symbol at 3x" is "$(lev_of ETHUSDT)" 3
	check "$m open 3x: [LEVERAGE] set line" log_has "[LEVERAGE] ETHUSDT: set to 3x OK"
	check "$m open 3x: positionSide $L" is "$(of ${p}open1 positionSide)" "$L"
	check "$m open 3x: reduceOnly false" is "$(of ${p}open1 reduceOnly)" false
	check "$m open 3x: position 0.05" is "$(pos $L)" 0.05

	# again at 3x: no call
	main ${p}open2 side BUY qty 0.02 reduceOnly false leverage 3
	check "$m open again 3x: executed" is "$(res ${p}open2 executed)" true
	check "$m open again 3x: no more leverage calls" is "$(lev_calls)" 1
	check "$m open again 3x: [LEVERAGE] already line" log_has "[LEVERAGE] ETHUSDT: already at 3x (no change needed)"
	# the account's own 20x on another symbol (no leverage field: 1x)
	main ${p}btc20 symbol BTCUSDT side BUY qty 0.002 reduceOnly false leverage 20
	check "$m BTCUSDT at the account's 20x: executed" is "$(res ${p}btc20 executed)" true
	check "$m BTCUSDT at 20x: no leverage call" is "$(lev_calls)" 1

	# above the main lane's cap (20)
	main ${p}cap side BUY qty 0.01 reduceOnly false leverage 21
	check "$m open 21x: leverage_above_max:21" is "$(res ${p}cap error)" leverage_above_max:21
	check "$m open 21x: nothing sent" sent_none ${p}cap
	check "$m open 21x: no leverage call" is "$(lev_calls)" 1

	# partial close on the main lane
	main ${p}part side SELL qty 0.03 reduceOnly true
	check "$m partial close: executed" is "$(res ${p}part executed)" true
	check "$m partial close: SELL $L 0.03" is "$(of ${p}part side)/$(of ${p}part positionSide)/$(of ${p}part quantity)" "SELL/$L/0.03"
	check "$m partial close: reduceOnly $([ "$m" = hedge ] && echo "not sent" || echo true)" \
		is "$(of ${p}part reduceOnly)" "$([ "$m" = hedge ] && echo false || echo true)"
	check "$m partial close: no leverage call" is "$(lev_calls)" 1
	check "$m partial close: position 0.04" is "$(pos $L)" 0.04

	# the manual lane closes more than is open: cut to the position
	manual ${p}mclose side SELL qty 0.3 reduceOnly true
	check "$m manual close 0.3: executed" is "$(res ${p}mclose executed)" true
	check "$m manual close 0.3: cut to 0.04" is "$(of ${p}mclose quantity)" 0.04
	check "$m manual close: flat now" is "$(pos $L)" 0
	check "$m manual close: the cut is logged" log_has "reduce-only qty 0.3 cut to the $L position, 0.04"

	# flat: nothing to reduce, on both lanes
	manual ${p}mflat side SELL qty 0.01 reduceOnly true
	check "$m manual reduce when flat: no_position_to_reduce" is "$(res ${p}mflat error)" no_position_to_reduce:ETHUSDT
	check "$m manual reduce when flat: nothing sent" sent_none ${p}mflat
	main ${p}flat side SELL qty 0.01 reduceOnly true
	check "$m main reduce when flat: no_position_to_reduce" is "$(res ${p}flat error)" no_position_to_reduce:ETHUSDT
	check "$m main reduce when flat: nothing sent" sent_none ${p}flat
	# a reduce-only BUY cannot close a long (one-way) or the flat SHORT
	main ${p}wrong side BUY qty 0.01 reduceOnly true
	check "$m reduce-only BUY without a short: no_position_to_reduce" is "$(res ${p}wrong error)" no_position_to_reduce:ETHUSDT

	# the manual lane may not open, in either mode
	manual ${p}mopen side BUY qty 0.01 reduceOnly false
	check "$m manual open: refused by the lane's rule" bash -c '[[ "$1" == lane_policy:* ]]' _ "$(res ${p}mopen error)"
	check "$m manual open: nothing sent" sent_none ${p}mopen

	# the short side: open SELL at 2x, close it with a larger reduce BUY
	main ${p}sopen side SELL qty 0.02 reduceOnly false leverage 2
	check "$m open SELL 2x: executed" is "$(res ${p}sopen executed)" true
	check "$m open SELL 2x: SELL $S" is "$(of ${p}sopen side)/$(of ${p}sopen positionSide)" "SELL/$S"
	check "$m open SELL 2x: leverage set to 2" is "$(lev_of ETHUSDT)/$(lev_calls)" 2/2
	manual ${p}sclose side BUY qty 0.05 reduceOnly true
	check "$m close the short: BUY $S 0.02" is "$(of ${p}sclose side)/$(of ${p}sclose positionSide)/$(of ${p}sclose quantity)" "BUY/$S/0.02"
	check "$m close the short: flat" is "$(pos $S)" 0

	# side CLOSE: the whole current position, on either lane
	main ${p}copen side BUY qty 0.03 reduceOnly false leverage 2
	check "$m open for CLOSE: no leverage call (already 2x)" is "$(lev_calls)" 2
	manual ${p}close side CLOSE qty 0.01
	check "$m CLOSE: executed" is "$(res ${p}close executed)" true
	check "$m CLOSE: SELL $L 0.03 (the whole position, not the plan's qty)" is "$(of ${p}close side)/$(of ${p}close positionSide)/$(of ${p}close quantity)" "SELL/$L/0.03"
	check "$m CLOSE: flat" is "$(pos $L)" 0
	main ${p}cflat side CLOSE qty 0.01
	check "$m CLOSE when flat: close_no_position" is "$(res ${p}cflat error)" close_no_position
	check "$m CLOSE when flat: nothing sent" sent_none ${p}cflat
	if [ "$m" = hedge ]; then
		main ${p}both1 side BUY qty 0.01 reduceOnly false leverage 2
		main ${p}both2 side SELL qty 0.01 reduceOnly false leverage 2
		main ${p}cboth side CLOSE qty 0.01
		check "hedge CLOSE with LONG and SHORT open: close_both_sides_open" is "$(res ${p}cboth error)" close_both_sides_open:ETHUSDT
		check "hedge CLOSE with both open: nothing sent" sent_none ${p}cboth
	fi
	check "$m: no order refused by the fake" is "$(fake_orders | jq '[.orders[] | select(.count == 0)] | length')" 0
}

start_redis

run_mode oneway
# the account switches to hedge mode while the daemon runs: the next
# opening order goes out one-way, is refused (-1106 for its reduceOnly, or -4061), the mode is read
# again and the order is sent once more, with positionSide
fake_mode hedge 1
main sw_open side BUY qty 0.01 reduceOnly false leverage 2
check "mode change: executed" is "$(res sw_open executed)" true
check "mode change: two posts, one order" is "$(fake_posts qie-sw_open)/$(fake_count qie-sw_open)" 2/1
check "mode change: sent again with positionSide LONG" is "$(of sw_open positionSide)" LONG
check "mode change: logged" log_has "refused for the position mode (-"
check "mode change: the new mode is known" log_has "binance: the account is in hedge (dual-side) mode"
# a NEW order is followed until it is FILLED
fake_mode new 1 400
main nw_open side BUY qty 0.01 reduceOnly false leverage 2
check "NEW then FILLED: executed" is "$(res nw_open executed)" true
check "NEW then FILLED: status FILLED" is "$(res nw_open order_status)" FILLED
check "NEW then FILLED: followed with look-ups" test "$(fake_orders | jq -r .order_queries)" -ge 2
# still NEW 20 s after sending (it fills after 60 s): UNKNOWN, never "not
# executed" while it may still fill
fake_mode new 1 60000
main nw_stuck side BUY qty 0.01 reduceOnly false leverage 2
check "NEW for good: UNKNOWN" is "$(res nw_stuck order_status)/$(res nw_stuck executed)" UNKNOWN/false
check "NEW for good: order_unknown, says why" bash -c '[[ "$1" == "order_unknown:accepted NEW, not over after 20s;"* ]]' _ "$(res nw_stuck error)"
check "NEW for good: one order on the exchange" is "$(fake_count qie-nw_stuck)" 1
check "no sandbox violation (one-way)" bash -c "! grep -q SIGSYS '$DLOG'"
check "no position drift from our own orders, the mode change or the unknown order" \
	bash -c "! grep -q 'POSITION DRIFT' '$DLOG'"
stop_daemon
stop_fake
redis-cli FLUSHALL >/dev/null

run_mode hedge
check "gzip: positionRisk came compressed" test "$(fake_account | jq -r .gzip_replies)" -ge 1
check "no sandbox violation (hedge)" bash -c "! grep -q SIGSYS '$DLOG'"
stop_daemon
stop_fake
redis-cli FLUSHALL >/dev/null

# -4028 counts only when positionRisk shows the plan's leverage: set to 5
# behind the daemon's back (a fresh daemon, no fill yet: its positions are
# those read at start, 20x), a 5x plan answered -4028 goes (the account is
# at 5x); a 6x plan answered -4028 is refused, nothing placed
start_fake
start_daemon_binance
fx_signed POST /fapi/v1/leverage "symbol=ETHUSDT&leverage=5" >/dev/null
fake_mode leverage_4028 1
main l28_ok side BUY qty 0.01 reduceOnly false leverage 5
check "-4028, the account at 5x: executed" is "$(res l28_ok executed)" true
check "-4028, the account at 5x: answered -4028" is "$(fake_account | jq -r '.leverage_calls[-1] | .leverage + ":" + (.code|tostring)')" 5:-4028
fake_mode leverage_4028 1
main l28_no side BUY qty 0.01 reduceOnly false leverage 6
check "-4028, the account not at 6x: leverage_not_set:6" is "$(res l28_no error)" leverage_not_set:6
check "-4028, the account not at 6x: nothing sent" sent_none l28_no
check "-4028: the account still at 5x" is "$(lev_of ETHUSDT)" 5
stop_daemon
stop_fake
redis-cli FLUSHALL >/dev/null

# the body limit holds after decompression: an exchangeInfo of 40000 more
# symbols is about 140 kB gzipped and 15 MB decompressed, above 8 MiB
start_fake --mode info_symbols:1:40000
start_daemon_binance
check "gzip bomb: refused as too large once decompressed" wait_log "exchangeInfo: reply too large" 30
check "gzip bomb: it came compressed" test "$(fake_account | jq -r .gzip_replies)" -ge 1
main gz_plan side SELL qty 0.01 reduceOnly true
check "gzip bomb: no filters, nothing sent" is "$(res gz_plan error)/$(fake_posts qie-gz_plan)" filters_unavailable:ETHUSDT/0
stop_daemon

