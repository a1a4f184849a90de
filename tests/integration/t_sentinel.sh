#!/bin/bash
# t_sentinel.sh - Redis high availability through Redis Sentinel.  A master
# on 127.0.0.1:P, a replica on 127.0.0.2:P (every node on REDIS_PORT: the
# worker's Landlock allows that port and the sentinels' only), three
# sentinels.  The daemon is given REDIS_SENTINELS and REDIS_MASTER_NAME and
# asks the sentinels for the master; mid-run SENTINEL FAILOVER promotes the
# replica; the daemon follows (log line) and every plan gets exactly one
# result, executed once, with nothing left pending on the new master.
#
# Replication is asynchronous: writes the old master took after the
# promotion and before it was turned into a replica (the sentinels do that
# only when they next look at it, up to 10 s later) are lost.  The test's
# producer therefore adds plans with WAIT 1 (acknowledged by the replica;
# after the failover, the promoted node is written as is), otherwise adds
# them again (the copies are skipped by plan_id), so a plan lost here would
# be the daemon's doing, not Redis's.  docs/REDIS.md says what the claim and done
# keys do about the daemon's own lost writes.
. "$(dirname "$0")/../lib.sh"
trap eo_cleanup EXIT

N=${SENTINEL_PLANS:-300}
PER_LANE=$((N / 2))
NAME=qie-master
start_redis                             # the master: 127.0.0.1:$RPORT
mkdir -p "$T/replica"
redis-server --port "$RPORT" --bind 127.0.0.2 --save '' --appendonly no --dir "$T/replica" \
	--logfile "$T/replica.log" --replicaof 127.0.0.1 "$RPORT" --replica-announce-ip 127.0.0.2 &
EXTRA_PIDS+=($!)
SPORTS=()
# start_sentinel K: sentinel K on a free port (another port if it was taken)
start_sentinel() {
	local k=$1 p pid i try
	mkdir -p "$T/s$k"
	for try in 1 2 3 4 5; do
		p=$(free_port)
		printf '%s\n' "port $p" "bind 127.0.0.1" "dir $T/s$k" "logfile $T/sentinel$k.log" \
			"sentinel monitor $NAME 127.0.0.1 $RPORT 2" \
			"sentinel down-after-milliseconds $NAME 1000" \
			"sentinel failover-timeout $NAME 6000" \
			"sentinel parallel-syncs $NAME 1" >"$T/s$k/sentinel.conf"
		redis-sentinel "$T/s$k/sentinel.conf" &
		pid=$!
		for i in $(seq 40); do
			[ "$(command redis-cli -p "$p" PING 2>/dev/null)" = PONG ] && break
			kill -0 $pid 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 $pid 2>/dev/null; then EXTRA_PIDS+=($pid); SPORTS+=("$p"); return 0; fi
	done
	return 1
}
for k in 1 2 3; do check "setup: sentinel $k runs" start_sentinel $k; done
S1=${SPORTS[0]}
scli() { command redis-cli -p "$S1" "$@"; }
# the master the sentinels name now, and redis-cli on it
master_ip() { scli SENTINEL get-master-addr-by-name "$NAME" 2>/dev/null | head -n 1; }
mcli() { command redis-cli -h "$(master_ip)" -p "$RPORT" "$@"; }
ready() {
	[ "$(command redis-cli -h 127.0.0.2 -p "$RPORT" INFO replication | tr -d '\r' | grep -c 'master_link_status:up')" = 1 ] &&
	scli SENTINEL replicas "$NAME" 2>/dev/null | grep -qx 127.0.0.2:$RPORT &&
	[ "$(command redis-cli -p "$RPORT" ROLE | head -n 1)" = master ] &&
	[ "$(scli SENTINEL sentinels "$NAME" 2>/dev/null | grep -c '^name$')" -ge 2 ]
}
for i in $(seq 200); do ready && break; sleep 0.1; done
check "setup: replica in sync, the sentinels know it and each other" ready
check "setup: the sentinels name 127.0.0.1 the master" test "$(master_ip)" = 127.0.0.1

SENTINELS="127.0.0.1:${SPORTS[0]},localhost:${SPORTS[1]},127.0.0.1:${SPORTS[2]}"
start_daemon REDIS_SENTINELS="$SENTINELS" REDIS_MASTER_NAME=$NAME REDIS_HOST=redis.invalid \
	INTENT_EXECUTOR_CLAIM_MIN_IDLE_MS=1000 INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=30000 \
	INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MAIN=100000 INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MANUAL=100000 \
	INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MAIN=0 INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MANUAL=0
check "daemon asks the sentinels (REDIS_HOST is not used)" \
	log_has "Redis Sentinel: master $NAME is at 127.0.0.1:$RPORT"
check "a sentinel named by host name is resolved before the sandbox" log_has "Redis Sentinel: 3 sentinel(s)"
w=$(status_get main pid) x=$(status_get executor pid)
check "the workers get the Sentinel settings" grep -qz "^REDIS_SENTINELS=$SENTINELS\$" "/proc/$w/environ"
check "the executor does not" bash -c "! grep -qz '^REDIS_SENTINELS=' /proc/$x/environ"

mcli SETEX quantum:manual_lane:enabled 600 1 >/dev/null
grant_many st-m- 1 $PER_LANE
grant_many st-u- 1 $PER_LANE
mcli WAIT 1 2000 >/dev/null
for i in $(seq $PER_LANE); do echo "st-m-$i"; echo "st-u-$i"; done >"$T/ids"

# add_acked STREAM PREFIX FROM TO: add_many on the master of the moment,
# then WAIT until the replica has them; false otherwise (added again then)
add_acked() {
	local m out script
	m=$(master_ip)
	[ -n "$m" ] || return 1
	script="local s = {'ETHUSDT', 'BTCUSDT', 'TRXUSDT'} local q = {'0.01', '0.002', '10'} for i = tonumber(ARGV[2]), tonumber(ARGV[3]) do local k = i % 3 + 1 redis.call('XADD', KEYS[1], '*', 'plan_id', ARGV[1] .. i, 'action', 'FULL_CLOSE_PROPOSED', 'decision', 'EXECUTE', 'symbol', s[k], 'side', 'SELL', 'type', 'MARKET', 'qty', q[k], 'reduceOnly', 'true', 'source', 'intent_bridge', 'timestamp', ARGV[4]) end return 1"
	out=$(printf 'EVAL "%s" 1 %s %s %s %s %s\nWAIT 1 300\n' "$script" "$1" "$2" "$3" "$4" "$(date +%s)" |
		command redis-cli -h "$m" -p "$RPORT" 2>&1 | paste -sd' ')
	# on the replica too; or on the promoted node, which is not failed over
	# again here (it has no replica until the old master is turned into one)
	[ "$out" = "1 1" ] || { [ "$out" = "1 0" ] && [ "$m" = 127.0.0.2 ]; }
}
(
	for ((i = 1; i <= PER_LANE; i += 3)); do
		j=$((i + 2)); [ $j -gt $PER_LANE ] && j=$PER_LANE
		until add_acked "$MAIN" st-m- $i $j && add_acked "$MANUAL" st-u- $i $j; do sleep 0.1; done
		sleep 0.05
	done
) &
PRODUCER=$!
sleep 2
before=$(grep -c 'Executed plan' "$DLOG")
check "plans flow before the failover ($before executed)" test "$before" -ge 10
t0=$(date +%s%N)
check "SENTINEL FAILOVER accepted" test "$(scli SENTINEL FAILOVER "$NAME")" = OK
for i in $(seq 150); do [ "$(master_ip)" = 127.0.0.2 ] && break; sleep 0.1; done
t1=$(date +%s%N)
check "the sentinels name 127.0.0.2 the master ($(((t1 - t0) / 1000000)) ms)" test "$(master_ip)" = 127.0.0.2
check "the daemon follows the failover (log line)" \
	wait_log "Redis Sentinel: master $NAME moved from 127.0.0.1:$RPORT to 127.0.0.2:$RPORT" 15
check "both workers follow it" wait_log "moved from 127.0.0.1:$RPORT to 127.0.0.2:$RPORT" 15 2
wait $PRODUCER
n_after=$(($(grep -c 'Executed plan' "$DLOG") - before))

# everything on the new master
redis-cli() { command redis-cli -h 127.0.0.2 -p "$RPORT" "$@"; }
check "every plan decided" wait_decided "$T/ids" 40
sleep 0.5
result_rows st- >"$T/rows"
tally "$T/ids" "$T/rows"
why=$(grep -o 'Redis connection lost ([^)]*)' "$DLOG" | sort | uniq -c | xargs)
# a result the old master took after the promotion is lost with it: the
# plan is decided again on the new master; the executor must then report
# the same order (its book knows the client order id), not a second one
grep -o 'Executed plan: st-[^ ]* .*order_id=[^ ]*' "$DLOG" |
	awk '{print $3, $NF}' | sort -u >"$T/execs"
again=$(cut -d' ' -f1 "$T/execs" | sort | uniq -c | awk '$1 > 1' | wc -l)
redecided=$(($(grep -c 'Executed plan: st-' "$DLOG") - $(cut -d' ' -f1 "$T/execs" | sort -u | wc -l)))
echo "SENTINEL: plans=$T_PLANS results=$T_RESULTS executed=$T_EXEC lost=$T_LOST duplicates=$T_DUP" \
	"executed_twice=$T_DUPEXEC executed_after_failover=$n_after failover_ms=$(((t1 - t0) / 1000000))" \
	"decided_again_after_lost_writes=$redecided connections_lost: ${why:-none}"
check "no plan lost (${T_LOST_IDS:-none})" test "$T_LOST" = 0
check "no plan with two results (${T_DUP_IDS:-none})" test "$T_DUP" = 0
check "no plan executed twice" test "$T_DUPEXEC" = 0
check "plans decided again after the failover kept their one order ($redecided again, $again with two order ids)" \
	test "$again" = 0
check "every plan executed ($T_EXEC of $T_PLANS)" test "$T_EXEC" = "$T_PLANS"
check "nothing pending on the new master (main)" test "$(pending_count "$MAIN" intent_executor)" = 0
check "nothing pending on the new master (manual)" test "$(pending_count "$MANUAL" intent_executor_manual)" = 0
check "the workers talk to the new master" \
	test "$(redis-cli CLIENT LIST | grep -c 'cmd=xreadgroup')" -ge 2
check "no child died" test "$(status_get main restarts) $(status_get manual restarts) $(status_get executor restarts)" = "0 0 0"
check "no sandbox violation (Landlock allowed the sentinel ports)" bash -c "! grep -q 'sandbox violation\|Permission denied' '$DLOG'"
