#!/bin/bash
# t_binance_unreachable.sh - the binance backend with an exchange that does
# not answer at start (as under the unit's IPAddressAllow=localhost): the
# executor says so in an ERROR line naming the likely cause, the status
# file's state (systemd's STATUS=) and `qiectl status` say ERROR, no worker
# is started, so no plan is consumed; once the exchange answers, the
# workers start and the plan that waited in the stream executes, once.
. "$(dirname "$0")/../lib.sh"

start_redis
fake_creds
P=$(free_port)
URL=http://127.0.0.1:$P
# an existing deployment: the groups are there from an earlier run
redis-cli XGROUP CREATE "$MAIN" intent_executor '$' MKSTREAM >/dev/null
redis-cli XGROUP CREATE "$MANUAL" intent_executor_manual '$' MKSTREAM >/dev/null

start_daemon_bg INTENT_EXECUTOR_CREDENTIALS_DIR="$CRED_DIR" INTENT_EXECUTOR_BINANCE_BASE_URL="$URL"
check "an ERROR line says the exchange is unreachable" wait_log "ERROR executor: binance: exchange $URL unreachable" 15
check "  with the reason curl gave (not empty)" \
	bash -c 'grep -qE "unreachable: [^ (][^(]*\(under systemd" "$1"' _ "$DLOG"
check "  and names the likely cause (the unit's IP allowlist) and the fix" \
	bash -c 'grep "unreachable" "$1" | grep -q "IPAddressAllow=localhost.*binance-network.conf"' _ "$DLOG"
state() { sed -n 's/^state //p' "$T/status" 2>/dev/null; }
check "the status file's state is the ERROR ($(state | cut -c1-60)...)" \
	bash -c '[[ "$1" == "ERROR: executor: exchange $2 unreachable"* ]]' _ "$(state)" "$URL"
qiectl_run status
check "qiectl status shows it" grep -q "^state: ERROR: executor: exchange $URL unreachable" <<<"$Q_OUT"
grant un_1
add_plan "$MAIN" un_1
sleep 3
check "no worker was started (main pid=0, manual pid=0)" \
	test "$(status_get main pid)/$(status_get manual pid)" = 0/0
check "no lane consumes" bash -c '! grep -q "Consuming" "$1"' _ "$DLOG"
check "the plan is not consumed (no result, nothing delivered)" \
	test "$(result_count un_1)/$(pending_count "$MAIN" intent_executor)" = 0/0
check "the daemon keeps running" kill -0 "$DAEMON_PID"

# the exchange comes up: within the executor's 5 s retry the lanes start
start_fake --port "$P"
check "the executor reaches the exchange" wait_log "binance: exchange $URL reached" 15
check "then both lanes consume" wait_log "Consuming MANUAL" 10
check "the state is ready" bash -c '[[ "$(sed -n "s/^state //p" "$1")" == "ready: "*"backend binance"* ]]' _ "$T/status"
check "the plan that waited executes" wait_result un_1 15
check "  executed, once" test "$(result_field un_1 executed)/$(result_count un_1)/$(fake_count qie-un_1)" = true/1/1
stop_daemon
