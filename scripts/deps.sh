#!/bin/sh
# Installs the Debian 12 packages that building, testing and the demo need,
# when any is missing.  Needs root for apt-get; says what is missing if not.
set -eu

PKGS="build-essential pkg-config clang
libhiredis-dev libjansson-dev libssl-dev libcurl4-openssl-dev
libseccomp-dev libcap-ng-dev libsystemd-dev libcriterion-dev
redis-server redis-tools redis-sentinel
curl procps iproute2 jq libmicrohttpd-dev zlib1g-dev
debhelper dpkg-dev fakeroot lintian systemd man-db
clang-tidy cppcheck valgrind libclang-rt-14-dev llvm"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run as root (or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
