#!/bin/bash
# t_drift.sh - position drift (issue 16, point 4) against the fake
# exchange, in one-way and in hedge mode, with the positions compared every
# 2 s (INTENT_EXECUTOR_DRIFT_CHECK_SEC=2): fills of our own, one of them
# executed at the fake while its answer is held back across comparisons
# (the fake's delay mode: a fill that races the positionRisk reads), never
# flag drift; a position changed behind our back (POST /_fake/position) is
# found at a following comparison: an ERROR line, the drift hash, one audit
# entry, the counter once; then openings of the symbol are refused
# position_drift:<SYM> on both lanes with nothing sent, reduce-only still
# executes, other symbols still open; the flag survives a kill -9 of the
# executor (the main worker restores it from the hash) and qiectl drift
# clear lifts it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/plans.sh"

DRIFT=quantum:intent_executor:drift
no_drift_line() { ! log_has "POSITION DRIFT"; }
hash_of() { redis-cli HGET $DRIFT ETHUSDT | jq -r ".$1"; }
audit_count() { redis-cli --raw XRANGE quantum:stream:intent_executor.audit - + | grep -cx "$1"; }

start_redis
run_mode() {
	local m=$1 L=BOTH
	[ "$m" = hedge ] && L=LONG
	local p="${m}_"
	redis-cli FLUSHALL >/dev/null
	FX_LONG=0
	if [ "$m" = hedge ]; then start_fake --mode hedge; else start_fake; fi
	fake_creds
	start_daemon_binance INTENT_EXECUTOR_DRIFT_CHECK_SEC=2 \
		INTENT_EXECUTOR_MANUAL_ALLOW_OPEN=true
	redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null
	check "$m: the workers told the executor the hash is empty" \
		wait_log "drift: 0 symbol(s) reduce-only for drift" 10

	# our own fills: an opening, a partial close, then an opening the fake
	# executes at once but answers 3 s later (positionRisk reads run while
	# it is at the fake: its fill is in the exchange's positions before the
	# executor knows of it), then a burst on both lanes
	main ${p}open side BUY qty 0.05 reduceOnly false
	check "$m: opening executed" is "$(res ${p}open executed)" true
	main ${p}part side SELL qty 0.01 reduceOnly true
	check "$m: partial close executed" is "$(res ${p}part executed)" true
	fake_mode delay 1 3000
	main ${p}slow side BUY qty 0.02 reduceOnly false
	check "$m: the delayed opening executed" is "$(res ${p}slow executed)" true
	for i in 1 2 3; do
		grant ${p}b$i; add_plan "$MAIN" ${p}b$i side BUY qty 0.01 reduceOnly false
		grant ${p}s$i; add_plan "$MANUAL" ${p}s$i source manual_operator side SELL qty 0.01 reduceOnly true
	done
	for i in 1 2 3; do wait_result ${p}b$i 40; wait_result ${p}s$i 40; done
	check "$m: the burst executed" is "$(for i in 1 2 3; do res ${p}b$i executed; res ${p}s$i executed; done | sort -u)" true
	check "$m: the fake holds 0.06 $L" is "$(pos $L)" 0.06
	sleep 5                         # two comparisons or more, quiet
	check "$m: our own fills never flag drift (no ERROR line)" no_drift_line
	check "$m: ... nothing in the drift hash" is "$(redis-cli HLEN $DRIFT)" 0
	check "$m: ... counter position_drift 0" is "$(metric position_drift)" 0

	# behind our back: 0.06 -> 0.09
	curl -fsS -X POST "$FX/_fake/position?symbol=ETHUSDT&side=$L&amt=0.09&entry=3000" >/dev/null
	check "$m: the change is found: ERROR line with symbol, expected, reported, step" \
		wait_log "POSITION DRIFT: ETHUSDT $L expected=0.06 reported=0.09 step=0.001" 15
	check "$m: the drift hash holds ETHUSDT" wait_log "drift: ETHUSDT recorded in $DRIFT" 10
	check "$m: ... expected 0.06, reported 0.09, side $L" \
		is "$(hash_of expected)/$(hash_of reported)/$(hash_of position_side)" "0.06/0.09/$L"
	check "$m: ... with the time it was found" bash -c '[ "$1" -gt $(( $(date +%s) - 60 ))000 ]' _ "$(hash_of at_ms)"
	check "$m: one audit entry drift.detected" is "$(audit_count drift.detected)" 1
	check "$m: counter position_drift 1" is "$(metric position_drift)" 1

	# reduce-only for every opening of ETHUSDT, on both lanes
	main ${p}op1 side BUY qty 0.01 reduceOnly false
	check "$m: main opening refused position_drift:ETHUSDT" is "$(res ${p}op1 error)" position_drift:ETHUSDT
	check "$m: ... nothing sent" sent_none ${p}op1
	manual ${p}op2 side BUY qty 0.01 reduceOnly false
	check "$m: manual opening refused position_drift:ETHUSDT" is "$(res ${p}op2 error)" position_drift:ETHUSDT
	check "$m: ... nothing sent" sent_none ${p}op2
	main ${p}red side SELL qty 0.01 reduceOnly true
	check "$m: reduce-only still executes" is "$(res ${p}red executed)" true
	check "$m: ... the fake holds 0.08 $L" is "$(pos $L)" 0.08
	main ${p}btc symbol BTCUSDT side BUY qty 0.002 reduceOnly false
	check "$m: another symbol still opens" is "$(res ${p}btc executed)" true
	sleep 3                         # more comparisons: the new base holds
	check "$m: written once: one ERROR line" is "$(grep -c "POSITION DRIFT: ETHUSDT" "$DLOG")" 1
	check "$m: ... one audit entry" is "$(audit_count drift.detected)" 1
	check "$m: ... counter 1" is "$(metric position_drift)" 1

	# kill -9 of the executor: the main worker restores the flag
	local old
	old=$(executor_pid)
	kill -KILL "$old"
	check "$m: the executor was restarted" wait_new_pid executor "$old" 20
	check "$m: ... the flag restored from the drift hash" \
		wait_log "drift: ETHUSDT reduce-only (restored from the drift hash)" 20
	wait_log "Consuming MAIN" 20 2 && wait_log "Consuming MANUAL" 20 2
	main ${p}op3 side BUY qty 0.01 reduceOnly false
	check "$m: after the restart the opening is still refused" is "$(res ${p}op3 error)" position_drift:ETHUSDT
	check "$m: ... nothing sent" sent_none ${p}op3
	check "$m: ... still counted once" is "$(metric position_drift)/$(audit_count drift.detected)" 1/1

	# the operator clears it
	check "$m: qiectl drift lists it" q_rc 0 drift
	check "$m: ... expected, reported, since" grep -q "ETHUSDT $L: expected 0.06, reported 0.09 (step 0.001), since 20" <<<"$Q_OUT"
	check "$m: qiectl status counts it" q_rc 0 --json status
	check "$m: ... drift_symbols 1" is "$(jq -r .drift_symbols <<<"$Q_OUT")" 1
	check "$m: qiectl drift clear without --operator: usage error" q_rc 2 drift clear ETHUSDT --reason x
	check "$m: qiectl drift clear ETHUSDT" q_rc 0 drift clear ETHUSDT --operator ops --reason "checked by hand"
	check "$m: ... audit entry drift.clear" is "$(audit_count drift.clear)" 1
	check "$m: ... the executor lets it open again" wait_log "drift: ETHUSDT cleared (gone from the drift hash)" 10
	main ${p}op4 side BUY qty 0.01 reduceOnly false
	check "$m: the opening executes again" is "$(res ${p}op4 executed)" true
	check "$m: qiectl drift clear of a symbol without drift: exit 1" q_rc 1 drift clear ETHUSDT --operator ops --reason again
	check "$m: no drift after the clear (the executor's base is the exchange's)" \
		is "$(grep -c "POSITION DRIFT" "$DLOG")" 1
	stop_daemon
	stop_fake
}

run_mode one-way
run_mode hedge
