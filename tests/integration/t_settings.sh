#!/bin/bash
# Settings: a bad value is a startup error naming the variable (non-zero
# exit, at once, no child started); --env-file KEY=VALUE lines (comments,
# blank lines, quotes) are honoured; a bad env-file line is an error naming
# the line.
. "$(dirname "$0")/../lib.sh"

start_redis

# refused VAR=value "why": the daemon exits non-zero within 2 s, naming VAR.
refused() {
	local var=${1%%=*}
	run_daemon_once 3 "$1" --
	[ "$ONCE_RC" != 0 ] && [ "$ONCE_RC" != 124 ] && [ "$ONCE_MS" -lt 2000 ] &&
		grep -qF -- "$var" <<<"$ONCE_OUT" && ! grep -q "started executor" <<<"$ONCE_OUT" &&
		return 0
	echo "  $1: exit $ONCE_RC after $ONCE_MS ms; output: $(head -c 300 <<<"$ONCE_OUT")" >&2
	return 1
}
for setting in REDIS_PORT=abc REDIS_PORT= REDIS_PORT=0 REDIS_PORT=70000 REDIS_DB=-1 \
	INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=-5 INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=1.5 \
	INTENT_EXECUTOR_ALLOW_UPSIZE=maybe INTENT_EXECUTOR_BACKEND=foo \
	INTENT_EXECUTOR_PAPER_FILTERS=junk 'INTENT_EXECUTOR_PAPER_FILTERS=ETHUSDT:0:0:0:0' \
	INTENT_EXECUTOR_ALLOWLIST= INTENT_EXECUTOR_ALLOWLIST=ETH-USDT \
	'INTENT_EXECUTOR_SOURCE_ALLOWLIST=intent bridge' INTENT_EXECUTOR_MIN_NOTIONAL_USDT=abc \
	INTENT_EXECUTOR_CLAIM_MIN_IDLE_MS=10 INTENT_EXECUTOR_HEARTBEAT_SEC=0 \
	'INTENT_EXECUTOR_MANUAL_STREAM=has space' INTENT_EXECUTOR_BINANCE_BASE_URL=ftp://x; do
	check "invalid $setting: exits non-zero at once, naming the variable" refused "$setting"
done

# --- --env-file
cat >"$T/good.env" <<'ENVFILE'
# /etc/quantum/intent-executor.env (test copy)
; another comment style

INTENT_EXECUTOR_SOURCE_ALLOWLIST="a,b"
   INTENT_EXECUTOR_ALLOWLIST = 'BTCUSDT, ethusdt'
INTENT_EXECUTOR_MANUAL_GROUP="manual_from_file"
INTENT_EXECUTOR_HEARTBEAT_SEC=1   
ENVFILE
check "--env-file: daemon starts" start_daemon_argv INTENT_EXECUTOR_PERMIT_TIMOUT_MS=5 -- --env-file "$T/good.env"
check "--env-file: source allowlist taken (double quotes)" log_has "Source allowlist: ['a', 'b']"
check "--env-file: symbol allowlist taken (single quotes, spaces around =)" \
	log_has "Symbol allowlist: ['BTCUSDT', 'ETHUSDT']"
check "--env-file: manual group taken" \
	bash -c "redis-cli -p $RPORT XINFO GROUPS $MANUAL | grep -qx manual_from_file"
check "--env-file: heartbeat every second (trailing spaces ignored)" wait_log "📊 Metrics:" 3
check "unknown INTENT_EXECUTOR_ variable: warned about by name" \
	log_has "unknown setting INTENT_EXECUTOR_PERMIT_TIMOUT_MS ignored"
grant set-a
add_plan $MAIN set-a source a
add_plan $MAIN set-ib source intent_bridge
add_plan $MAIN set-trx source b symbol TRXUSDT qty 10
check "source a (from the file) accepted: decided" wait_result set-a 5
check "source a: executed" test "$(result_field set-a executed)" = true
check "source intent_bridge (not in the file's list): decided" wait_result set-ib 5
check "source intent_bridge: source_not_allowed" \
	test "$(result_field set-ib error)" = source_not_allowed:intent_bridge
check "TRXUSDT (not in the file's list): decided" wait_result set-trx 5
check "TRXUSDT: symbol_not_in_allowlist" test "$(result_field set-trx error)" = symbol_not_in_allowlist:TRXUSDT
stop_daemon

# bad_file "what" 'regex the error must match' < file content
bad_file() {
	local what=$1 want=$2
	cat >"$T/bad.env"
	run_daemon_once 3 -- --env-file "$T/bad.env"
	if [ "$ONCE_RC" != 0 ] && [ "$ONCE_RC" != 124 ] && [ "$ONCE_MS" -lt 2000 ] &&
		grep -qE -- "$want" <<<"$ONCE_OUT" && ! grep -q "started executor" <<<"$ONCE_OUT"; then
		pass "bad env file, $what: exits non-zero naming /$want/"
	else
		fail "bad env file, $what: exits non-zero naming /$want/"
		echo "  exit $ONCE_RC after $ONCE_MS ms; output: $(head -c 300 <<<"$ONCE_OUT")"
	fi
}
printf '# ok\nREDIS_DB=0\nthis is not a setting\n' | bad_file "line 3 not KEY=VALUE" 'line 3'
printf 'REDIS_DB=0\nINTENT_EXECUTOR_ALLOWLIST="BTCUSDT\n' |
	bad_file "line 2 unterminated quote" 'line 2.*INTENT_EXECUTOR_ALLOWLIST'
printf '\n\n\n1BAD=x\n' | bad_file "line 4 invalid name" 'line 4'
printf 'INTENT_EXECUTOR_ALLOWLIST="BTCUSDT" junk\n' | bad_file "junk after a quoted value" 'line 1'
printf 'REDIS_PORT=abc\n' | bad_file "a bad value inside" 'REDIS_PORT'
run_daemon_once 3 -- --env-file "$T/does-not-exist.env"
check "missing env file: exits non-zero naming the path" \
	bash -c "[ $ONCE_RC != 0 ] && [ $ONCE_RC != 124 ] && grep -qF does-not-exist.env <<<\"\$0\"" "$ONCE_OUT"
run_daemon_once 3 -- --env-file
check "--env-file without a path: usage, exit 2 (got $ONCE_RC)" test "$ONCE_RC" = 2
run_daemon_once 3 -- --bogus
check "unknown option: usage, exit 2 (got $ONCE_RC)" test "$ONCE_RC" = 2
run_daemon_once 3 -- --version
check "--version: exit 0 and a version" \
	bash -c "[ $ONCE_RC = 0 ] && grep -q '^quantum-intent-executor [0-9]' <<<\"\$0\"" "$ONCE_OUT"

# --- the manual lane's TTL cap holds against raw redis-cli
stop_daemon
start_daemon INTENT_EXECUTOR_MANUAL_MAX_TTL_SEC=600
redis-cli SETEX quantum:manual_lane:enabled 3600 1 >/dev/null
grant ttlcap_1
add_plan "$MANUAL" ttlcap_1 source manual_test
check "TTL above the cap: plan skipped" wait_result ttlcap_1 5
check "TTL above the cap: manual_lane_disabled" test "$(result_field ttlcap_1 error)" = manual_lane_disabled
check "TTL above the cap: said in the log" wait_log "above INTENT_EXECUTOR_MANUAL_MAX_TTL_SEC=600" 2
redis-cli SETEX quantum:manual_lane:enabled 500 1 >/dev/null
grant ttlcap_2
add_plan "$MANUAL" ttlcap_2 source manual_test
check "TTL within the cap: plan executes" wait_result ttlcap_2 5
check "TTL within the cap: executed" test "$(result_field ttlcap_2 executed)" = true
