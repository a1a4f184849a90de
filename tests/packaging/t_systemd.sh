#!/bin/bash
# The Debian package under a real systemd as PID 1.  `make deb` builds the
# .deb (in a snapshot of the tree, into a folder of this test's own);
# debootstrap makes a Debian 12 root (minbase + systemd + dbus +
# redis-server + the package's and the fake exchange's libraries; downloads
# cached in $QIE_SD_CACHE, /var/cache/qie-systemd); `systemd-nspawn --boot` boots it in a private
# network namespace (loopback only, never a real network); dpkg -i installs
# the package there, and the unit is driven with systemctl through nsenter:
#   start      Type=notify reaches active (running); the five startup lines
#   processes  children under qie-main/qie-manual/qie-harvest/qie-executor,
#              NoNewPrivs 1,
#              Seccomp 2, no capability; the supervisor under qie-supervisor
#              with exactly setgid setuid setpcap kill (0x1e0)
#   plans      a plan executes on the paper backend; a harvest entry gets its
#              result (skipped: paper keeps no positions)
#   children   kill -9 of the executor, main, manual, harvest in turn: repaired by the
#              supervisor, systemd does not restart the unit (NRestarts)
#   systemd    a SIGKILLed main process is restarted (Restart=on-failure); a
#              SIGSTOPped supervisor is killed by the watchdog (drop-in
#              WatchdogSec=10) and restarted; stop is clean and quick
#   score      systemd-analyze security inside: exposure <= 1.7, the level
#              docs/PACKAGING.md documents (the issue's goal of 1.6 is not
#              reached: see there for each remaining point)
#   qiectl     status: rc 0, "daemon: running"
#   binance    credentials through LoadCredential=, the project's fake
#              exchange ($BUILD/fake-exchange) on 127.0.0.1: a signed order,
#              a harvest PARTIAL_CLOSE of half the fake's position;
#              the fake on 192.0.2.10 (an interface of the container's own
#              namespace): unreachable under IPAddressAllow=localhost (ERROR
#              status, never ready, no order), reachable with the shipped
#              drop-in installed by the one documented step
#   removal    dpkg -r stops the running service, dpkg -P purges
# SKIP (with the reason) where nspawn cannot run: not root, a sanitizer
# build, no apt access to a mirror, no namespaces, a container that does not
# boot.  About 2 minutes with a warm debootstrap cache, most of it
# debootstrap.  Env: QIE_SD_CACHE, MIRROR (default: the first URIs: of
# /etc/apt/sources.list.d/debian.sources), KEEP=1 (keep the work folder).
. "$(dirname "$0")/../lib.sh"

T0=$(date +%s)
SVC=quantum-intent-executor
PKG=quantum-intent-executor
MACHINE=qie-sd-$$
CACHE=${QIE_SD_CACHE:-/var/cache/qie-systemd}
FAKE=$BUILD/fake-exchange
DROPIN_SRC=/usr/share/$PKG/binance-network.conf
DROPIN_DIR=/etc/systemd/system/$SVC.service.d
WORK=
ROOT=
NSPAWN=
LEADER=
CGDIRS=
BG_PGIDS=
R0=0
[ -f "$RESULTS" ] && R0=$(wc -l <"$RESULTS")

elapsed() { echo $(($(date +%s) - T0)); }
hdr() { echo; echo "==== $* ($(elapsed) s)"; }
# done_now: the summary line and exit 0 (each check is in $RESULTS)
done_now() {
	local mine
	mine=$(tail -n +"$((R0 + 1))" "$RESULTS" 2>/dev/null | grep " $TEST_NAME: ")
	hdr "done"
	echo "$(grep -c '^PASS' <<<"$mine") passed, $(grep -c '^FAIL' <<<"$mine") failed," \
		"$(grep -c '^SKIP' <<<"$mine") skipped in $(elapsed) s"
	grep '^FAIL' <<<"$mine"
	exit 0
}
skip_all() { skip "$*"; done_now; }

# ---- cleanup: every exit path -------------------------------------------------
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
# the container's PID 1 as seen from here (still the same process?)
is_leader() {
	[ -n "$LEADER" ] && grep -qP '^NSpid:.*\t1$' "/proc/$LEADER/status" 2>/dev/null
}
sd_cleanup() {
	local g d p
	for g in $BG_PGIDS; do                  # debootstrap, make deb
		if kill -0 -- "-$g" 2>/dev/null; then
			echo "cleanup: stopping process group $g"
			kill -TERM -- "-$g" 2>/dev/null
			for _ in $(seq 50); do kill -0 -- "-$g" 2>/dev/null || break; sleep 0.2; done
			kill -KILL -- "-$g" 2>/dev/null
		fi
	done
	if alive "$NSPAWN"; then
		echo "cleanup: stopping container $MACHINE (nspawn pid $NSPAWN)"
		kill -TERM "$NSPAWN" 2>/dev/null     # an orderly shutdown of the container
		for _ in $(seq 100); do alive "$NSPAWN" || break; sleep 0.2; done
		if alive "$NSPAWN"; then
			echo "cleanup: the container did not stop in 20 s: SIGKILL to nspawn $NSPAWN"
			kill -KILL "$NSPAWN" 2>/dev/null
			sleep 0.5
		fi
	fi
	# a PID 1 left behind (nspawn killed): killing it ends its namespace
	if is_leader; then
		kill -KILL "$LEADER" 2>/dev/null
		for _ in $(seq 50); do is_leader || break; sleep 0.1; done
	fi
	wait "$NSPAWN" 2>/dev/null
	for d in $CGDIRS; do
		[ -d "$d" ] || continue
		for _ in $(seq 25); do
			# processes of the container still there: by pid
			find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | while read -r p; do
				kill -KILL "$p" 2>/dev/null
			done
			find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
			[ -d "$d" ] || break
			sleep 0.2
		done
		[ -d "$d" ] && echo "cleanup: WARNING: cgroup $d not removed"
	done
	rm -rf "/run/systemd/nspawn/propagate/$MACHINE" 2>/dev/null
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		# mounts below the work folder (none expected: debootstrap ran in a
		# mount namespace of its own): unmount them, never delete through them
		for p in $(findmnt -rn -o TARGET | grep -F "$WORK/" | sort -r); do
			umount -l "$p" 2>/dev/null
		done
		if findmnt -rn -o TARGET | grep -qF "$WORK/"; then
			echo "cleanup: WARNING: mounts left under $WORK: not removed"
		elif [ "${KEEP:-0}" = 1 ]; then
			echo "kept $WORK"
		else
			rm -rf --one-file-system "$WORK"
		fi
	fi
	cleanup                                 # lib.sh's: $T
}
trap sd_cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---- where nspawn cannot run: SKIP ------------------------------------------------
hdr "host"
[ "$(id -u)" = 0 ] || skip_all "systemd-nspawn and dpkg -i in a container need root"
if sanitizer_build; then
	skip_all "sanitizer build ($BUILD): the daemon loads no seccomp filter there"
fi
echo "kernel $(uname -r); PID 1: $(cat /proc/1/comm); cgroups: $(stat -fc %T /sys/fs/cgroup)$(
	[ -d /sys/fs/cgroup/unified ] && echo ' + unified (hybrid)')"
if ! unshare -m -u -i -n -p -C -f true 2>/dev/null; then
	skip_all "no mount/uts/ipc/net/pid/cgroup namespaces here (unshare fails)"
fi
# user namespaces: not needed by these options (no --private-users)
if unshare -U true 2>/dev/null; then echo "user namespaces: available"
else echo "user namespaces: not available (not needed: no --private-users)"; fi
MIRROR=${MIRROR:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
need=
command -v systemd-nspawn >/dev/null || need="$need systemd-container"
command -v debootstrap >/dev/null || need="$need debootstrap"
if [ -n "$need" ]; then
	echo "installing:$need"
	if ! (export DEBIAN_FRONTEND=noninteractive
		timeout 300 apt-get update -qq && timeout 300 apt-get install -y -qq \
			--no-install-recommends $need) >"$T/apt.log" 2>&1; then
		tail -n 5 "$T/apt.log"
		skip_all "no apt access: cannot install$need"
	fi
fi
for c in systemd-nspawn debootstrap nsenter curl jq findmnt; do
	command -v "$c" >/dev/null || skip_all "$c is missing"
done
echo "$(systemd-nspawn --version | head -n 1); debootstrap $(debootstrap --version | awk '{print $2}')"
if ! curl -fsS -m 15 -o /dev/null "$MIRROR/dists/bookworm/Release" 2>"$T/curl.err"; then
	skip_all "no access to the mirror $MIRROR ($(head -c 200 "$T/curl.err"))"
fi

WORK=$(mktemp -d /tmp/qie-systemd.XXXXXX)
ROOT=$WORK/root
mkdir -p "$CACHE" "$WORK/deb"

# lib_pkgs BINARY...: the packages of the shared libraries they load
lib_pkgs() {
	local libs
	libs=$(for b in "$@"; do [ -x "$b" ] && ldd "$b"; done |
		awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u)
	[ -n "$libs" ] || return 0
	# shellcheck disable=SC2046
	dpkg -S $libs $(readlink -f $libs) 2>/dev/null | cut -d: -f1 | sort -u | paste -sd,
}
# the fake exchange, and the libraries it runs with (into the root)
FAKE_OK=0
if [ -x "$FAKE" ] && grep -qF -- '--bind ADDR' "$FAKE"; then
	FAKE_OK=1
	fake_pkgs=$(lib_pkgs "$FAKE")
else
	fake_pkgs=
fi
check "the fake exchange $FAKE is built, with --bind" test "$FAKE_OK" = 1
fake_pkgs=${fake_pkgs:-libmicrohttpd12,libjansson4,libssl3}
# the package's libraries, from the binaries it is built from (the .deb is
# built at the same time; its Depends are checked against the root after)
bin_pkgs=$(lib_pkgs "$BUILD/quantum-intent-executor" "$BUILD/qie-worker" "$BUILD/qie-executor" "$BUILD/qiectl")
bin_pkgs=${bin_pkgs:-libcap-ng0,libcurl4,libhiredis0.14,libjansson4,libssl3,libsystemd0}
INCLUDE=$(echo "systemd,systemd-sysv,dbus,redis-server,redis-tools,procps,iproute2,$bin_pkgs,$fake_pkgs" |
	tr ',' '\n' | grep . | sort -u | paste -sd,)

# ---- the .deb and the root, side by side ----------------------------------------
hdr "make deb and debootstrap bookworm (cache $CACHE)"
echo "mirror $MIRROR; --include=$INCLUDE"
# make deb in a snapshot of the tree (the tree as it is now, uncommitted
# changes too): dpkg-buildpackage writes debian/files, build-deb/ ... in the
# source folder, which another make deb in the tree would share
mkdir -p "$WORK/src"
tar -C "$TOP" --exclude=./.git --exclude=./build --exclude='./build-*' \
	--exclude=./packaging/debian/$PKG --exclude=./packaging/debian/.debhelper \
	--exclude=./packaging/debian/files --exclude='./packaging/debian/*.substvars' \
	--exclude='./packaging/debian/*.debhelper' --exclude='./packaging/debian/*.debhelper.log' \
	--exclude=./packaging/debian/debhelper-build-stamp -cf - . | tar -C "$WORK/src" -xf - ||
	{ fail "a snapshot of $TOP for make deb"; done_now; }
setsid timeout 300 make -C "$WORK/src" --no-print-directory deb BUILD="$WORK/deb" \
	>"$WORK/deb.log" 2>&1 </dev/null &
DEB_PID=$!
setsid timeout 400 unshare -m --propagation private \
	debootstrap --variant=minbase --include="$INCLUDE" --cache-dir="$CACHE" \
	bookworm "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 </dev/null &
DBS_PID=$!
BG_PGIDS="$DEB_PID $DBS_PID"
wait "$DEB_PID"
deb_rc=$?
echo "make deb: exit $deb_rc ($(elapsed) s)"
wait "$DBS_PID"
dbs_rc=$?
BG_PGIDS=
echo "debootstrap: exit $dbs_rc ($(elapsed) s)"
DEB=$(ls "$WORK/deb/${PKG}"_*_*.deb 2>/dev/null | grep -v dbgsym | head -n 1)
check "make deb: $(basename "${DEB:-none}")" test "$deb_rc" = 0 -a -f "${DEB:-/nonexistent}"
if [ "$deb_rc" != 0 ] || [ ! -f "${DEB:-/nonexistent}" ]; then
	tail -n 30 "$WORK/deb.log"
	done_now
fi
if [ "$dbs_rc" != 0 ]; then
	tail -n 15 "$WORK/debootstrap.log"
	if grep -qiE "Failed getting release|Couldn.t download|Failed getting|download failed|Could not resolve|Temporary failure in name|Connection (refused|timed out)" \
		"$WORK/debootstrap.log"; then
		skip_all "debootstrap could not download from $MIRROR"
	fi
	fail "debootstrap (exit $dbs_rc, see above)"
	done_now
fi
pass "debootstrap ($(du -sh "$ROOT" | cut -f1))"
echo "Depends: $(dpkg-deb -f "$DEB" Depends)"
missing=$(dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/(.*)//; s/[[:space:]]//g' | grep . |
	while read -r alts; do
		ok=0
		for a in ${alts//|/ }; do
			dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f='${db:Status-Status}' "$a" 2>/dev/null |
				grep -qx installed && ok=1
		done
		[ $ok = 1 ] || echo "$alts"
	done | paste -sd' ')
check "the root holds every Depends of the .deb${missing:+ (missing: $missing)}" test -z "$missing"
echo qie-systemd >"$ROOT/etc/hostname"
cp "$DEB" "$ROOT/root/"
DEBNAME=$(basename "$DEB")
[ "$FAKE_OK" = 1 ] && install -m 0755 "$FAKE" "$ROOT/usr/local/bin/fake-exchange"

# ---- boot ---------------------------------------------------------------------------
hdr "boot: systemd-nspawn --boot"
# No systemd on the host: nspawn neither registers with machined nor asks
# PID 1 for a scope (--register=no --keep-unit); it runs in a cgroup of its
# own, made here in each hierarchy.  --capability=all and the system calls:
# nspawn's defaults take CAP_BPF and deny landlock_* (EPERM), so PID 1 could
# not install IPAddressDeny= and the children would find no Landlock.
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	CGDIRS=/sys/fs/cgroup/$MACHINE
else
	CGDIRS=/sys/fs/cgroup/systemd/$MACHINE
	[ -d /sys/fs/cgroup/unified ] && CGDIRS="$CGDIRS /sys/fs/cgroup/unified/$MACHINE"
fi
for d in $CGDIRS; do mkdir -p "$d"; done
(
	for d in $CGDIRS; do echo "$BASHPID" >"$d/cgroup.procs"; done
	SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 exec systemd-nspawn --boot --quiet \
		--directory="$ROOT" --machine="$MACHINE" --private-network \
		--register=no --keep-unit --console=read-only --link-journal=no \
		--capability=all \
		--system-call-filter='bpf landlock_create_ruleset landlock_add_rule landlock_restrict_self'
) >"$WORK/console.log" 2>&1 </dev/null &
NSPAWN=$!
for _ in $(seq 150); do
	for c in $(pgrep -P "$NSPAWN" 2>/dev/null); do
		grep -qP '^NSpid:.*\t1$' "/proc/$c/status" 2>/dev/null &&
			[ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ] && LEADER=$c
	done
	[ -n "$LEADER" ] && break
	alive "$NSPAWN" || break
	sleep 0.2
done
if [ -z "$LEADER" ]; then
	tail -n 20 "$WORK/console.log"
	skip_all "systemd-nspawn cannot boot a container here (no PID 1 in 30 s; console above)"
fi

ct() {
	timeout 120 nsenter --target "$LEADER" --mount --uts --ipc --net --pid --cgroup -- \
		env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 TERM=dumb SYSTEMD_COLORS=0 SYSTEMD_PAGER=cat "$@"
}
# ctnet COMMAND...: a host command in the container's network namespace only
ctnet() { timeout 30 nsenter --target "$LEADER" --net -- "$@"; }
show() { echo "\$ $*"; ct "$@" 2>&1; }

for _ in $(seq 100); do
	[ -S "/proc/$LEADER/root/run/systemd/private" ] && break
	sleep 0.2
done
state=$(timeout 90 nsenter --target "$LEADER" --mount --pid -- systemctl is-system-running --wait 2>&1)
echo "container PID 1: host pid $LEADER, is-system-running: $state ($(elapsed) s)"
case $state in
running) pass "systemd boots as PID 1 of the container" ;;
degraded)
	show systemctl --failed --no-legend
	pass "systemd boots as PID 1 of the container (degraded)"
	;;
*)
	tail -n 30 "$WORK/console.log"
	skip_all "the container's systemd did not reach running ($state)"
	;;
esac
ct sh -c 'systemd --version | head -n 1; stat -fc "cgroup fs: %T" /sys/fs/cgroup; grep CapBnd /proc/1/status'

# ---- helpers in the container ------------------------------------------------------
prop() { ct systemctl show -p "$1" --value "$SVC"; }
actsub() { echo "$(prop ActiveState)/$(prop SubState)"; }
running() { [ "$(actsub)" = active/running ]; }
# journal marks: a cursor, then what came after it
jmark() { ct journalctl -q -n 1 --show-cursor -o cat 2>/dev/null | sed -n 's/^-- cursor: //p' | tail -n 1; }
jsince() { # CURSOR [journalctl args]: the unit's lines since CURSOR
	local c=$1; shift
	if [ -n "$c" ]; then ct journalctl -q -u "$SVC" --no-pager -o cat --after-cursor="$c" "$@"
	else ct journalctl -q -u "$SVC" --no-pager -o cat "$@"; fi
}
# jwait CURSOR TEXT SECONDS: until the unit's journal since CURSOR has TEXT
jwait() {
	for _ in $(seq $(($3 * 4))); do
		jsince "$1" | grep -qF -- "$2" && return 0
		sleep 0.25
	done
	return 1
}
# a failing check prints the unit's last journal lines (lib.sh's fail)
jlog() { [ -n "$LEADER" ] && ct journalctl -q -u "$SVC" --no-pager -o short-precise -n 15 >"$DLOG" 2>/dev/null; }
ucheck() { jlog; check "$@"; rm -f "$DLOG"; }
status_file() { ct cat /run/$SVC/status 2>/dev/null; }
status_pid() { status_file | awk -v r="$1" '$1 == r { sub("pid=", "", $2); print $2 }'; }
proc_status() { ct cat "/proc/$1/status" 2>/dev/null; }
# plan ID: a permit, then an EXECUTE plan on the main lane
plan() {
	ct redis-cli SETEX "quantum:permit:p33:$1" 120 '{"allow": true}' >/dev/null
	ct redis-cli XADD quantum:stream:apply.plan '*' plan_id "$1" action FULL_CLOSE_PROPOSED \
		decision EXECUTE symbol ETHUSDT side SELL type MARKET qty 0.01 reduceOnly true \
		source intent_bridge timestamp "$(date +%s)" >/dev/null
}
# harvest ACTION PERCENTAGE: an exit manager's entry on the harvest stream;
# prints its plan id (harvest-<entry id>)
harvest() {
	local id
	id=$(ct redis-cli XADD quantum:stream:harvest.intent '*' symbol ETHUSDT action "$1" \
		percentage "$2" reason t_systemd R_net 1.5 pnl_usd 3) || return 1
	echo "harvest-$id"
}
# result ID: "executed error" of the plan's first result ("" without one)
result() {
	ct redis-cli --json XRANGE quantum:stream:apply.result - + 2>/dev/null | jq -r --arg p "$1" '
		[.[] | .[1] as $f
		 | ([range(0; $f | length; 2) | {key: $f[.], value: $f[. + 1]}] | from_entries)
		 | select(.plan_id == $p)][0] // empty
		| "\(.executed) \((.details | fromjson? // {}).error // "-")"' 2>/dev/null
}
# awaited ID SECONDS: prints the plan's first result ("executed error"),
# waiting up to SECONDS for it (nothing when none came)
awaited() {
	local r=
	for _ in $(seq $(($2 * 4))); do
		r=$(result "$1")
		[ -n "$r" ] && break
		sleep 0.25
	done
	echo "$r"
}
# executed ID SECONDS: the plan's result comes, and says executed
executed() {
	local r
	r=$(awaited "$1" "$2")
	echo "plan $1: result: ${r:-none after $2 s}"
	[ "${r%% *}" = true ]
}
# answered ID SECONDS "EXECUTED ERROR": the plan's first result says so
# (the error up to its first colon)
answered() {
	local r
	r=$(awaited "$1" "$2")
	echo "plan $1: result: ${r:-none after $2 s}"
	[ "${r%%:*}" = "$3" ] || [ "$r" = "$3" ]
}
# fake_orders URL: the fake's order log; fake_count URL COID: orders for COID
fake_orders() { ctnet curl -fsS -m 3 "$1/_fake/orders"; }
fake_count() {
	fake_orders "$1" | jq -r --arg c "$2" '[.orders[] | select(.clientOrderId == $c) | .count] | add // 0'
}
# start_fake NAME ADDR PORT: the fake exchange as a transient unit; its
# account holds a long of every symbol, so the reduce-only SELL plans here
# reduce a real position (a flat one refuses them: no_position_to_reduce)
start_fake() {
	ct systemd-run --quiet --unit="$1" /usr/local/bin/fake-exchange \
		--key "$FX_KEY" --secret "$FX_SECRET" --bind "$2" --port "$3" \
		--mode long:1:100000
	for _ in $(seq 40); do
		ctnet curl -fsS -m 2 -o /dev/null "http://$2:$3/fapi/v1/time" 2>/dev/null && return 0
		sleep 0.25
	done
	return 1
}
# child_ok ROLE PID: runs as qie-ROLE, NoNewPrivs 1, Seccomp 2, every Cap* 0
child_ok() {
	local want st uid
	want=$(ct id -u "qie-$1")
	st=$(proc_status "$2")
	uid=$(awk '/^Uid:/ {print $2 "," $3 "," $4 "," $5}' <<<"$st")
	echo "$1 pid $2: Uid $uid (qie-$1 = $want); $(grep -E '^(NoNewPrivs|Seccomp|Cap(Inh|Prm|Eff|Bnd|Amb)):' <<<"$st" | tr '\t\n' '  ')"
	[ -n "$want" ] && [ "$uid" = "$want,$want,$want,$want" ] &&
		grep -qP '^NoNewPrivs:\t1$' <<<"$st" && grep -qP '^Seccomp:\t2$' <<<"$st" &&
		[ "$(grep -cP '^Cap(Inh|Prm|Eff|Bnd|Amb):\t0000000000000000$' <<<"$st")" = 5 ]
}
# wait_new_child ROLE OLD SECONDS: prints the new pid once it runs
wait_new_child() {
	local p
	for _ in $(seq $(($3 * 4))); do
		p=$(status_pid "$1")
		if [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$2" ] && ct kill -0 "$p" 2>/dev/null; then
			echo "$p"
			return 0
		fi
		sleep 0.25
	done
	return 1
}
# start_unit: reset the start limit, start (bounded); sets START_RC, START_MS
start_unit() {
	local t0
	ct systemctl reset-failed "$SVC" 2>/dev/null
	t0=$(date +%s%N)
	ct timeout 75 systemctl "${1:-start}" "$SVC"
	START_RC=$?
	START_MS=$((($(date +%s%N) - t0) / 1000000))
	echo "systemctl ${1:-start}: rc $START_RC in $START_MS ms; $(actsub); StatusText: $(prop StatusText)"
}
# wait_main_restart OLD_MAINPID OLD_NRESTARTS SECONDS: systemd restarted it
wait_main_restart() {
	local m
	for _ in $(seq $(($3 * 5))); do
		m=$(prop MainPID)
		[ "${m:-0}" != 0 ] && [ "$m" != "$1" ] && [ "$(prop NRestarts)" != "$2" ] && running && return 0
		sleep 0.2
	done
	return 1
}
sigsys_report() { # the kernel's seccomp audit lines of the daemon's binaries
	dmesg 2>/dev/null | grep 'type=1326' | grep -E 'exe="/usr/(sbin|libexec)/quantum-intent-executor' | tail -n 3
}

# ---- install --------------------------------------------------------------------------
hdr "install: dpkg -i $DEBNAME"
ct dpkg -i "/root/$DEBNAME" >"$WORK/dpkg-i.log" 2>&1
rc=$?
check "dpkg -i $DEBNAME in the container" test "$rc" = 0
if [ "$rc" != 0 ]; then tail -n 20 "$WORK/dpkg-i.log"; done_now; fi
check "users qie-main qie-manual qie-harvest qie-executor qie-supervisor exist" \
	ct getent passwd qie-main qie-manual qie-harvest qie-executor qie-supervisor
check "the package neither enables nor starts the unit" \
	ct sh -c "[ \"\$(systemctl is-enabled $SVC)\" = disabled ] && ! systemctl -q is-active $SVC"
check "redis-server runs in the container" \
	ct sh -c 'systemctl -q is-active redis-server && [ "$(redis-cli ping)" = PONG ]'
ct sh -c 'umask 077; printf %s "$1" >/etc/quantum/credentials/binance-api-key
	printf %s "$2" >/etc/quantum/credentials/binance-api-secret
	chmod 0600 /etc/quantum/credentials/*' _ "$FX_KEY" "$FX_SECRET"
ct cp /etc/quantum/intent-executor.env /root/env.orig

# ---- start --------------------------------------------------------------------------------
hdr "start (paper backend)"
J=$(jmark)
start_unit
RUNNING=0
running && [ "$START_RC" = 0 ] && RUNNING=1
ucheck "start: systemctl start rc 0, active (running) through Type=notify in $START_MS ms" test "$RUNNING" = 1
[ "$RUNNING" = 1 ] || { sigsys_report; show systemctl status --no-pager -l "$SVC" | tail -n 20; }
st=$(prop StatusText)
check "start: StatusText \"$st\" is ready:, backend paper" \
	bash -c '[[ $0 == ready:* ]] && [[ $0 == *paper* ]]' "$st"
for line in "Source allowlist: ['intent_bridge']" "Manual lane TTL guard: " "MANUAL_LANE_OFF" \
	"Consuming MAIN: quantum:stream:apply.plan" "Consuming MANUAL: quantum:stream:apply.plan.manual" \
	"Consuming HARVEST: quantum:stream:harvest.intent"; do
	ucheck "start: the journal has \"$line\"" jwait "$J" "$line" 5
done
check "start: no \"Landlock unavailable\" warning" bash -c '! grep -q "Landlock unavailable" <<<"$0"' "$(jsince "$J")"
check "start: the ledger is in the unit's StateDirectory, the supervisor's" \
	ct sh -c '[ "$(stat -c %U /var/lib/quantum-intent-executor/ledger)" = qie-supervisor ]'
check "start: no \"kept in memory only\" warning" bash -c '! grep -q "kept in memory only" <<<"$0"' "$(jsince "$J")"

# ---- processes -------------------------------------------------------------------------
hdr "the processes of the unit"
status_file
MAIN=$(prop MainPID)
for role in executor main manual harvest; do
	p=$(status_pid "$role")
	check "processes: $role (pid ${p:-none}) runs as qie-$role, NoNewPrivs 1, Seccomp 2, all Cap* 0" \
		child_ok "$role" "${p:-0}"
done
st=$(proc_status "$MAIN")
su=$(ct id -u qie-supervisor 2>/dev/null)
grep -E '^(Uid|Gid|NoNewPrivs|Seccomp|Cap(Inh|Prm|Eff|Bnd|Amb)):' <<<"$st" | sed "s/^/supervisor pid $MAIN: /"
check "processes: supervisor (pid $MAIN) runs as qie-supervisor (${su:-no such user}), not root" \
	bash -c '[ -n "$1" ] && [ "$1" != 0 ] && grep -qP "^Uid:\t$1\t$1\t$1\t$1$" <<<"$0"' "$st" "$su"
check "processes: supervisor NoNewPrivs 1, Seccomp 2" \
	bash -c 'grep -qP "^NoNewPrivs:\t1$" <<<"$0" && grep -qP "^Seccomp:\t2$" <<<"$0"' "$st"
check "processes: supervisor CapEff = CapAmb = 00000000000001e0 (setgid setuid setpcap kill)" \
	bash -c 'grep -qP "^CapEff:\t00000000000001e0$" <<<"$0" && grep -qP "^CapAmb:\t00000000000001e0$" <<<"$0"' "$st"
check "processes: supervisor CapBnd = 00000000000001e0" grep -qP '^CapBnd:\t00000000000001e0$' <<<"$st"
n=$(ct cat "/sys/fs/cgroup/system.slice/$SVC.service/cgroup.procs" 2>/dev/null | wc -l)
check "processes: 5 in the unit's cgroup (supervisor + 4 children): $n" test "$n" = 5

# ---- a plan ----------------------------------------------------------------------------
hdr "a plan on the paper backend"
plan p1
ucheck "plan: p1 executed (paper)" executed p1 15
h1=$(harvest CLOSE 1)
ucheck "plan: harvest entry $h1 answered: skipped, close_no_position (paper keeps no positions)" \
	answered "$h1" 15 "false close_no_position"

# ---- children killed -------------------------------------------------------------------
hdr "kill -9 of each child: the supervisor repairs it, systemd does not restart the unit"
NR0=$(prop NRestarts)
for role in executor main manual harvest; do
	old=$(status_pid "$role")
	J=$(jmark)
	if [ -z "$old" ] || [ "$old" = 0 ]; then
		fail "children: no $role pid in the status file"
		continue
	fi
	ct kill -9 "$old"
	new=$(wait_new_child "$role" "$old" 15)
	jsince "$J" | grep -E "^$role |$role \(pid" | head -n 3
	ucheck "children: $role (pid $old) killed with SIGKILL, restarted by the supervisor (pid ${new:-none})" test -n "$new"
	ucheck "children: unit still active/running, NRestarts still $NR0 after the $role kill" \
		bash -c '[ "$0" = active/running ] && [ "$1" = "$2" ]' "$(actsub)" "$(prop NRestarts)" "$NR0"
	[ -n "$new" ] && check "children: restarted $role (pid $new) is confined like the first" child_ok "$role" "$new"
done
# the supervisor may say degraded until every lane is back
for _ in $(seq 20); do [[ $(prop StatusText) == ready:* ]] && break; sleep 0.25; done
plan p2
ucheck "children: p2 executed after the four kills" executed p2 20

# ---- exposure, qiectl --------------------------------------------------------------------
hdr "systemd-analyze security $SVC (inside the container)"
sec=$(ct systemd-analyze security --no-pager "$SVC" 2>&1)
# what the score is made of: every setting that adds to it
grep '✗' <<<"$sec" | awk '$NF + 0 > 0' | sed 's/  */ /g'
tail -n 1 <<<"$sec"
score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p' <<<"$sec")
check "score: exposure ${score:-unknown} <= 1.7 (docs/PACKAGING.md)" awk -v s="${score:-99}" 'BEGIN { exit !(s <= 1.7) }'
hdr "qiectl status"
out=$(ct qiectl status 2>&1)
rc=$?
echo "$out"
check "qiectl: status rc $rc, \"daemon: running\"" \
	bash -c '[ "$0" = 0 ] && grep -q "daemon: running" <<<"$1"' "$rc" "$out"

# ---- systemd restarts a killed main process ----------------------------------------------
hdr "SIGKILL of the main process: Restart=on-failure"
old=$(prop MainPID)
nr=$(prop NRestarts)
ct systemctl kill --kill-whom=main -s SIGKILL "$SVC"
wait_main_restart "$old" "$nr" 25
ucheck "systemd: main process killed: restarted by systemd (MainPID $old -> $(prop MainPID), NRestarts $nr -> $(prop NRestarts)), active/running" \
	bash -c '[ "$0" != "$1" ] && [ "$2" != "$3" ] && [ "$4" = active/running ]' \
	"$(prop MainPID)" "$old" "$(prop NRestarts)" "$nr" "$(actsub)"
plan p3
ucheck "systemd: p3 executed after systemd's restart" executed p3 20

# ---- the watchdog ----------------------------------------------------------------------------
hdr "watchdog: a SIGSTOPped supervisor (drop-in WatchdogSec=10)"
WD=10
ct sh -c "mkdir -p $DROPIN_DIR && printf '[Service]\nWatchdogSec=$WD\n' >$DROPIN_DIR/t-watchdog.conf && systemctl daemon-reload"
start_unit restart
wu=$(prop WatchdogUSec)
check "watchdog: after the drop-in WatchdogUSec=$wu, active/running" \
	bash -c '[ "$0" = 10s ] && [ "$1" = active/running ]' "$wu" "$(actsub)"
old=$(prop MainPID)
nr=$(prop NRestarts)
J=$(jmark)
wd_ms=
if [ "${old:-0}" != 0 ]; then
	t0=$(date +%s%N)
	ct kill -STOP "$old"
	if wait_main_restart "$old" "$nr" $((WD + 30)); then
		wd_ms=$((($(date +%s%N) - t0) / 1000000))
	fi
	# never leave it stopped (it is gone if systemd killed it)
	ct kill -CONT "$old" 2>/dev/null
fi
jsince "$J" | grep -iE "watchdog|systemd|Main process|supervisor" | head -n 8
echo "watchdog: SIGSTOP -> new MainPID in ${wd_ms:-(none)} ms (WatchdogSec=$WD)"
ucheck "watchdog: the stopped supervisor (pid $old) killed and restarted by systemd in ${wd_ms:-never} ms <= $((WD + 10)) s (NRestarts $nr -> $(prop NRestarts))" \
	bash -c '[ -n "$0" ] && [ "$0" -le "$1" ]' "$wd_ms" $(((WD + 10) * 1000))
check "watchdog: the journal says \"Watchdog timeout\"" \
	bash -c 'grep -qi "watchdog timeout" <<<"$0"' "$(jsince "$J")"
ct sh -c "rm -f $DROPIN_DIR/t-watchdog.conf; rmdir $DROPIN_DIR 2>/dev/null; systemctl daemon-reload"

# ---- stop -------------------------------------------------------------------------------------
hdr "systemctl stop"
for _ in $(seq 40); do running && break; sleep 0.25; done
J=$(jmark)
t0=$(date +%s%N)
ct timeout 45 systemctl stop "$SVC"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
jwait "$J" "supervisor: stopped" 3
jsince "$J" | tail -n 6
echo "stop: rc $rc in $ms ms; $(prop ActiveState), Result=$(prop Result), ExecMainStatus=$(prop ExecMainStatus)"
ucheck "stop: clean (rc 0, inactive, Result=success, \"supervisor: stopped\")" \
	bash -c '[ "$0" = 0 ] && [ "$1" = inactive ] && [ "$2" = success ] && grep -q "supervisor: stopped" <<<"$3"' \
	"$rc" "$(prop ActiveState)" "$(prop Result)" "$(jsince "$J")"
check "stop: quick: $ms ms < 10000" test "$ms" -lt 10000

# ---- binance backend, fake on loopback ----------------------------------------------------
hdr "binance backend: credentials through LoadCredential=, the fake exchange on 127.0.0.1:18080"
FXLO=http://127.0.0.1:18080
if [ "$FAKE_OK" = 1 ]; then start_fake qie-fake-lo 127.0.0.1 18080; fi
check "binance: the fake exchange answers on $FXLO" ctnet curl -fsS -m 3 -o /dev/null "$FXLO/fapi/v1/time"
# ETHUSDT long 0.05: b1 sells 0.01, the harvest entry closes half of the rest
ctnet curl -fsS -m 3 -o /dev/null -X POST "$FXLO/_fake/position?symbol=ETHUSDT&side=BOTH&amt=0.05&entry=3000"
ct sh -c "cp /root/env.orig /etc/quantum/intent-executor.env
	printf 'INTENT_EXECUTOR_BACKEND=binance\nINTENT_EXECUTOR_BINANCE_BASE_URL=$FXLO\n' >>/etc/quantum/intent-executor.env"
J=$(jmark)
start_unit
ucheck "binance: systemctl start rc 0, active/running (StatusText: $(prop StatusText))" \
	bash -c '[ "$0" = 0 ] && [ "$1" = active/running ]' "$START_RC" "$(actsub)"
plan b1
ucheck "binance: plan b1 executed on the fake (loopback)" executed b1 20
n=$(fake_count "$FXLO" qie-b1)
fake_orders "$FXLO" | jq -c '.orders[]' 2>/dev/null | head -n 3
check "binance: the signed order qie-b1 is in the fake's order log ($n)" test "${n:-0}" -ge 1
h2=$(harvest PARTIAL_CLOSE 0.5)
ucheck "binance: harvest PARTIAL_CLOSE $h2 executed on the fake" executed "$h2" 20
o=$(fake_orders "$FXLO" | jq -c --arg c "qie-$h2" '[.orders[] | select(.clientOrderId == $c)][0] // empty' 2>/dev/null)
echo "harvest order: ${o:-none}"
check "binance: the harvest order is a reduce-only SELL of 0.02, half the fake's ETHUSDT long of 0.04" \
	bash -c '[ "$(jq -r .reduceOnly <<<"$0")" = true ] && [ "$(jq -r .side <<<"$0")" = SELL ] &&
		[ "$(jq -r ".quantity | tonumber" <<<"$0")" = 0.02 ]' "${o:-{\}}"
check "binance: the executor read its credentials from \$CREDENTIALS_DIRECTORY" \
	bash -c 'grep -q "credentials from /run/credentials/" <<<"$0"' "$(jsince "$J")"
ct timeout 45 systemctl stop "$SVC"

# ---- binance backend, fake on a non-loopback address -------------------------------------------
hdr "binance backend: the fake on 192.0.2.10 (not loopback), IPAddressAllow=localhost"
FXR=http://192.0.2.10:18443
# an interface of the container's own network namespace: a dummy, or where
# the kernel has no dummy driver a bridge without ports (the same here)
if ct sh -c 'ip link add qie0 type dummy' 2>/dev/null; then kind=dummy
else ct ip link add qie0 type bridge; kind="bridge (no dummy driver in this kernel)"; fi
ct sh -c 'ip addr add 192.0.2.10/24 dev qie0 && ip link set qie0 up'
echo "qie0: $kind: $(ct ip -br addr show qie0)"
if [ "$FAKE_OK" = 1 ]; then start_fake qie-fake-remote 192.0.2.10 18443; fi
check "unreachable: the fake answers a root shell on $FXR" ctnet curl -fsS -m 3 -o /dev/null "$FXR/fapi/v1/time"
ct sed -i "s|^INTENT_EXECUTOR_BINANCE_BASE_URL=.*|INTENT_EXECUTOR_BINANCE_BASE_URL=$FXR|" /etc/quantum/intent-executor.env
ct systemctl reset-failed "$SVC" 2>/dev/null
J=$(jmark)
ts=$(date +%s)
ct systemctl start --no-block "$SVC"
plan r1
seen=
st=
qs=
jl=
# up to 20 s: the error is reported everywhere, and the unit never becomes
# ready meanwhile (watched for at least 6 s: one retry of the executor)
while [ $(($(date +%s) - ts)) -lt 20 ]; do
	a=$(actsub)
	case " $seen " in *" $a "*) ;; *) seen="$seen $a" ;; esac
	st=$(prop StatusText)
	jl=$(jsince "$J" | grep ERROR | grep -m 1 unreachable)
	qs=$(ct qiectl status 2>&1 | grep -m 1 '^state:')
	[[ $st == ERROR:* ]] && [ -n "$jl" ] && [[ $qs == "state: ERROR"* ]] &&
		[ $(($(date +%s) - ts)) -ge 6 ] && break
	sleep 0.5
done
echo "states seen:$seen ($(($(date +%s) - ts)) s)"
echo "StatusText: $st"
echo "journal: $jl"
jsince "$J" | grep -E "binance|executor" | head -n 4
echo "qiectl: $qs"
ucheck "unreachable: the unit never active/running (seen:$seen)" \
	bash -c '! grep -q "active/running" <<<"$0" && [ -n "$0" ]' "$seen"
ucheck "unreachable: StatusText starts with ERROR: and names IPAddressAllow" \
	bash -c '[[ $0 == ERROR:* ]] && [[ $0 == *IPAddressAllow* ]]' "$st"
ucheck "unreachable: the journal has an ERROR line with \"unreachable\"" test -n "$jl"
check "unreachable: the ERROR line gives the reason after \"unreachable:\"" \
	bash -c '[[ $0 =~ unreachable:\ [^\ \(] ]]' "$jl"
check "unreachable: qiectl status prints \"state: ERROR\"" bash -c '[[ $0 == "state: ERROR"* ]]' "$qs"
n=$(fake_orders "$FXR" | jq -r '.order_posts' 2>/dev/null)
check "unreachable: no order reached the fake (order posts: ${n:-?})" test "${n:-x}" = 0
check "unreachable: plan r1 not consumed (no result: $(result r1))" test -z "$(result r1)"
ct timeout 45 systemctl stop "$SVC"

hdr "binance backend: the shipped drop-in, installed by the documented step"
ct sh -c "install -D -m 0644 $DROPIN_SRC $DROPIN_DIR/binance-network.conf && systemctl daemon-reload" 2>&1
rc=$?
ct cat "$DROPIN_DIR/binance-network.conf" 2>/dev/null
check "reachable: the documented step (install -D $DROPIN_SRC ..., daemon-reload) rc $rc" test "$rc" = 0
if [ "$rc" = 0 ]; then
	start_unit restart
	ucheck "reachable: with the drop-in, systemctl restart reaches active/running" \
		bash -c '[ "$0" = 0 ] && [ "$1" = active/running ]' "$START_RC" "$(actsub)"
	plan r2
	ucheck "reachable: plan r2 executed" executed r2 20
	n=$(fake_count "$FXR" qie-r2)
	check "reachable: the order qie-r2 reached the fake on 192.0.2.10 ($n)" test "${n:-0}" -ge 1
	echo "plan r1 (queued while unreachable): result: $(result r1), orders on the fake: $(fake_count "$FXR" qie-r1)"
else
	# a start would wait for TimeoutStartSec: not tried
	fail "reachable: not checked (no drop-in to install)"
fi

# ---- removal ------------------------------------------------------------------------------------
hdr "dpkg -r (the service running), dpkg -P"
if ! running; then
	ct cp /root/env.orig /etc/quantum/intent-executor.env      # paper: starts anywhere
	start_unit
fi
was=$(actsub)
show dpkg -r "$PKG" | tail -n 5
n=$(ct cat "/sys/fs/cgroup/system.slice/$SVC.service/cgroup.procs" 2>/dev/null | wc -l)
check "removal: dpkg -r stops the service ($was before, $(prop ActiveState) after, $n processes left)" \
	bash -c '[ "$0" = active/running ] && [ "$1" != active ] && [ "$1" != activating ] && [ "$2" = 0 ]' \
	"$was" "$(prop ActiveState)" "$n"
show dpkg -P "$PKG" | tail -n 5
check "removal: dpkg -P: credential store links removed, the credential files kept" \
	ct sh -c "! ls /etc/credstore/$PKG.* 2>/dev/null && test -s /etc/quantum/credentials/binance-api-key"
check "removal: dpkg -P: nothing of the package left in dpkg's database" \
	ct sh -c "! dpkg-query -W -f='\${db:Status-Status}' $PKG 2>/dev/null | grep -q ."

done_now
