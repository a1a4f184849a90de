#!/bin/sh
# Creates the daemon's users (qie-supervisor, and the role users its
# children run under: qie-main, qie-manual, qie-harvest, qie-executor), as the package's
# sysusers.d file does, for tests and the demo run as root from the source
# tree.  Idempotent.
set -eu
[ "$(id -u)" = 0 ] || exit 0
for u in qie-supervisor qie-main qie-manual qie-harvest qie-executor; do
	getent passwd "$u" >/dev/null 2>&1 && continue
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin --user-group "$u"
done
