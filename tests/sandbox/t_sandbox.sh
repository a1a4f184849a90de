#!/bin/bash
# The sandbox of each role, checked from outside (run as root, as CI does):
# uid, NoNewPrivs, Seccomp, capabilities, descriptors and environment in
# /proc; forbidden calls die by SIGSYS and allowed ones still work; the
# supervisor logs and restarts a child killed by SIGSYS and counts it;
# workers hold no credential; a hostile worker cannot get an order past the
# executor's limits; a child refused seccomp(2) by a parent filter exits.
. "$(dirname "$0")/../lib.sh"

if sanitizer_build; then
	skip "a sanitizer build loads no seccomp filter and no Landlock; make check tests the sandbox"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	fail "the sandbox tests need root (CI runs them as root)"
	exit 1
fi

secret=TESTSECRET-$RANDOM$RANDOM
mkdir -m 0700 "$T/cred"
printf 'TESTKEY-%s\n' "$RANDOM" >"$T/cred/binance-api-key"
printf '%s\n' "$secret" >"$T/cred/binance-api-secret"
chmod 0600 "$T/cred"/*

start_redis
start_daemon INTENT_EXECUTOR_CREDENTIALS_DIR="$T/cred"

pid_of() { awk -v r="$1" '$1 == r { sub("pid=", "", $2); print $2 }' "$T/status"; }
status_field() { grep "^$2:" "/proc/$1/status" | awk '{print $2}'; }

for role in main manual harvest executor; do
	pid=$(pid_of $role)
	user=qie-$role
	check "$role: runs as $user" test "$(status_field "$pid" Uid)" = "$(id -u $user)"
	check "$role: gid of $user" test "$(status_field "$pid" Gid)" = "$(id -g $user)"
	check "$role: no supplementary groups" test -z "$(status_field "$pid" Groups)"
	check "$role: NoNewPrivs 1" test "$(status_field "$pid" NoNewPrivs)" = 1
	check "$role: Seccomp 2 (filter)" test "$(status_field "$pid" Seccomp)" = 2
	for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
		check "$role: $cap is 0" test "$(status_field "$pid" $cap)" = 0000000000000000
	done
	nfd=$(ls "/proc/$pid/fd" | wc -l)
	case $role in
	main) max=9 ;;          # std 3, link, control and report pipes, signalfd, 2 Redis
	manual|harvest) max=9 ;;
	executor) max=8 ;;      # std 3, control, signalfd, 3 lane links
	esac
	check "$role: $nfd open descriptors (at most $max)" test "$nfd" -le $max
	env=$(tr '\0' '\n' <"/proc/$pid/environ")
	check "$role: no secret in its environment" \
		bash -c '! grep -qE "BINANCE_TESTNET|'"$secret"'" <<<"$1"' _ "$env"
	[ $role = executor ] ||
		check "$role: not even the credentials folder in its environment" \
			bash -c '! grep -q "CREDENTIALS" <<<"$1"' _ "$env"
	check "$role: no PATH, HOME or other inherited variables" \
		bash -c '! grep -qE "^(PATH|HOME|USER|SHELL)=" <<<"$1"' _ "$env"
	if [ $role = executor ]; then
		check "executor: no Redis settings" bash -c '! grep -q "^REDIS_" <<<"$1"' _ "$env"
	else
		check "$role: Redis settings only for what it needs" grep -q "^REDIS_PORT=" <<<"$env"
	fi
done

check "supervisor: Seccomp 2 (its own filter)" test "$(status_field "$DAEMON_PID" Seccomp)" = 2
check "supervisor: NoNewPrivs 1" test "$(status_field "$DAEMON_PID" NoNewPrivs)" = 1

# workers cannot read the credential files, and hold no copy of the secret
for role in main manual harvest; do
	check "$role's user cannot read the secret file" \
		bash -c "! setpriv --reuid=qie-$role --regid=qie-$role --clear-groups cat '$T/cred/binance-api-secret' 2>/dev/null"
	pid=$(pid_of $role)
	check "$role: the secret is nowhere in its memory" python3 - "$pid" "$secret" <<'PY'
import sys, re
pid, secret = sys.argv[1], sys.argv[2].encode()
found = False
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) r", line)
        if not m:
            continue
        a, b = int(m.group(1), 16), int(m.group(2), 16)
        try:
            mem.seek(a)
            if secret in mem.read(b - a):
                found = True
        except OSError:
            pass
sys.exit(1 if found else 0)
PY
done

# forbidden calls die by SIGSYS, allowed ones still work, per role policy
TS=$BUILD/try-syscall
ids="--uid $(id -u nobody) --gid $(id -g nobody)"
for role in worker executor; do
	for call in execve ptrace raw-socket fork mmap-exec kill open-write; do
		$TS $ids $role $call >"$T/ts.out" 2>&1
		rc=$?
		check "$role: $call dies by SIGSYS" test $rc = $((128 + 31))
	done
	for call in read-badfd write-badfd close-badfd tcp-socket; do
		$TS $ids $role $call >"$T/ts.out" 2>&1
		check "$role: $call still allowed" test $? = 0
	done
done
$TS $ids worker open >"$T/ts.out" 2>&1
rc=$?
check "worker: opening any file dies by SIGSYS" test $rc = $((128 + 31))
check "worker: the violation names the syscall" grep -q "sandbox violation: syscall openat" "$T/ts.out"
$TS $ids executor open >"$T/ts.out" 2>&1
check "executor: a file outside its read-only paths is refused (Landlock)" \
	grep -q "errno 13" "$T/ts.out"

# the supervisor logs a SIGSYS death with the role, restarts, counts it
old=$(pid_of manual)
kill -SYS "$old"
check "supervisor logs the sandbox violation" \
	wait_log "manual (pid $old) killed by signal 31 (SIGSYS): sandbox violation" 5
for i in $(seq 40); do
	new=$(pid_of manual)
	[ -n "$new" ] && [ "$new" != 0 ] && [ "$new" != "$old" ] && break
	sleep 0.05
done
check "manual worker restarted within 2 s" test -n "$new" -a "$new" != 0 -a "$new" != "$old"
for i in $(seq 40); do [ "$(metric sandbox_violations)" -ge 1 ] && break; sleep 0.05; done
check "sandbox_violations counted in the metrics hash" test "$(metric sandbox_violations)" = 1
check "sandbox_violations_manual counted" test "$(metric sandbox_violations_manual)" = 1
check "status file counts the violation" grep -q "^manual .*violations=1 " "$T/status"
wait_log "📨 Consuming MANUAL" 5 2 >/dev/null
grant sbx_after
add_plan "$MANUAL" sbx_after
redis-cli SETEX quantum:manual_lane:enabled 60 1 >/dev/null
add_plan "$MANUAL" sbx_after2
grant sbx_after2
check "restarted manual lane still executes" wait_result sbx_after2 5
check "... and the plan executed" test "$(result_field sbx_after2 executed)" = true
stop_daemon

# a stand-in for a compromised worker against the executor
out=$(INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MANUAL=10 "$BUILD/hostile-worker" "$BUILD/qie-executor" 2>"$T/hostile.log")
while IFS= read -r line; do
	case $line in
	"ok "*) pass "hostile worker: ${line#ok }" ;;
	"not ok "*) fail "hostile worker: ${line#not ok }" ;;
	esac
done <<<"$out"
check "hostile worker: at least 20 checks ran" test "$(grep -c '^ok ' <<<"$out")" -ge 20

# refused seccomp(2) by a parent filter: exit with a clear error
"$BUILD/deny-seccomp" "$TS" worker read-badfd >"$T/deny.out" 2>&1
rc=$?
check "under a parent filter refusing seccomp(2) the child exits 1" test $rc = 1
check "... saying it refuses to run unfiltered" grep -q "refusing to run unfiltered" "$T/deny.out"
check "... and never made its call" bash -c "! grep -q 'returned' '$T/deny.out'"

# what each binary links: the worker no TLS, credential or HTTP code; the
# executor no Redis client
check "qie-worker links no libcurl, libssl or libcrypto" \
	bash -c "! ldd '$BUILD/qie-worker' | grep -qE 'libcurl|libssl|libcrypto'"
check "qie-executor links no hiredis" bash -c "! ldd '$BUILD/qie-executor' | grep -q hiredis"
check "the supervisor links no hiredis, libcurl or jansson" \
	bash -c "! ldd '$BUILD/quantum-intent-executor' | grep -qE 'hiredis|libcurl|jansson'"

# the supervisor killed alone: its children stop too (parent-death signal)
start_daemon
kids=$(pgrep -P "$DAEMON_PID" | tr '\n' ' ')
check "four children before" test "$(wc -w <<<"$kids")" = 4
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
for i in $(seq 100); do
	alive=0; for k in $kids; do kill -0 "$k" 2>/dev/null && alive=$((alive + 1)); done
	[ $alive = 0 ] && break; sleep 0.05
done
check "the children stop when the supervisor is killed" test "$alive" = 0
