#!/bin/bash
# t_notify.sh - readiness and the watchdog under a NOTIFY_SOCKET, without
# systemd: a small listener (python3) owns an AF_UNIX datagram socket and
# records every datagram the supervisor sends (one line per field:
# "TIME SEQ FIELD=VALUE").  The daemon runs with NOTIFY_SOCKET pointing at
# it and WATCHDOG_USEC=2000000.  Asserts: the supervisor survives its first
# READY=1 (issue 12: its seccomp filter killed it there, status 31/SYS, as
# libsystemd's sd_notify() calls getegid); READY=1 comes with a STATUS=
# starting "ready:"; WATCHDOG=1 every ~1 s while healthy; kill -9 of a
# worker sends STATUS=degraded, then STATUS=ready once cured; SIGTERM sends
# STOPPING=1 and the daemon exits 0.
# A sanitizer build loads no seccomp filter: the "not killed by seccomp"
# check is only meaningful in the normal build (it runs in both).
. "$(dirname "$0")/../lib.sh"

NSOCK=$T/notify.sock
NLOG=$T/notify.log
LISTENER_PID=

stop_listener() {
	if [ -n "$LISTENER_PID" ] && kill -0 "$LISTENER_PID" 2>/dev/null; then
		kill_pid -TERM "$LISTENER_PID"
		wait "$LISTENER_PID" 2>/dev/null
	fi
	LISTENER_PID=
}
notify_cleanup() { stop_daemon_bounded; stop_listener; cleanup; }
trap notify_cleanup EXIT

# The listener: one line per field of each datagram, "TIME SEQ FIELD=VALUE"
# (TIME: seconds since the epoch, SEQ: the datagram's number from 1).
python3 -u -c '
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
n = 0
while True:
    d = s.recv(65536)
    t = time.time()
    n += 1
    for f in d.decode("utf-8", "replace").split("\n"):
        if f:
            out.write("%.3f %d %s\n" % (t, n, f))
' "$NSOCK" "$NLOG" 2>"$T/listener.err" &
LISTENER_PID=$!
for i in $(seq 100); do [ -S "$NSOCK" ] && break; sleep 0.05; done
check "the notify listener is up" test -S "$NSOCK"

daemon_running() { [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; }
# last_seq: the number of the last datagram received (0: none yet).
last_seq() { awk 'END {print $2 + 0}' "$NLOG" 2>/dev/null; }
# wait_notify REGEX AFTER SECONDS: until a field matching ^REGEX arrives in
# a datagram numbered above AFTER; sets N_SEQ and N_TEXT (of the first
# such field).
wait_notify() {
	local re=$1 after=$2 secs=$3 i line gone=0
	for i in $(seq $((secs * 20))); do
		line=$(awk -v a="$after" -v r="$re" '
			$2 > a { f = $0; sub(/^[^ ]* [^ ]* /, "", f)
				if (f ~ ("^" r)) { print $1, $2, f; exit } }' "$NLOG" 2>/dev/null)
		if [ -n "$line" ]; then
			line=${line#* }
			N_SEQ=${line%% *}; N_TEXT=${line#* }
			return 0
		fi
		daemon_running || gone=$((gone + 1))  # gone: 0.5 s more for the listener
		[ "$gone" -gt 10 ] && break
		sleep 0.05
	done
	echo "no notification matching ^$re after datagram $after within $secs s" >&2
	return 1
}
# fields_of SEQ: the fields of datagram SEQ, one a line.
fields_of() { awk -v n="$1" '$2 == n { sub(/^[^ ]* [^ ]* /, ""); print }' "$NLOG"; }
# times_of FIELD AFTER: the arrival times of that exact field after datagram AFTER.
times_of() { awk -v f="$1" -v a="$2" '$2 > a && $3 == f && NF == 3 {print $1}' "$NLOG"; }
# wait_count FIELD AFTER N SECONDS: until FIELD arrived N times after AFTER.
wait_count() {
	local i gone=0
	for i in $(seq $(($4 * 20))); do
		[ "$(times_of "$1" "$2" | wc -l)" -ge "$3" ] && return 0
		daemon_running || gone=$((gone + 1))
		[ "$gone" -gt 10 ] && break
		sleep 0.05
	done
	echo "$1 arrived $(times_of "$1" "$2" | wc -l) times, wanted $3" >&2
	return 1
}
# daemon_alive: the supervisor runs; else prints how it ended.
daemon_alive() {
	daemon_running && return 0
	wait "$DAEMON_PID" 2>/dev/null
	local rc=$?
	echo "supervisor is gone: wait status $rc$([ $rc -gt 128 ] && echo " (signal $((rc - 128)))")" >&2
	return 1
}
no_signal_31() { ! grep -q "signal 31" "$DLOG"; }

start_redis
sanitizer_build && echo "info: sanitizer build: no seccomp filter is loaded, the seccomp check proves nothing here"
check "daemon starts with NOTIFY_SOCKET and WATCHDOG_USEC=2000000" \
	start_daemon NOTIFY_SOCKET="$NSOCK" WATCHDOG_USEC=2000000

# ---- READY=1
if wait_notify 'READY=1' 0 10; then
	pass "READY=1 arrives (datagram $N_SEQ)"
	READY_SEQ=$N_SEQ
	# the STATUS= systemd holds when READY=1 arrives: the last one sent
	# up to (and with) the READY=1 datagram
	status=$(awk -v n="$READY_SEQ" '$2 <= n && $3 ~ /^STATUS=/ { sub(/^[^ ]* [^ ]* /, ""); s = $0 }
		END { print s }' "$NLOG")
	check "READY=1 comes with STATUS= starting 'ready:' (${status:-no STATUS=})" \
		grep -q '^STATUS=ready:' <<<"$status"
	check "the STATUS= text names the backend (paper)" grep -q 'paper' <<<"$status"
	check "READY=1 only after both workers reached Redis" \
		test "$(grep -c 'is ready: Redis answered' "$DLOG")" -ge 2
else
	fail "READY=1 arrives"
	READY_SEQ=0
fi
sleep 1
check "supervisor still running after READY=1 (not killed by its seccomp filter)" daemon_alive
check "no child killed by seccomp (no 'signal 31' in the log)" no_signal_31

# ---- WATCHDOG=1 every WATCHDOG_USEC/2 = 1 s while healthy (loose bounds)
PETS=6
if wait_count WATCHDOG=1 "$READY_SEQ" $PETS 10; then
	pass "WATCHDOG=1 arrives repeatedly ($PETS times within 10 s)"
	gaps=$(times_of WATCHDOG=1 "$READY_SEQ" | head -n $PETS |
		awk 'NR > 1 {printf "%.3f ", $1 - p} {p = $1}')
	bad=$(for g in $gaps; do awk -v g="$g" 'BEGIN {exit !(g < 0.5 || g > 1.6)}' && echo "$g"; done)
	check "watchdog gaps between 0.5 s and 1.6 s (${gaps% })" test -z "$bad"
else
	fail "WATCHDOG=1 arrives repeatedly ($PETS times within 10 s)"
fi

# ---- kill -9 of a worker: degraded, then ready again
old=$(status_get main pid)
seq0=$(last_seq)
if daemon_running && kill_pid -9 "$old"; then
	check "kill -9 main worker (pid $old): restarted" wait_new_pid main "$old" 5
else
	fail "kill -9 main worker: supervisor or worker (pid ${old:-?}) not running"
fi
if wait_notify 'STATUS=degraded' "$seq0" 5; then
	pass "STATUS=degraded sent after the kill ($N_TEXT)"
	seq_deg=$N_SEQ
	if wait_notify 'STATUS=ready' "$seq_deg" 10; then
		pass "STATUS=ready sent again once cured ($N_TEXT)"
		check "watchdog petted again after the cure" wait_count WATCHDOG=1 "$N_SEQ" 2 4
	else
		fail "STATUS=ready sent again once cured"
	fi
else
	fail "STATUS=degraded sent after the kill"
fi
check "supervisor still running after the worker's death" daemon_alive

# ---- SIGTERM: STOPPING=1, exit 0
seq0=$(last_seq)
if daemon_running; then
	kill_pid -TERM "$DAEMON_PID"
	check "SIGTERM: STOPPING=1 arrives" wait_notify 'STOPPING=1' "$seq0" 5
	check "SIGTERM: STATUS=stopping sent" wait_notify 'STATUS=stopping' "$seq0" 5
	for _ in $(seq 200); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$DAEMON_PID" 2>/dev/null; then
		fail "SIGTERM: daemon exits within 10 s"
		kill_tree "$DAEMON_PID"
	else
		wait "$DAEMON_PID"; rc=$?
		check "SIGTERM: daemon exits with status 0 (got $rc)" test "$rc" = 0
	fi
	DAEMON_PID=
else
	fail "SIGTERM: the supervisor was already gone"
fi
check "no seccomp kill of any child logged" no_signal_31
echo "info: notifications received: $(awk '{print $2}' "$NLOG" | sort -u | wc -l) datagrams"
