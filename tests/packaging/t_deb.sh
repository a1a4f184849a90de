#!/bin/bash
# The Debian package: built once with `make deb`, checked by lintian, read
# (files, modes, conffile, sysusers, maintainer scripts, hardening), then
# installed, upgraded, removed and purged with dpkg in an isolated root:
# this script runs itself again under `unshare -m` with overlay mounts on
# /etc, /usr and /var, so the host is never touched.
. "$(dirname "$0")/../lib.sh"

PKG=quantum-intent-executor
CRED=/etc/quantum/credentials
ENVF=/etc/quantum/intent-executor.env

# ---- inside the private mount namespace: dpkg for real -----------------
if [ "${1:-}" = --in-root ]; then
	DEB=$2
	for d in etc usr var; do
		mkdir -p "$T/ov/$d/up" "$T/ov/$d/work"
		mount -t overlay overlay -o "lowerdir=/$d,upperdir=$T/ov/$d/up,workdir=$T/ov/$d/work" "/$d" ||
			{ fail "overlay on /$d"; exit 0; }
	done
	rm -f /var/lib/man-db/auto-update       # no man-db trigger run
	# a host that never had the package: no role users, no leftovers
	for f in passwd group shadow gshadow; do
		[ -f /etc/$f ] && sed -i '/^qie-\(main\|manual\|executor\):/d' /etc/$f
	done
	dpkg --purge $PKG >/dev/null 2>&1
	rm -rf $CRED /etc/credstore/$PKG.*

	check "dpkg -i" dpkg -i "$DEB" >"$T/dpkg.log" 2>&1 || cat "$T/dpkg.log"
	check "installed" test "$(dpkg-query -W -f='${db:Status-Status}' $PKG)" = installed
	for u in qie-supervisor qie-main qie-manual qie-harvest qie-executor; do
		check "user $u created, nologin" \
			test "$(getent passwd $u | cut -d: -f7)" = /usr/sbin/nologin
		check "user $u is a system user" \
			test "$(getent passwd $u | cut -d: -f3)" -lt 1000
		check "user $u has no home" test "$(getent passwd $u | cut -d: -f6)" = /nonexistent
	done
	check "five distinct uids" test "$(for u in qie-supervisor qie-main qie-manual qie-harvest qie-executor; do
		id -u $u; done | sort -u | wc -l)" = 5
	check "$CRED is 0700 root" test "$(stat -c %a:%U $CRED)" = 700:root
	for c in binance-api-key binance-api-secret redis-password; do
		check "credstore link for $c" \
			test "$(readlink /etc/credstore/$PKG.$c)" = "$CRED/$c"
	done
	check "conffile registered" grep -q "$ENVF" <<<"$(dpkg-query -W -f='${Conffiles}' $PKG)"
	check "service not enabled on install" \
		test ! -e /etc/systemd/system/multi-user.target.wants/$PKG.service
	out=$(systemd-analyze verify --man=no /lib/systemd/system/$PKG.service 2>&1)
	check "systemd-analyze verify on the installed tree prints nothing" test -z "$out"
	[ -n "$out" ] && echo "$out"
	check "qiectl runs" qiectl --help >/dev/null
	check "man qiectl" bash -c 'man -w qiectl | grep -q "/usr/share/man/man1/qiectl.1.gz"'

	# upgrade (a reinstall runs the same scripts): the conffile is kept
	echo "INTENT_EXECUTOR_HEARTBEAT_SEC=30 # local change" >>$ENVF
	echo "api-key-value" >$CRED/binance-api-key
	chmod 0600 $CRED/binance-api-key
	check "dpkg -i again (upgrade path)" dpkg -i "$DEB" >"$T/dpkg.log" 2>&1 || cat "$T/dpkg.log"
	check "upgrade kept the changed conffile" grep -q "local change" $ENVF
	check "upgrade kept the credential" test "$(cat $CRED/binance-api-key)" = api-key-value

	check "dpkg -r" dpkg -r $PKG >"$T/dpkg.log" 2>&1 || cat "$T/dpkg.log"
	check "remove keeps the conffile" grep -q "local change" $ENVF
	check "remove takes the binaries" test ! -e /usr/sbin/quantum-intent-executor
	check "dpkg --purge" dpkg --purge $PKG >"$T/dpkg.log" 2>&1 || cat "$T/dpkg.log"
	check "purge removes the conffile" test ! -e $ENVF
	check "purge removes the credstore links" \
		test -z "$(ls /etc/credstore/$PKG.* 2>/dev/null)"
	check "purge keeps credential files it did not create" \
		test -f $CRED/binance-api-key
	check "purge says so" grep -q "kept $CRED" "$T/dpkg.log"
	check "purge leaves no state" test -z "$(dpkg-query -W -f='${db:Status-Status}' $PKG 2>/dev/null)"

	# install and purge with no credentials: nothing of the package is left
	rm -rf $CRED
	dpkg -i "$DEB" >/dev/null 2>&1 && dpkg --purge $PKG >/dev/null 2>&1
	check "clean purge removes $CRED" test ! -e $CRED
	check "clean purge removes /etc/quantum" test ! -e /etc/quantum
	check "clean purge removes the unit" test ! -e /lib/systemd/system/$PKG.service
	umount -l /etc /usr /var
	exit 0
fi

# ---- outside: build, lint, read -----------------------------------------
t0=$(date +%s)
rm -f "$BUILD"/${PKG}_*.deb "$BUILD"/${PKG}-dbgsym_*.deb
check "make deb" make -C "$TOP" --no-print-directory deb BUILD="$BUILD" >"$T/build.log" 2>&1 ||
	tail -n 30 "$T/build.log"
echo "make deb: $(($(date +%s) - t0)) s"
DEB=$(ls "$BUILD"/${PKG}_*_*.deb 2>/dev/null | head -n 1)
[ -f "$DEB" ] || { fail "no .deb in $BUILD"; exit 0; }
check ".buildinfo and .changes next to it" test -f "${DEB%.deb}.changes" -a -f "${DEB%.deb}.buildinfo"
check "nothing written outside the tree" test -z "$(ls "$TOP"/../${PKG}_* 2>/dev/null)"
check "version matches the Makefile" \
	test "$(dpkg-deb -f "$DEB" Version)" = "$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")"

lintian --fail-on error,warning --show-overrides "$DEB" >"$T/lintian" 2>&1
lrc=$?
lint=$(grep -v "running with root privileges" "$T/lintian")
echo "lintian (exit $lrc):"
echo "$lint"
check "lintian --fail-on error,warning" test "$lrc" = 0
check "lintian: no error or warning" bash -c "! grep -q '^[EW]:' <<<\"\$1\"" _ "$lint"
check "lintian: no overrides" bash -c "! grep -q '^O:' <<<\"\$1\"" _ "$lint"

X=$T/x
dpkg-deb -x "$DEB" "$X"
dpkg-deb -e "$DEB" "$X/DEBIAN"
mode() { stat -c %a:%U:%G "$X$1"; }
for f in /usr/sbin/quantum-intent-executor /usr/bin/qiectl \
	/usr/libexec/quantum-intent-executor/qie-worker \
	/usr/libexec/quantum-intent-executor/qie-executor; do
	check "$f 0755 root" test "$(mode $f)" = 755:root:root
done
for f in $ENVF /lib/systemd/system/$PKG.service /usr/lib/sysusers.d/$PKG.conf \
	/usr/share/man/man8/quantum-intent-executor.8.gz /usr/share/man/man1/qiectl.1.gz \
	/usr/share/man/man5/quantum-intent-executor.env.5.gz \
	/usr/share/doc/$PKG/examples/redis-acl.conf /usr/share/doc/$PKG/README.Debian \
	/usr/share/doc/$PKG/copyright; do
	check "$f 0644 root" test "$(mode "$f" 2>/dev/null)" = 644:root:root
done
if [ -f "$TOP/SECURITY.md" ]; then
	check "SECURITY.md shipped" test -f "$X/usr/share/doc/$PKG/SECURITY.md" -o \
		-f "$X/usr/share/doc/$PKG/SECURITY.md.gz"
fi
for p in "$TOP"/sandbox/policies/*.policy; do
	[ -f "$p" ] || continue
	check "seccomp policy $(basename "$p") shipped" \
		cmp -s "$p" "$X/usr/share/$PKG/seccomp/$(basename "$p")"
done
check "the binance network drop-in shipped" \
	cmp -s "$TOP/packaging/binance-network.conf" "$X/usr/share/$PKG/binance-network.conf"
check "the unit shipped is packaging's" cmp -s "$TOP/packaging/$PKG.service" "$X/lib/systemd/system/$PKG.service"
check "no credentials directory in the package (postinst makes it 0700)" test ! -e "$X$CRED"
check "conffiles lists only the env file" test "$(cat "$X/DEBIAN/conffiles")" = "$ENVF"

# the env file: every setting with its default, commented; no secret
check "env file: every line a comment or blank" \
	bash -c "! grep -vE '^[[:space:]]*(#|$)' '$X$ENVF'"
zcat "$X/usr/share/man/man8/quantum-intent-executor.8.gz" | sed 's/\\-/-/g' >"$T/man8"
check "config.c's settings are found" test "$(setting_defaults | wc -l)" -ge 20
while IFS= read -r nd; do
	n=${nd%%=*}
	check "env file: #$nd (config.c's default)" grep -qxF "#$nd" "$X$ENVF"
	check "man page documents $n" grep -q "$n" "$T/man8"
done < <(setting_defaults)
check "env file: no API key or secret value" \
	bash -c "! grep -qE '^#?(BINANCE_TESTNET_API_KEY|BINANCE_TESTNET_API_SECRET)=.' '$X$ENVF'"

# sysusers: five system users, no home, nologin
SU=$X/usr/lib/sysusers.d/$PKG.conf
for u in qie-supervisor qie-main qie-manual qie-harvest qie-executor; do
	check "sysusers: $u" grep -qE "^u[[:space:]]+$u[[:space:]]+-[[:space:]]+\".*\"[[:space:]]+/nonexistent[[:space:]]+/usr/sbin/nologin$" "$SU"
done
check "sysusers: nothing else" test "$(grep -cvE '^[[:space:]]*(#|$)' "$SU")" = 5
mkdir -p "$T/sysroot/etc"
check "systemd-sysusers accepts it" systemd-sysusers --root="$T/sysroot" "$SU" 2>/dev/null
check "and creates the users" test "$(grep -c '^qie-' "$T/sysroot/etc/passwd")" = 5

# maintainer scripts
check "postinst: sysusers before use" grep -q "systemd-sysusers" "$X/DEBIAN/postinst"
check "postinst: try-restart after upgrade" grep -q "try-restart" "$X/DEBIAN/postinst"
check "no stop before upgrade (restarted after it)" \
	bash -c "! grep -qs 'deb-systemd-invoke stop' '$X/DEBIAN/preinst'"
check "prerm: stop on remove" grep -q "deb-systemd-invoke stop" "$X/DEBIAN/prerm"
check "postrm: purge" grep -q "deb-systemd-helper purge" "$X/DEBIAN/postrm"
for s in postinst prerm postrm; do
	check "$s: sh -n" sh -n "$X/DEBIAN/$s"
done

# hardening: the build honoured dpkg-buildflags
for b in usr/sbin/quantum-intent-executor usr/bin/qiectl \
	usr/libexec/quantum-intent-executor/qie-worker usr/libexec/quantum-intent-executor/qie-executor; do
	check "$b: PIE" bash -c "readelf -h '$X/$b' | grep -q 'DYN'"
	check "$b: RELRO + BIND_NOW" bash -c "readelf -lW '$X/$b' | grep -q GNU_RELRO && readelf -dW '$X/$b' | grep -q BIND_NOW"
	check "$b: stack protector" bash -c "readelf -sW --dyn-syms '$X/$b' | grep -q __stack_chk_fail"
done
check "fortified calls" bash -c "readelf -sW --dyn-syms '$X/usr/bin/qiectl' | grep -q '__.*_chk@'"

# install, upgrade, remove, purge in a private mount namespace
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	unshare -m --propagation private bash "$0" --in-root "$DEB"
else
	# the folder checks above still ran (dpkg-deb -x, systemd-sysusers --root)
	echo "SKIP t_deb: dpkg -i/-r/--purge need root and unshare -m (mount namespaces)"
fi
