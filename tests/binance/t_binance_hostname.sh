#!/bin/bash
# t_binance_hostname.sh - the exchange named by a host name, as the real
# one is: the name is resolved again inside the executor's sandbox once
# the DNS cache (10 s) expires, and orders still go through.
. "$(dirname "$0")/../lib.sh"

start_redis
start_fake
fake_creds
FX=http://localhost:$FX_PORT
start_daemon_binance
wait_log "ready: backend=binance" 10

fx_plan h_first_01 symbol ETHUSDT side SELL qty 0.01
check "by host name: first order executed" [ "$(result_field h_first_01 executed)" = true ]
sleep 11
fx_plan h_later_01 symbol ETHUSDT side SELL qty 0.01
check "after the DNS cache expired: resolved in the sandbox, executed" \
	[ "$(result_field h_later_01 executed)" = true ]
check "one order each" [ "$(fake_count qie-h_first_01)$(fake_count qie-h_later_01)" = 11 ]
check "no sandbox violation" bash -c "! grep -q SIGSYS '$DLOG'"
