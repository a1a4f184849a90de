#!/bin/bash
# t_two_daemons.sh - several hosts on one Redis.  Two daemons (consumers
# host-a, host-b: start_daemon_named sets INTENT_EXECUTOR_CONSUMER) share
# both lanes' groups,
# trading on the fake exchange (binance backend).  Mid-run, daemon A dies
# with an order on the exchange whose answer it never got (the fake delays
# it) and requests it had sent but not yet placed; its whole process tree
# is killed with SIGKILL.  Daemon B takes A's entries over
# (INTENT_EXECUTOR_CLAIM_MIN_IDLE_MS=1000), settles the placed order by its
# client order id, and places the rest.  No plan is lost, none has two
# results, and the exchange holds exactly one order per plan.
# Then a stalled host (SIGSTOP, not dead): daemon C's worker stops (1)
# holding its executor's answer for a placed order, (2) with a plan claimed
# and waiting for its permit; B takes each entry over and decides it; C,
# resumed, writes no second result (1) and does not send the plan (2).
. "$(dirname "$0")/../lib.sh"
trap eo_cleanup EXIT

N=${TWO_DAEMONS_PLANS:-200}     # the fake exchange takes ~270 orders at speed
PER_LANE=$((N / 2))
start_redis
start_fake_eo
fake_creds
# shellcheck disable=SC2207
OPTS=($(fake_role_users) INTENT_EXECUTOR_BACKEND=binance INTENT_EXECUTOR_BINANCE_BASE_URL="$FX"
	INTENT_EXECUTOR_CREDENTIALS_DIR="$CRED_DIR" INTENT_EXECUTOR_CLAIM_MIN_IDLE_MS=1000
	INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=30000 INTENT_EXECUTOR_MAX_PLAN_AGE_SEC=600
	INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MAIN=100000 INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MANUAL=100000
	INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MAIN=0 INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MANUAL=0)
check "daemon A starts" start_daemon_named a "${OPTS[@]}"
check "daemon B starts" start_daemon_named b "${OPTS[@]}"
CA=$(consumer_of "$T/a.status") CB=$(consumer_of "$T/b.status")
check "two consumer names ($CA, $CB)" test -n "$CA" -a -n "$CB" -a "$CA" != "$CB"
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null
grant_many td-m- 1 $PER_LANE
grant_many td-u- 1 $PER_LANE
for i in $(seq $PER_LANE); do echo "td-m-$i"; echo "td-u-$i"; done >"$T/ids"

# the flow: 4 plans per lane every 100 ms (ETHUSDT and BTCUSDT: the fake
# exchange lists no TRXUSDT)
(
	for ((i = 1; i <= PER_LANE; i += 4)); do
		j=$((i + 3)); [ $j -gt $PER_LANE ] && j=$PER_LANE
		add_many "$MAIN" td-m- $i $j 2; add_many "$MANUAL" td-u- $i $j 2
		sleep 0.1
	done
) &
PRODUCER=$!

# both consume
for i in $(seq 100); do
	[ "$(grep -c 'Executed plan' "$T/a.log")" -ge 5 ] && [ "$(grep -c 'Executed plan' "$T/b.log")" -ge 5 ] && break
	sleep 0.05
done
a_before=$(grep -c 'Executed plan' "$T/a.log") b_before=$(grep -c 'Executed plan' "$T/b.log")
check "both daemons execute plans (A $a_before, B $b_before)" test "$a_before" -ge 5 -a "$b_before" -ge 5
consumers=$(redis-cli XINFO CONSUMERS "$MAIN" intent_executor | grep -c "$CA\|$CB")
check "the main group lists both consumers" test "$consumers" -ge 2

# A dies with an order on the exchange that it never heard back about:
# B's executor is held for a moment so that A's is the one posting it
BX=$(status_of "$T/b.status" executor pid) AX=$(status_of "$T/a.status" executor pid)
posts0=$(fake_order_posts)
kill_pid -STOP "$BX"
fake_mode delay 3 3000                  # executed at once, answered 3 s later
for i in $(seq 100); do [ "$(fake_order_posts)" -gt "$posts0" ] && break; sleep 0.02; done
sleep 0.2
a_pending=$(( $(redis-cli --raw XPENDING "$MAIN" intent_executor - + 1000 "$CA" | wc -l) / 4 + \
	$(redis-cli --raw XPENDING "$MANUAL" intent_executor_manual - + 1000 "$CA-manual" | wc -l) / 4 ))
inflight=$(($(fake_order_posts) - posts0))
kill_tree "${DPID[a]}"
kill_pid -CONT "$BX"
fake_mode normal 0
echo "info: daemon A (executor $AX) killed with $a_pending entries pending and $inflight order(s) placed but unanswered"
check "A died holding entries ($a_pending pending)" test "$a_pending" -ge 1
check "A died with an order placed and unanswered ($inflight)" test "$inflight" -ge 1
wait $PRODUCER

check "every plan decided" wait_decided "$T/ids" 40
check "B took A's entries over" in_log "$T/b.log" "took over"
check "B settled plans A had sent" in_log "$T/b.log" "was sent before a crash"
sleep 0.5
result_rows td- >"$T/rows"
tally "$T/ids" "$T/rows"
orders=$(fake_total_orders) posts=$(fake_order_posts)
maxc=$(fake_orders | jq '[.orders[].count] | max // 0')
maxp=$(fake_orders | jq '[.orders[].posts] | max // 0')
pa=$(( $(redis-cli --raw XPENDING "$MAIN" intent_executor - + 1000 "$CA" | wc -l) / 4 ))
echo "TWO DAEMONS: plans=$T_PLANS results=$T_RESULTS executed=$T_EXEC lost=$T_LOST duplicates=$T_DUP" \
	"executed_twice=$T_DUPEXEC exchange_orders=$orders order_posts=$posts" \
	"A_executed=$(grep -c 'Executed plan' "$T/a.log") B_executed=$(grep -c 'Executed plan' "$T/b.log")" \
	"B_resent=$(grep -c 'was sent before a crash' "$T/b.log")"
check "no plan lost (${T_LOST_IDS:-none})" test "$T_LOST" = 0
check "no plan with two results (${T_DUP_IDS:-none})" test "$T_DUP" = 0
check "every plan executed ($T_EXEC of $T_PLANS)" test "$T_EXEC" = "$T_PLANS"
check "exchange: one order per plan ($orders orders, $T_PLANS plans)" test "$orders" = "$T_PLANS"
check "exchange: no client order id filled twice (max $maxc)" test "$maxc" = 1
check "exchange: no client order id posted twice (max $maxp)" test "$maxp" = 1
check "nothing pending on the main lane" test "$(pending_count "$MAIN" intent_executor)" = 0
check "nothing pending on the manual lane" test "$(pending_count "$MANUAL" intent_executor_manual)" = 0
check "A's consumer holds nothing now (it may be pruned)" test "$pa" = 0
check "B still running" kill -0 "${DPID[b]}"
check "no sandbox violation" bash -c "! grep -q 'sandbox violation' '$T/a.log' '$T/b.log'"

# ---- a stalled host: its entries are taken over while it is stopped
# (SIGSTOP), then it resumes.  Daemon C stalls; B takes over.
check "daemon C starts" start_daemon_named c "${OPTS[@]}"
CC=$(consumer_of "$T/c.status")
BW=$(status_of "$T/b.status" main pid)
CW=$(status_of "$T/c.status" main pid) CX=$(status_of "$T/c.status" executor pid)
# S1: C's worker stalls holding its executor's answer for an order placed
kill_pid -STOP "$BW"                        # so that C reads the plan
grant stall-1
kill_pid -STOP "$CX"
add_plan "$MAIN" stall-1
check "stall 1: C sent it" wait_claim_state stall-1 sent 5
kill_pid -STOP "$CW"
kill_pid -CONT "$CX"
for i in $(seq 100); do [ "$(fake_count "$(coid_of stall-1)")" = 1 ] && break; sleep 0.02; done
check "stall 1: C's order is on the exchange, C's worker stopped" test "$(fake_count "$(coid_of stall-1)")" = 1
kill_pid -CONT "$BW"
check "stall 1: B takes it over and decides it" wait_result stall-1 10
kill_pid -CONT "$CW"
check "stall 1: C, resumed, writes no second result" in_log "$T/c.log" "plan stall-1 already has its result" 5
sleep 0.3
check "stall 1: one result" test "$(result_count stall-1)" = 1
check "stall 1: one order on the exchange, posted once" \
	test "$(fake_count "$(coid_of stall-1)") $(fake_posts "$(coid_of stall-1)")" = "1 1"
# S2: C's worker stalls with a plan claimed, waiting for its permit
kill_pid -STOP "$BW"
add_plan "$MAIN" stall-2
check "stall 2: C claimed it" wait_claim_state stall-2 claimed 5
e=$(redis-cli --raw XPENDING "$MAIN" intent_executor - + 1 "$CC" | head -n 1)
kill_pid -STOP "$CW"
kill_pid -CONT "$BW"
for i in $(seq 150); do
	[ "$(entry_pending "$MAIN" intent_executor "$e" | cut -d' ' -f1)" = "$(consumer_of "$T/b.status")" ] && break
	sleep 0.02
done
check "stall 2: B took the entry over" test "$(entry_pending "$MAIN" intent_executor "$e" | cut -d' ' -f1)" = "$(consumer_of "$T/b.status")"
grant stall-2
check "stall 2: B decides it" wait_result stall-2 10
kill_pid -CONT "$CW"
check "stall 2: C, resumed with the permit there, does not send it" \
	in_log "$T/c.log" "plan stall-2 not sent: its entry was decided elsewhere" 5
sleep 0.3
check "stall 2: one result" test "$(result_count stall-2)" = 1
check "stall 2: posted once" test "$(fake_posts "$(coid_of stall-2)")" = 1
check "stall: nothing pending" test "$(pending_count "$MAIN" intent_executor)" = 0
