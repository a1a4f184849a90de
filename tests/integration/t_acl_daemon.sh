#!/bin/bash
# The daemon under the least-privilege Redis ACL users of docs/redis-acl.conf
# (qie-main, qie-manual, qie-harvest), logging in with passwords from the
# credentials folder, handed to each worker by the supervisor: the three
# lanes work end to end with no permission error, and what the users may
# not do, they cannot.
. "$(dirname "$0")/../lib.sh"

acl=$T/users.acl
mkdir -m 0700 "$T/cred"
for role in main manual harvest operator; do
	pw="pw-$role-$RANDOM$RANDOM"
	[ $role = operator ] || printf '%s\n' "$pw" >"$T/cred/redis-password-$role"
	hash=$(printf %s "$pw" | sha256sum | cut -d' ' -f1)
	grep "^user qie-$role " "$TOP/docs/redis-acl.conf" |
		sed "s/#<sha256-of-$role-password>/#$hash/" >>"$acl"
done
echo "user default on nopass ~* &* +@all" >>"$acl"
check "the ACL recipe has a user per role" test "$(grep -c '^user qie-' "$acl")" = 4
chmod 0600 "$T/cred"/*
start_redis --aclfile "$acl"
check "redis-server loaded the recipe" test "$(redis-cli ACL LIST | grep -c 'user qie-')" = 4

start_daemon INTENT_EXECUTOR_CREDENTIALS_DIR="$T/cred" \
	REDIS_USERNAME_MAIN=qie-main REDIS_USERNAME_MANUAL=qie-manual \
	REDIS_USERNAME_HARVEST=qie-harvest
wait_log "Consuming HARVEST" 10
check "main lane logs in as qie-main" log_has "lane main logs in to Redis as qie-main"
check "harvest lane logs in as qie-harvest" log_has "lane harvest logs in to Redis as qie-harvest"
check "manual lane logs in as qie-manual" log_has "lane manual logs in to Redis as qie-manual"
clients=$(redis-cli CLIENT LIST)
check "the main worker's connections use qie-main" grep -q "user=qie-main" <<<"$clients"
check "the manual worker's connections use qie-manual" grep -q "user=qie-manual" <<<"$clients"
check "the harvest worker's connections use qie-harvest" grep -q "user=qie-harvest" <<<"$clients"
check "no password in the daemon's log" bash -c "! grep -q 'pw-main\|pw-manual' '$DLOG'"
check "no password in any process environment" bash -c \
	"! cat /proc/$DAEMON_PID/environ /proc/\$(pgrep -P $DAEMON_PID | head -1)/environ | tr '\\0' '\\n' | grep -q 'pw-'"

# the seed's flows, and executions, on both lanes
add_plan "$MAIN" acl_blocked source unauthorized
check "A under ACL: skipped" wait_result acl_blocked 5
grant acl_main; add_plan "$MAIN" acl_main
check "main under ACL: result" wait_result acl_main 5
check "main under ACL: executed" test "$(result_field acl_main executed)" = true
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null
grant acl_manual; add_plan "$MANUAL" acl_manual source manual_test
check "manual under ACL: result" wait_result acl_manual 5
check "manual under ACL: executed" test "$(result_field acl_manual executed)" = true
redis-cli SET quantum:intent_executor:trading_state HALTED >/dev/null
grant acl_halt; add_plan "$MAIN" acl_halt
check "trading state readable under ACL" wait_result acl_halt 5
check "... and honoured" test "$(result_field acl_halt error)" = trading_halted
redis-cli DEL quantum:intent_executor:trading_state >/dev/null
check "metrics written under ACL" test "$(metric executed_true)" = 2
# the position ledger under ACL: an open on the main lane, the close on the
# manual lane (its position keys deleted, trade.closed published)
redis-cli SET quantum:position:ETHUSDT x >/dev/null
grant acl_open; add_plan "$MAIN" acl_open side BUY reduceOnly false qty 0.02
check "ledger under ACL: the open's result" wait_result acl_open 5
check "... the ledger moved by qie-main" test "$(redis-cli HGET quantum:position:ledger:ETHUSDT ledger_amt)" = 0.02
grant acl_close; add_plan "$MANUAL" acl_close source manual_test qty 0.02
check "ledger under ACL: the close's result" wait_result acl_close 5
check "... flat, by qie-manual" test "$(redis-cli HGET quantum:position:ledger:ETHUSDT ledger_side)" = FLAT
check "... the position key deleted" test "$(redis-cli EXISTS quantum:position:ETHUSDT)" = 0
check "... one trade.closed entry" test "$(redis-cli XLEN quantum:stream:trade.closed)" = 1
# the harvest lane under ACL: an entry decided (paper: flat, skipped) and
# one refused, each with its result, without reading any permit
hid=$(redis-cli XADD quantum:stream:harvest.intent '*' symbol ETHUSDT action CLOSE)
check "harvest under ACL: result" wait_result "harvest-$hid" 5
check "... skipped as flat on paper" test "$(result_field "harvest-$hid" error)" = close_no_position
hid=$(redis-cli XADD quantum:stream:harvest.intent '*' symbol ETHUSDT action OPEN)
check "harvest under ACL: a refusal's result" wait_result "harvest-$hid" 5
check "the settle script loaded under ACL (results as EVALSHA)" \
	test "$(grep -c 'settle script loaded: results are sent as EVALSHA' "$DLOG")" -ge 3
check "no permission error in the log" bash -c "! grep -qi 'NOPERM\|no permissions' '$DLOG'"
check "nothing pending" test "$(pending_count $MAIN intent_executor)" = 0

# what the worker users may not do
denied() { [ "$(redis-cli ACL DRYRUN "$@")" != OK ]; }
allowed() { [ "$(redis-cli ACL DRYRUN "$@")" = OK ]; }
check "qie-main cannot open the manual lane" denied qie-main SETEX quantum:manual_lane:enabled 60 1
check "qie-manual cannot open the manual lane" denied qie-manual SETEX quantum:manual_lane:enabled 60 1
check "qie-manual may read the manual-lane key" allowed qie-manual GET quantum:manual_lane:enabled
check "qie-main cannot write a permit" denied qie-main SET quantum:permit:p33:x '{"allow":true}'
check "qie-main cannot read another service's keys" denied qie-main GET quantum:other:secret
check "qie-main cannot read the manual lane's stream" denied qie-main XREADGROUP GROUP g c STREAMS quantum:stream:apply.plan.manual '>'
check "qie-manual cannot add plans to the main lane" denied qie-manual XADD quantum:stream:apply.plan '*' a b
check "qie-main cannot run arbitrary commands" denied qie-main FLUSHALL
check "qie-main cannot change the config" denied qie-main CONFIG SET appendonly no
check "qie-harvest cannot read a permit" denied qie-harvest GET quantum:permit:p33:x
check "qie-harvest cannot read the main lane's stream" denied qie-harvest XREADGROUP GROUP g c STREAMS quantum:stream:apply.plan '>'
check "qie-harvest cannot add plans to the main lane" denied qie-harvest XADD quantum:stream:apply.plan '*' a b
stop_daemon

# a wrong password: refused, said without the password, retried
printf 'wrong-%s\n' "$RANDOM" >"$T/cred/redis-password-main"
start_daemon INTENT_EXECUTOR_CREDENTIALS_DIR="$T/cred" \
	REDIS_USERNAME_MAIN=qie-main REDIS_USERNAME_MANUAL=qie-manual >/dev/null 2>&1
check "a wrong password is refused and said" wait_log "Redis AUTH as qie-main refused" 5
check "... without printing it" bash -c "! grep -q 'wrong-' '$DLOG'"
stop_daemon
rm "$T/cred/redis-password-main" "$T/cred/redis-password-manual" "$T/cred/redis-password-harvest"
env REDIS_PORT="$RPORT" REDIS_USERNAME=qie-main INTENT_EXECUTOR_CREDENTIALS_DIR="$T/cred" \
	INTENT_EXECUTOR_STATUS_FILE="$T/status2" INTENT_EXECUTOR_LEDGER_FILE="$T/ledger2" timeout 10 \
	"$BUILD/quantum-intent-executor" >"$T/nopw.log" 2>&1
check "a Redis user without a password file is a startup error" test $? = 1
check "... naming what is missing" grep -q "needs a password" "$T/nopw.log"
