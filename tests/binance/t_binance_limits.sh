#!/bin/bash
# t_binance_limits.sh - rate limits: HTTP 429 (back off per Retry-After),
# HTTP 418 (banned: send nothing until the ban ends, fail plans meanwhile
# with binance_banned), and slowing down when the used weight nears the
# limit.  Each plan: one truthful result, at most one order.
. "$(dirname "$0")/../lib.sh"

start_redis
start_fake
fake_creds
start_daemon_binance
wait_log "ready: backend=binance" 10

field() { result_field "$1" "$2"; }
one() { [ "$(result_count "$1")" = 1 ]; }
plan() { fx_plan "$1" symbol ETHUSDT side SELL qty 0.01 reduceOnly true; }
exchange_requests() { grep -c ' /fapi/' "$T/fake.log"; }

# 429 with a short Retry-After: waited out, then sent again (it was refused).
fake_mode 429 1 1
plan l_429_01
check "429 Retry-After 1: executed after waiting" [ "$(field l_429_01 executed)" = true ]
check "429 Retry-After 1: one order, two requests" \
	[ "$(fake_count qie-l_429_01)/$(fake_posts qie-l_429_01)" = 1/2 ]
check "429: backing off logged" log_has "HTTP 429, request rate limit hit: backing off 1s"

# 429 with a long Retry-After: the plan fails, so do plans meanwhile.
fake_mode 429 1 6
t0=$(date +%s)
plan l_429_02
check "429 Retry-After 6: binance_rate_limited" \
	[ "$(field l_429_02 error)" = "binance_rate_limited:retry after 6s" ]
check "429 Retry-After 6: no order" [ "$(fake_count qie-l_429_02)/$(fake_posts qie-l_429_02)" = 0/1 ]
before=$(exchange_requests)
plan l_429_03
check "during the back-off: failed without sending" \
	bash -c "[[ '$(field l_429_03 error)' == binance_rate_limited:retry\ after* ]]"
check "during the back-off: no request reached the exchange" [ "$(exchange_requests)" = "$before" ]
sleep $((6 - ($(date +%s) - t0) + 1))
plan l_429_04
check "after the back-off: executed" [ "$(field l_429_04 executed)" = true ]

# 418: banned for 4 s.
fake_mode 418 1 4
t0=$(date +%s)
plan l_418_01
check "418: binance_banned with the wait" [ "$(field l_418_01 error)" = "binance_banned:retry after 4s" ]
check "418: no order" [ "$(fake_count qie-l_418_01)" = 0 ]
check "418: ban logged" log_has "HTTP 418, this IP is banned: sending nothing for 4s"
before=$(exchange_requests)
plan l_418_02
check "while banned: binance_banned" \
	bash -c "[[ '$(field l_418_02 error)' == binance_banned:retry\ after* ]]"
check "while banned: nothing at all was sent" [ "$(exchange_requests)" = "$before" ]
check "while banned: one result" one l_418_02
sleep $((4 - ($(date +%s) - t0) + 1))
plan l_418_03
check "after the ban: executed" [ "$(field l_418_03 executed)" = true ]
check "after the ban: one order" [ "$(fake_count qie-l_418_03)/$(fake_posts qie-l_418_03)" = 1/1 ]

# Used weight near the limit: slow down (wait, or fail if the wait is long).
fake_mode weight 1 2300
plan l_w_01
check "weight 2300 of 2400: slowing down logged" log_has "request weight per minute 2300 of 2400: slowing down"
plan l_w_02
r=$(field l_w_02 executed)/$(field l_w_02 error)
check "next plan: executed after a short pause or refused with binance_rate_limited" \
	bash -c "[[ '$r' == true/null || '$r' == false/binance_rate_limited:* ]]"
check "next plan: at most one order" [ "$(fake_count qie-l_w_02)" -le 1 ]
check "every plan: exactly one result" bash -c "[ \$(redis-cli -p $RPORT XLEN quantum:stream:apply.result) = 9 ]"
check "no order was ever sent twice" \
	[ "$(fake_orders | jq '[.orders[] | select(.count > 1)] | length')" = 0 ]
