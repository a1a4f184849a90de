#!/bin/bash
# The Redis ACL recipe (docs/redis-acl.conf) loaded into a real
# redis-server: each role may run what it sends and nothing else (ACL
# DRYRUN, and real logins for scripts and qiectl), the recipe names every
# Redis command the workers' code sends, and qiectl works as qie-operator.
. "$(dirname "$0")/../lib.sh"

RECIPE=$TOP/docs/redis-acl.conf
MAIN=quantum:stream:apply.plan
MANUAL=quantum:stream:apply.plan.manual
HARVEST=quantum:stream:harvest.intent
KEY=quantum:manual_lane:enabled
CLAIM_SCRIPT="if redis.call('EXISTS', KEYS[1]) == 1 then return 'done' end local cur = redis.call('HGET', KEYS[2], 'owner') if not cur then redis.call('HSET', KEYS[2], 'owner', ARGV[1], 'lane', ARGV[2], 'state', 'claimed') redis.call('EXPIRE', KEYS[2], 86400) return 'new' end return cur"
GROUP_SCRIPT="local t = redis.call('TIME') local ms = tonumber(t[1]) * 1000 - tonumber(ARGV[2]) local start = string.format('%.0f-0', ms) redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], start, 'MKSTREAM') return {1, start, #redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', ARGV[3]), redis.call('XLEN', KEYS[1])}"
PERMIT_SCRIPT="local t = redis.call('TYPE', KEYS[1]).ok if t == 'string' then return {t, redis.call('GET', KEYS[1])} end if t == 'hash' then return {t, redis.call('HGETALL', KEYS[1])} end return {t}"

check "recipe: four users" test "$(grep -c '^user ' "$RECIPE")" = 4
check "recipe: no password in it, only placeholders" \
	bash -c '! grep "^user " "$1" | grep -qE " >|nopass"' _ "$RECIPE"
check "recipe: every user starts from nothing (-@all)" \
	test "$(grep '^user ' "$RECIPE" | grep -c ' -@all ')" = 4

# the recipe's user lines, placeholders replaced by test passwords
grep '^user ' "$RECIPE" | sed 's/#<sha256-of-\([a-z]*\)-password>/>pw-\1/' >"$T/users.acl"
start_redis --aclfile "$T/users.acl"
check "redis-server loads the recipe" test "$(redis-cli ACL LIST | grep -c '^user qie-')" = 4

# dry ROLE CMD...: the ACL lets ROLE run CMD
dry() { [ "$(redis-cli ACL DRYRUN "$@" 2>&1)" = OK ]; }
nodry() { ! dry "$@"; }

for role in "qie-main $MAIN intent_executor" "qie-manual $MANUAL intent_executor_manual" \
	"qie-harvest $HARVEST intent_executor_harvest"; do
	read -r u s g <<<"$role"
	permits=1
	[ "$u" = qie-harvest ] && permits=0     # its lane reads no permit
	check "$u: XGROUP CREATE" dry $u XGROUP CREATE $s $g '$' MKSTREAM
	check "$u: the group script runs (TIME, XGROUP CREATE, XRANGE, XLEN)" bash -c \
		'REDISCLI_AUTH=pw-${2#qie-} redis-cli -p $1 --user $2 EVAL "$3" 1 $4 acl-g 30000 10 | grep -qx 1' \
		_ "$RPORT" "$u" "$GROUP_SCRIPT" "$s"
	check "$u: XREADGROUP own pending" dry $u XREADGROUP GROUP $g h_1 COUNT 128 STREAMS $s 0
	check "$u: XREADGROUP new, blocking" dry $u XREADGROUP GROUP $g h_1 COUNT 128 BLOCK 30000 STREAMS $s '>'
	check "$u: XAUTOCLAIM" dry $u XAUTOCLAIM $s $g h_1 60000 0-0 COUNT 32
	check "$u: XACK" dry $u XACK $s $g 1-1
	check "$u: XADD result" dry $u XADD quantum:stream:apply.result '*' event_type apply.result
	check "$u: HINCRBY metrics" dry $u HINCRBY quantum:metrics:intent_executor processed 1
	check "$u: HMGET metrics" dry $u HMGET quantum:metrics:intent_executor processed
	check "$u: EXISTS done" dry $u EXISTS quantum:intent_executor:done:p1
	check "$u: SET done" dry $u SET quantum:intent_executor:done:p1 1 EX 86400
	check "$u: SET cooldown" dry $u SET quantum:cooldown:last_exec_ts:ETHUSDT 1 EX 3600
	check "$u: SET / DEL inflight" bash -c 'dry() { [ "$(redis-cli -p '"$RPORT"' ACL DRYRUN "$@")" = OK ]; }
		dry '$u' SET quantum:inflight:ETHUSDT p1 EX 30 && dry '$u' DEL quantum:inflight:ETHUSDT'
	check "$u: SELECT, MULTI, EXEC, PING" bash -c 'for c in "SELECT 0" MULTI EXEC PING; do
		[ "$(redis-cli -p '"$RPORT"' ACL DRYRUN '$u' $c)" = OK ] || exit 1; done'
	if [ $permits = 1 ]; then
		check "$u: the permit script runs (string permit)" bash -c \
			'redis-cli -p $1 SET quantum:permit:p33:p1 "{\"allow\":true}" >/dev/null &&
			 REDISCLI_AUTH=pw-${2#qie-} redis-cli -p $1 --user $2 EVAL "$3" 1 quantum:permit:p33:p1 | grep -q allow' \
			_ "$RPORT" "$u" "$PERMIT_SCRIPT"
		check "$u: the permit script runs (hash permit)" bash -c \
			'redis-cli -p $1 HSET quantum:permit:p33:p2 allow true >/dev/null &&
			 REDISCLI_AUTH=pw-${2#qie-} redis-cli -p $1 --user $2 EVAL "$3" 1 quantum:permit:p33:p2 | grep -qx hash' \
			_ "$RPORT" "$u" "$PERMIT_SCRIPT"
		check "$u: a script may not write a permit" bash -c \
			'REDISCLI_AUTH=pw-${2#qie-} redis-cli -p $1 --user $2 EVAL "return redis.call(\"SET\", KEYS[1], 1)" 1 quantum:permit:p33:p1 | grep -q "user executing the script can"' \
			_ "$RPORT" "$u"
	else
		check "$u: no permit read" nodry $u GET quantum:permit:p33:p1
		check "$u: no permit read in a script" bash -c \
			'redis-cli -p $1 SET quantum:permit:p33:p1 "{\"allow\":true}" >/dev/null &&
			 REDISCLI_AUTH=pw-${2#qie-} redis-cli -p $1 --user $2 EVAL "return redis.call(\"TYPE\", KEYS[1]).ok" 1 quantum:permit:p33:p1 | grep -q "No permissions\|NOPERM\|permission"' \
			_ "$RPORT" "$u"
		check "$u: its poll script over the claim keys alone runs" bash -c \
			'REDISCLI_AUTH=pw-${2#qie-} redis-cli -p $1 --user $2 EVAL "local s = redis.call(\"HGET\", KEYS[2], \"state\") return \"none\"" 2 quantum:intent_executor:claim:p1 quantum:intent_executor:claim:p1 | grep -qx none' \
			_ "$RPORT" "$u"
	fi
	check "$u: claim script (done + claim keys)" bash -c \
		'REDISCLI_AUTH=pw-${2#qie-} redis-cli -p $1 --user $2 EVAL "$3" 2 quantum:intent_executor:done:$2 quantum:intent_executor:claim:$2 h_1 main | grep -qx new' \
		_ "$RPORT" "$u" "$CLAIM_SCRIPT"
	check "$u: HSET claim" dry $u HSET quantum:intent_executor:claim:c1 state sent
	# exactly once (docs/REDIS.md): delivery counts, keepalive, the sent
	# step, the written-once result, dead letters, Sentinel's ROLE check
	check "$u: XPENDING, XCLAIM of its stream" bash -c 'for c in "XPENDING '$s' '$g' - + 10 h_1" "XCLAIM '$s' '$g' h_1 0 1-1 JUSTID"; do
		[ "$(redis-cli -p '"$RPORT"' ACL DRYRUN '$u' $c)" = OK ] || exit 1; done'
	check "$u: EVAL over its stream and a claim key" dry $u EVAL "return 1" 2 quantum:intent_executor:claim:c1 $s
	check "$u: EVAL over the settle script's keys (result, done, claim, audit, counters, cooldown, inflight, the lane's breaker, dead letters)" \
		dry $u EVAL "return 1" 10 $s quantum:metrics:intent_executor quantum:stream:apply.result \
		quantum:intent_executor:done:p1 quantum:intent_executor:claim:p1 quantum:stream:intent_executor.audit \
		quantum:cooldown:last_exec_ts:ETHUSDT quantum:inflight:ETHUSDT \
		quantum:intent_executor:breaker:consecutive_failures:main $s.dead
	check "$u: EVAL over the settle script's keys with the position ledger's (ledger hash, seen orders, the three position keys, trade.closed)" \
		dry $u EVAL "return 1" 16 $s quantum:metrics:intent_executor quantum:stream:apply.result \
		quantum:intent_executor:done:p1 quantum:intent_executor:claim:p1 quantum:stream:intent_executor.audit \
		quantum:cooldown:last_exec_ts:ETHUSDT quantum:inflight:ETHUSDT \
		quantum:intent_executor:breaker:consecutive_failures:main $s.dead \
		quantum:position:ledger:ETHUSDT quantum:ledger:seen_orders quantum:state:positions:ETHUSDT \
		quantum:position:snapshot:ETHUSDT quantum:position:ETHUSDT quantum:stream:trade.closed
	check "$u: SCRIPT LOAD, and EVALSHA over the settle script's keys" bash -c 'd() { [ "$(redis-cli -p '"$RPORT"' ACL DRYRUN "$@")" = OK ]; }
		d '$u' SCRIPT LOAD "return 1" && d '$u' EVALSHA 0123456789012345678901234567890123456789 3 '$s' quantum:position:ledger:ETHUSDT quantum:stream:trade.closed'
	check "$u: no SCRIPT FLUSH" nodry $u SCRIPT FLUSH
	check "$u: the ledger's commands (HMGET, HSET, SISMEMBER, SADD, DEL of the position keys, TYPE, XADD trade.closed)" bash -c 'for c in "HMGET quantum:position:ledger:ETHUSDT ledger_amt entry_price" "HSET quantum:position:ledger:ETHUSDT ledger_amt 1" "SISMEMBER quantum:ledger:seen_orders 1" "SADD quantum:ledger:seen_orders 1" "DEL quantum:state:positions:ETHUSDT quantum:position:snapshot:ETHUSDT quantum:position:ETHUSDT" "TYPE quantum:stream:trade.closed" "XADD quantum:stream:trade.closed MAXLEN ~ 1000 * event_type trade.closed"; do
		[ "$(redis-cli -p '"$RPORT"' ACL DRYRUN '$u' $c)" = OK ] || exit 1; done'
	check "$u: no DEL of the ledger hash or the seen orders" bash -c 'for c in "DEL quantum:position:ledger:ETHUSDT" "DEL quantum:ledger:seen_orders" "SREM quantum:ledger:seen_orders 1"; do
		[ "$(redis-cli -p '"$RPORT"' ACL DRYRUN '$u' $c 2>&1)" = OK ] && exit 1; done; exit 0'
	check "$u: no reading of trade.closed" nodry $u XRANGE quantum:stream:trade.closed - +
	check "$u: TYPE of $s.dead (checked before the move writes)" dry $u TYPE $s.dead
	check "$u: TYPE of the audit stream (checked before a conflict's result)" dry $u TYPE quantum:stream:intent_executor.audit
	check "$u: the sent script's keys (claim, stream, inflight)" dry $u EVAL "return 1" 3 \
		quantum:intent_executor:claim:p1 $s quantum:inflight:ETHUSDT
	check "$u: WATCH done and claim keys" dry $u WATCH quantum:intent_executor:done:p1 quantum:intent_executor:claim:p1
	check "$u: HMGET claim" dry $u HMGET quantum:intent_executor:claim:c1 owner state
	check "$u: XADD to $s.dead" dry $u XADD $s.dead '*' plan_id x
	check "$u: ROLE" dry $u ROLE
	check "$u: no reading of $s.dead" nodry $u XRANGE $s.dead - +
	check "$u: GET trading state" dry $u GET quantum:intent_executor:trading_state
	check "$u: the lane's breaker: INCR, reset, halt, audit entry" bash -c 'for c in "INCR quantum:intent_executor:breaker:consecutive_failures:main" "SET quantum:intent_executor:breaker:consecutive_failures:main 0" "SET quantum:intent_executor:breaker:halted:main why NX" "XADD quantum:stream:intent_executor.audit * action lane.halt"; do
		[ "$(redis-cli -p '"$RPORT"' ACL DRYRUN '$u' $c)" = OK ] || exit 1; done'
	check "$u: GET the lane's breaker" dry $u GET quantum:intent_executor:breaker:halted:main
	[ $permits = 1 ] && check "$u: the permit script over permit and claim keys" bash -c \
		'REDISCLI_AUTH=pw-${2#qie-} redis-cli -p $1 --user $2 EVAL "local s = redis.call(\"HGET\", KEYS[2], \"state\") return redis.call(\"TYPE\", KEYS[1]).ok" 2 quantum:permit:p33:p1 quantum:intent_executor:claim:p1 | grep -qx string' \
		_ "$RPORT" "$u"
	check "$u: HGET of a claim's decided_<lane>" dry $u HGET quantum:intent_executor:claim:c1 decided_main
	# the poll script's first keys: the permits, or (a lane without permits)
	# the claims again
	pk1=quantum:permit:p33:p1 pk2=quantum:permit:p33:p2
	[ $permits = 1 ] || pk1=quantum:intent_executor:claim:p1 pk2=quantum:intent_executor:claim:p2
	check "$u: EVALSHA over the claim, sent, keepalive and poll scripts' keys" bash -c 'd() { [ "$(redis-cli -p '"$RPORT"' ACL DRYRUN "$@")" = OK ]; }
		x=0123456789012345678901234567890123456789
		d '$u' EVALSHA $x 3 quantum:intent_executor:done:p1 quantum:intent_executor:claim:p1 quantum:metrics:intent_executor &&
		d '$u' EVALSHA $x 3 quantum:intent_executor:claim:p1 '$s' quantum:inflight:ETHUSDT &&
		d '$u' EVALSHA $x 1 '$s' &&
		d '$u' EVALSHA $x 4 '$pk1' '$pk2' quantum:intent_executor:claim:p1 quantum:intent_executor:claim:p2'
	[ $permits = 1 ] || check "$u: no EVALSHA over a permit key" nodry $u EVALSHA 0123456789012345678901234567890123456789 2 quantum:permit:p33:p1 quantum:intent_executor:claim:p1
	other=$MAIN; [ "$s" = "$MAIN" ] && other=$MANUAL
	check "$u: no EVALSHA over the other lane's stream" nodry $u EVALSHA 0123456789012345678901234567890123456789 1 $other
	check "$u: no reading of the audit stream" nodry $u XRANGE quantum:stream:intent_executor.audit - +
	check "$u: no SETEX of the manual-lane switch" nodry $u SETEX $KEY 60 1
	check "$u: no DEL of the manual-lane switch" nodry $u DEL $KEY
	check "$u: no XADD to a plan stream" nodry $u XADD $s '*' plan_id x
	check "$u: no DEL of metrics" nodry $u DEL quantum:metrics:intent_executor
	check "$u: no FLUSHALL, CONFIG, KEYS" bash -c 'for c in FLUSHALL "CONFIG SET save x" "KEYS *"; do
		[ "$(redis-cli -p '"$RPORT"' ACL DRYRUN '$u' $c 2>&1)" = OK ] && exit 1; done; exit 0'
done
check "qie-main: not the manual stream" nodry qie-main XREADGROUP GROUP intent_executor_manual h COUNT 1 STREAMS $MANUAL '>'
check "qie-main: not the manual lane's dead letters" nodry qie-main XADD $MANUAL.dead '*' plan_id x
check "qie-manual: not the main lane's dead letters" nodry qie-manual XADD $MAIN.dead '*' plan_id x
check "qie-manual: not the main stream" nodry qie-manual XREADGROUP GROUP intent_executor h COUNT 1 STREAMS $MAIN '>'
check "qie-manual: reads the switch" bash -c '[ "$(redis-cli -p '"$RPORT"' ACL DRYRUN qie-manual GET '$KEY')" = OK ] &&
	[ "$(redis-cli -p '"$RPORT"' ACL DRYRUN qie-manual TTL '$KEY')" = OK ]'
check "qie-main: does not read the switch" nodry qie-main GET $KEY
check "qie-harvest: not the main stream" nodry qie-harvest XREADGROUP GROUP intent_executor h COUNT 1 STREAMS $MAIN '>'
check "qie-harvest: not the manual stream" nodry qie-harvest XREADGROUP GROUP intent_executor_manual h COUNT 1 STREAMS $MANUAL '>'
check "qie-main: not the harvest stream" nodry qie-main XREADGROUP GROUP intent_executor_harvest h COUNT 1 STREAMS $HARVEST '>'
check "qie-harvest: does not read the switch" nodry qie-harvest GET $KEY
DRIFT=quantum:intent_executor:drift
check "qie-main: the drift hash (HKEYS, HGET, HEXISTS, HMGET, HSET)" bash -c 'for c in "HKEYS '$DRIFT'" "HGET '$DRIFT' ETHUSDT" "HEXISTS '$DRIFT' ETHUSDT" "HMGET '$DRIFT' ETHUSDT BTCUSDT" "HSET '$DRIFT' ETHUSDT {}"; do
	[ "$(redis-cli -p '"$RPORT"' ACL DRYRUN qie-main $c)" = OK ] || exit 1; done'
check "qie-main: no HDEL of the drift hash (only an operator clears)" nodry qie-main HDEL $DRIFT ETHUSDT
check "qie-manual: no drift hash" nodry qie-manual HKEYS $DRIFT

# every Redis command the workers send is granted to a worker user
# (AUTH is left out: Redis lets every connection run it, before any ACL)
cmds=$( (grep -ohE '"[A-Z]{3,} ' "$TOP"/workers/*.c | tr -d '" '; echo EXEC) |
	grep -vx AUTH | sort -u)
for c in $cmds; do
	check "recipe grants $c (sent by workers/)" \
		bash -c "grep -E '^user qie-(main|manual|harvest) ' '$RECIPE' | grep -qiE '[ (][+]$c[ |)]'"
done

# the operator
o=qie-operator
check "$o: SETEX / DEL / GET / TTL the switch" bash -c 'for c in "SETEX '$KEY' 60 1" "DEL '$KEY'" "GET '$KEY'" "TTL '$KEY'"; do
	[ "$(redis-cli -p '"$RPORT"' ACL DRYRUN '$o' $c)" = OK ] || exit 1; done'
check "$o: no SET of the switch without a TTL" nodry $o SET $KEY 1
check "$o: reads and sets the trading state" bash -c '[ "$(redis-cli -p '"$RPORT"' ACL DRYRUN '$o' SET quantum:intent_executor:trading_state HALTED)" = OK ] &&
	[ "$(redis-cli -p '"$RPORT"' ACL DRYRUN '$o' GET quantum:intent_executor:trading_state)" = OK ]'
check "$o: no claim writes" nodry $o HSET quantum:intent_executor:claim:c1 state x
check "$o: reads a claim (plan inject's warning)" dry $o HMGET quantum:intent_executor:claim:c1 owner lane
check "$o: reads and clears the lanes' breakers" bash -c 'for c in "GET quantum:intent_executor:breaker:halted:main" "DEL quantum:intent_executor:breaker:halted:main quantum:intent_executor:breaker:consecutive_failures:main"; do
	[ "$(redis-cli -p '"$RPORT"' ACL DRYRUN '$o' $c)" = OK ] || exit 1; done'
check "$o: no breaker writes but clearing" nodry $o SET quantum:intent_executor:breaker:halted:main x
check "$o: no XREADGROUP" nodry $o XREADGROUP GROUP intent_executor h COUNT 1 STREAMS $MAIN '>'
check "$o: no XACK" nodry $o XACK $MAIN intent_executor 1-1
check "$o: no XADD to the result stream" nodry $o XADD quantum:stream:apply.result '*' a b
check "$o: no HINCRBY of metrics" nodry $o HINCRBY quantum:metrics:intent_executor processed 1
check "$o: no write of a permit" nodry $o SET quantum:permit:p33:x 1
check "$o: no done-key write" nodry $o SET quantum:intent_executor:done:x 1
check "$o: no FLUSHALL" nodry $o FLUSHALL
check "$o: reads and clears the drift hash" bash -c 'for c in "HGETALL '$DRIFT'" "HLEN '$DRIFT'" "HEXISTS '$DRIFT' ETHUSDT" "HDEL '$DRIFT' ETHUSDT"; do
	[ "$(redis-cli -p '"$RPORT"' ACL DRYRUN '$o' $c)" = OK ] || exit 1; done'
check "$o: no drift hash writes but clearing" nodry $o HSET $DRIFT ETHUSDT x

# qiectl as the operator, every command
QENV=(QIECTL_REDIS_USER=qie-operator REDISCLI_AUTH=pw-operator)
check "qiectl as $o: metrics" q_rc 0 metrics
check "qiectl as $o: metrics --prometheus" q_rc 0 metrics --prometheus
check "qiectl as $o: manual-lane enable" q_rc 0 manual-lane enable --ttl 5m --operator ops --reason acl
check "qiectl as $o: manual-lane disable" q_rc 0 manual-lane disable --operator ops --reason acl
check "qiectl as $o: audit" q_rc 0 --json audit
check "  two entries" test "$(jq length <<<"$Q_OUT")" = 2
check "qiectl as $o: plan inject (main)" q_rc 0 plan inject --symbol ETHUSDT --side SELL --qty 0.01 --source intent_bridge
check "qiectl as $o: plan inject (manual)" q_rc 0 plan inject --manual --symbol ETHUSDT --side SELL --qty 0.01
redis-cli HSET $DRIFT ETHUSDT '{"symbol":"ETHUSDT","position_side":"BOTH","expected":"0","reported":"0.01","step":"0.001","at_ms":1700000000000}' >/dev/null
check "qiectl as $o: status reads Redis (no daemon: exit 1)" q_rc 1 --json status
check "  Redis part complete (three lanes)" jq -e '.redis_ok and (.lanes | length) == 3' <<<"$Q_OUT"
check "  one symbol drifted" jq -e '.drift_symbols == 1' <<<"$Q_OUT"
check "qiectl as $o: drift" q_rc 0 --json drift
check "  ETHUSDT listed" jq -e '.drift[0].symbol == "ETHUSDT"' <<<"$Q_OUT"
check "qiectl as $o: drift clear" q_rc 0 drift clear ETHUSDT --operator ops --reason acl
check "  the hash is empty" test "$(redis-cli HLEN $DRIFT)" = 0
QENV=(QIECTL_REDIS_USER=qie-operator REDISCLI_AUTH=wrong)
check "qiectl with a wrong password: exit 1" q_rc 1 metrics
check "  names AUTH" grep -q "AUTH as qie-operator failed" <<<"$Q_ERR"
QENV=(QIECTL_REDIS_USER=qie-main REDISCLI_AUTH=pw-main)
check "qiectl as qie-main cannot open the manual lane (exit 1)" \
	q_rc 1 manual-lane enable --ttl 60 --operator x --reason y
check "  the switch is still off" test "$(redis-cli EXISTS $KEY)" = 0
QENV=()
