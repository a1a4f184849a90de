#!/bin/bash
# The systemd unit (packaging/quantum-intent-executor.service), without a
# running systemd: `systemd-analyze verify` on a staged tree prints nothing
# (and does print for a broken copy, so the check can fail), the exposure of
# `systemd-analyze security --offline` is 1.7 or less, and the directives
# the design relies on are there; then the daemon runs under the unit's
# process restrictions, emulated (see emulated() below).
. "$(dirname "$0")/../lib.sh"

UNIT=$TOP/packaging/quantum-intent-executor.service

# ---- the unit's process restrictions, emulated without systemd (run by
# this script in a private mount namespace, see the end): the daemon runs
# as the unit's User= with its ambient capabilities, its capability
# bounding set, no_new_privs and umask, and with
# /proc mounted as ProtectProc=invisible + ProcSubset=pid mount it; both
# lanes must still execute and a killed child must come back.
lane_ok() { wait_result "$1" 10 && [ "$(result_field "$1" executed)" = true ]; }
no_violation() { ! grep -q "sandbox violation" "$DLOG"; }
emulated() {
	mount -t proc -o hidepid=invisible,subset=pid proc /proc ||
		{ fail "mount /proc hidepid=invisible,subset=pid"; return; }
	local caps umask old
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr 'A-Z' 'a-z' |
		sed 's/cap_/+/g; s/ /,/g')
	umask=$(sed -n 's/^UMask=//p' "$UNIT")
	ensure_role_users && start_redis
	user=$(sed -n 's/^User=//p' "$UNIT")
	ambient=$(sed -n 's/^AmbientCapabilities=//p' "$UNIT" | tr 'A-Z' 'a-z' |
		sed 's/cap_/+/g; s/ /,/g')
	# the unit's RuntimeDirectory=, owned by its User=
	install -d -o "$user" -g "$user" -m 0750 "$T/run"
	chmod 0711 "$T"
	: >"$DLOG"
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin REDIS_PORT="$RPORT" \
		INTENT_EXECUTOR_BACKEND=paper INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=2000 \
		INTENT_EXECUTOR_STATUS_FILE="$T/run/status" INTENT_EXECUTOR_LEDGER_FILE="$T/run/ledger" \
		setpriv --reuid="$user" --regid="$user" --clear-groups \
		--inh-caps=-all,"$ambient" --ambient-caps=-all,"$ambient" \
		--bounding-set=-all,"$caps" --no-new-privs \
		bash -c 'umask "$1"; grep -E "^(CapBnd|CapAmb|NoNewPrivs)" /proc/self/status >&2; exec "$2"' \
		_ "$umask" "$BUILD/quantum-intent-executor" >>"$DLOG" 2>&1 &
	DAEMON_PID=$!
	ln -sf "$T/run/status" "$T/status"      # for status_get
	check "emulated unit: the daemon starts" wait_log "Consuming MANUAL" 10
	check "emulated unit: bounding set is the unit's" grep -q "CapBnd:.*00000000000001e0" "$DLOG"
	check "emulated unit: ambient set is the unit's" grep -q "CapAmb:.*00000000000001e0" "$DLOG"
	check "emulated unit: no_new_privs" grep -qP "NoNewPrivs:\t1" "$DLOG"
	check "emulated unit: the supervisor runs as $user" \
		grep -qP "^Uid:\t$(id -u "$user")\t" "/proc/$DAEMON_PID/status"
	check "emulated unit: no 'NOT ROOT' warning (the children change uid)" \
		bash -c "! grep -q 'NOT ROOT' '$DLOG'"
	for role in executor main manual; do
		p=$(status_get "$role" pid)
		check "emulated unit: $role runs as qie-$role, no capabilities" bash -c \
			'grep -qP "^Uid:\t$1\t$1\t$1\t$1$" /proc/$2/status &&
			! grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb):" /proc/$2/status | grep -vq 0000000000000000' \
			_ "$(id -u "qie-$role")" "$p"
	done
	grant emu_main
	grant emu_manual
	qiectl_run manual-lane enable --ttl 5m --operator test --reason emulated-unit
	qiectl_run plan inject --source intent_bridge --symbol ETHUSDT --side SELL --qty 0.01 --plan-id emu_main
	qiectl_run plan inject --manual --symbol ETHUSDT --side SELL --qty 0.01 --plan-id emu_manual
	check "emulated unit: the main lane executes" lane_ok emu_main
	check "emulated unit: the manual lane executes" lane_ok emu_manual
	old=$(status_get manual pid)
	kill -KILL "$old"
	check "emulated unit: a killed child is restarted" wait_new_pid manual "$old" 5
	check "emulated unit: no sandbox violation" no_violation
	stop_daemon
	check "emulated unit: clean stop" grep -q "supervisor: stopped" "$DLOG"
}
if [ "${1:-}" = --emulated ]; then
	emulated
	exit 0
fi

ROOT=$T/root

check "make install stages a tree" stage_root "$ROOT"
out=$(cd / && systemd-analyze verify --root="$ROOT" --man=no \
	quantum-intent-executor.service 2>&1)
check "systemd-analyze verify prints nothing" test -z "$out"
[ -n "$out" ] && echo "$out"

# negative control: an unknown key and a missing binary are reported
sed 's|^ExecStart=.*|ExecStart=/usr/sbin/no-such-binary|; /^\[Service\]/a Bogus=1' \
	"$UNIT" >"$ROOT/lib/systemd/system/quantum-intent-executor.service"
bad=$(cd / && systemd-analyze verify --root="$ROOT" --man=no \
	quantum-intent-executor.service 2>&1)
check "verify reports an unknown key" grep -q "Unknown key 'Bogus'" <<<"$bad"
check "verify reports a missing ExecStart binary" grep -q "no-such-binary" <<<"$bad"

score=$(unit_exposure "$UNIT")
echo "exposure: $score"
check "exposure is known" test -n "$score"
check "exposure $score <= 1.7 (docs/PACKAGING.md)" awk -v s="${score:-99}" 'BEGIN { exit !(s <= 1.7) }'
check "security --threshold=17 passes" \
	systemd-analyze security --offline=yes --threshold=17 "$UNIT" >/dev/null 2>&1

has() { grep -qx -- "$1" "$UNIT"; }
for d in Type=notify WatchdogSec=30 Restart=on-failure \
	EnvironmentFile=-/etc/quantum/intent-executor.env \
	ExecStart=/usr/sbin/quantum-intent-executor \
	RuntimeDirectory=quantum-intent-executor UMask=0077 \
	"CapabilityBoundingSet=CAP_SETUID CAP_SETGID CAP_SETPCAP CAP_KILL" \
	NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
	PrivateDevices=yes ProtectKernelTunables=yes ProtectKernelModules=yes \
	ProtectKernelLogs=yes ProtectControlGroups=yes \
	"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" RestrictNamespaces=yes \
	LockPersonality=yes MemoryDenyWriteExecute=yes RestrictRealtime=yes \
	RestrictSUIDSGID=yes SystemCallArchitectures=native KillMode=mixed; do
	check "unit: $d" has "$d"
done
check "unit: the filter allows seccomp and Landlock" \
	grep -qE '^SystemCallFilter=@system-service seccomp landlock_create_ruleset landlock_add_rule landlock_restrict_self$' "$UNIT"
check "unit: no PrivateUsers=" bash -c "! grep -q '^PrivateUsers=' '$UNIT'"
check "unit: User=qie-supervisor (not root)" has User=qie-supervisor
check "unit: only the ambient capabilities the supervisor needs" \
	has "AmbientCapabilities=CAP_SETUID CAP_SETGID CAP_SETPCAP CAP_KILL"
for c in binance-api-key binance-api-secret redis-password; do
	check "unit: LoadCredential $c by name (may be missing)" \
		has "LoadCredential=$c:quantum-intent-executor.$c"
done
check "unit: no absolute LoadCredential path (fatal when missing)" \
	bash -c "! grep -q '^LoadCredential=[^:]*:/' '$UNIT'"
check "debian/ ships this unit" test "$(readlink -f "$TOP/debian/quantum-intent-executor.service")" = "$(readlink -f "$UNIT")"


if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	unshare -m --propagation private bash "$0" --emulated
else
	echo "SKIP t_unit: the emulated run needs root and unshare -m"
fi
