# tests/crash.sh - the crash steps shared by t_crash_matrix.sh and
# t_ledger.sh, sourced after lib.sh:
#
#   . "$(dirname "$0")/../lib.sh"; . "$(dirname "$0")/../crash.sh"
#
# A plan held at a step of its way, then a process killed.  The test sets
# BACKEND (paper or binance), COMMON (the daemon's settings), EXE, WRK
# (the executor's and the main worker's pids) and CONSUMER; HOLD_FIELDS
# holds the plan's own fields (add_plan), PAUSED says Redis holds writes
# back.
HOLD_FIELDS=()
PAUSED=0
COMMON=()
# up: a new daemon on $BACKEND with $COMMON; down: stopped.  Every
# daemon's log ends up in $T/all.log.
up() {
	[ -s "$DLOG" ] && cat "$DLOG" >>"$T/all.log"
	if [ $BACKEND = paper ]; then
		start_daemon "${COMMON[@]}"
	else
		start_daemon_binance "${COMMON[@]}"
	fi
}
down() { stop_daemon; [ -s "$DLOG" ] && cat "$DLOG" >>"$T/all.log"; : >"$DLOG"; }
# entry_of PLAN_ID: its stream id on the main lane.
entry_of() {
	redis-cli --json XRANGE "$MAIN" - + | jq -r --arg p "$1" '.[] | select(
		[.[1] as $f | range(0; $f | length; 2) | select($f[.] == "plan_id")
		 | $f[. + 1]] | index($p)) | .[0]' | head -n 1
}
# pending_for CONSUMER PLAN_ID: the plan's entry is pending for CONSUMER.
pending_for() {
	local e
	e=$(entry_of "$2")
	[ -n "$e" ] && [ "$(entry_pending "$MAIN" intent_executor "$e" | cut -d' ' -f1)" = "$1" ]
}
no_result() { [ "$(result_count "$1")" = 0 ]; }

# hold STEP PLAN_ID: brings the plan to STEP; EXE and WRK are the pids.
hold() {
	local step=$1 id=$2 i
	case $step in
	before_claim)
		grant "$id"
		kill_pid -STOP "$WRK"
		add_plan "$MAIN" "$id" "${HOLD_FIELDS[@]}"
		# its blocked XREADGROUP is served although it is stopped; if it
		# was not blocked, read the entry for its consumer here
		for i in $(seq 25); do pending_for "$CONSUMER" "$id" && break; sleep 0.02; done
		pending_for "$CONSUMER" "$id" ||
			redis-cli XREADGROUP GROUP intent_executor "$CONSUMER" COUNT 1 STREAMS "$MAIN" '>' >/dev/null
		pending_for "$CONSUMER" "$id" && [ -z "$(claim_state "$id")" ]
		;;
	after_claim)
		add_plan "$MAIN" "$id" "${HOLD_FIELDS[@]}"          # its permit comes after the crash
		wait_claim_state "$id" claimed 5 && sleep 0.1 && no_result "$id"
		;;
	after_send)
		kill_pid -STOP "$EXE"
		grant "$id"
		add_plan "$MAIN" "$id" "${HOLD_FIELDS[@]}"
		wait_claim_state "$id" sent 5 && no_result "$id"
		;;
	after_answer)
		kill_pid -STOP "$EXE"
		grant "$id"
		add_plan "$MAIN" "$id" "${HOLD_FIELDS[@]}"
		wait_claim_state "$id" sent 5 || return 1
		kill_pid -STOP "$WRK"
		kill_pid -CONT "$EXE"
		if [ $BACKEND = binance ]; then
			for i in $(seq 100); do [ "$(fake_count "$(coid_of "$id")")" = 1 ] && break; sleep 0.02; done
		fi
		sleep 0.3
		no_result "$id" && [ "$(claim_state "$id")" = sent ]
		;;
	before_ack)
		kill_pid -STOP "$EXE"
		grant "$id"
		add_plan "$MAIN" "$id" "${HOLD_FIELDS[@]}"
		wait_claim_state "$id" sent 5 || return 1
		redis-cli CLIENT PAUSE 20000 WRITE >/dev/null
		PAUSED=1
		kill_pid -CONT "$EXE"
		sleep 0.4
		no_result "$id" && [ "$(claim_state "$id")" = sent ]
		;;
	esac
}

# crash VICTIM: kills it, lets everything stopped go on, and waits for the
# daemon to be back (its own restart, or a new daemon: another consumer).
crash() {
	case $1 in
	executor) kill_pid -9 "$EXE" ;;
	worker) kill_pid -9 "$WRK" ;;
	supervisor) kill_tree "$DAEMON_PID"; DAEMON_PID= ;;
	esac
	# a killed worker's result script waits in the pause: Redis must have
	# dropped its connection before the pause ends, or it would still run
	if [ $PAUSED = 1 ] && [ "$1" != executor ]; then
		local i
		for i in $(seq 100); do
			redis-cli CLIENT LIST | grep -q 'cmd=eval' || break
			sleep 0.05
		done
	fi
	if [ $PAUSED = 1 ]; then redis-cli CLIENT UNPAUSE >/dev/null; PAUSED=0; fi
	kill_pid -CONT "$EXE" "$WRK" 2>/dev/null
	case $1 in
	executor) wait_new_pid executor "$EXE" 5 ;;
	worker) wait_new_pid main "$WRK" 5 ;;
	supervisor) up ;;
	esac
}

