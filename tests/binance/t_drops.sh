#!/bin/bash
# t_drops.sh - the fake exchange drops the connection at each moment of an
# order, on both lanes: (a) before it reads the request (drop_unread),
# (b) after reading it, before executing it (drop_noexec), (c) after
# executing it, before answering (drop), (d) in the middle of the answer
# (drop_mid: half the body, then the connection closes).  From the fake's
# order log and the result stream: the exchange never holds two orders for
# one plan, no client order id is sent twice (an answer that never came
# is settled by asking, never by sending again), each plan gets exactly one
# result, and the result says what happened.  The fake runs with a small
# simulated round trip (--rtt 5), so its network layer is in the path, and
# its counts are checked against its order log at the end.
. "$(dirname "$0")/../lib.sh"

start_redis
start_fake --rtt 5
fake_creds
start_daemon_binance
wait_log "ready: backend=binance" 10
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null

# drops MODE TAG: the next two order POSTs misbehave: one main-lane plan
# (ETHUSDT) and one manual-lane plan (BTCUSDT), sent together.
drops() {
	fake_mode "$1" 2
	grant "m_$2"
	grant "u_$2"
	add_plan "$MAIN" "m_$2" symbol ETHUSDT side SELL qty 0.01 reduceOnly true
	add_plan "$MANUAL" "u_$2" symbol BTCUSDT side SELL qty 0.001 reduceOnly true \
		source manual_operator
	wait_result "m_$2" 40
	wait_result "u_$2" 40
}
field() { result_field "$1" "$2"; }
one() { [ "$(result_count "$1")" = 1 ]; }
# held PLAN: "orders/POSTs" the fake holds for the plan's client order id
held() { echo "$(fake_count "$(coid_of "$1")")/$(fake_posts "$(coid_of "$1")")"; }
not_placed() { [[ "$(field "$1" error)" == order_not_placed:* ]]; }

drops drop_unread unread
drops drop_noexec noexec
drops drop exec
drops drop_mid mid

for lane in m u; do
	name=$([ $lane = m ] && echo main || echo manual)
	p=${lane}_unread
	check "$name, dropped before the request is read: not executed" \
		[ "$(field $p executed)" = false ]
	check "$name, dropped before read: settled as not placed" not_placed $p
	check "$name, dropped before read: no order, never resent" [ "$(held $p)" = 0/0 ]
	check "$name, dropped before read: one result" one $p

	p=${lane}_noexec
	check "$name, dropped after reading, before executing: not executed" \
		[ "$(field $p executed)" = false ]
	check "$name, dropped before executing: settled as not placed" not_placed $p
	check "$name, dropped before executing: no order, sent once" [ "$(held $p)" = 0/1 ]
	check "$name, dropped before executing: one result" one $p

	p=${lane}_exec
	check "$name, dropped after executing: settled as executed" \
		[ "$(field $p executed)/$(field $p order_status)" = true/FILLED ]
	check "$name, dropped after executing: one order, sent once" [ "$(held $p)" = 1/1 ]
	check "$name, dropped after executing: one result" one $p

	p=${lane}_mid
	check "$name, dropped mid-answer: settled as executed" \
		[ "$(field $p executed)/$(field $p order_status)" = true/FILLED ]
	check "$name, dropped mid-answer: one order, sent once" [ "$(held $p)" = 1/1 ]
	check "$name, dropped mid-answer: one result" one $p
	check "$name, dropped mid-answer: the half answer was not taken for one" \
		log_has "order $(coid_of $p): outcome unknown"
done

check "the fake cut two answers in the middle" \
	[ "$(grep -c 'cut mid-answer' "$T/fake.log")" = 2 ]
check "the fake dropped two requests before reading them" \
	[ "$(grep -c 'dropped before reading it' "$T/fake.log")" = 2 ]
check "no client order id was ever sent twice" \
	[ "$(fake_orders | jq '[.orders[] | select(.count > 1 or .posts > 1)] | length')" = 0 ]
check "no sandbox violation" bash -c "! grep -q SIGSYS '$DLOG'"

# the counts the bench reads: every order POST (the ones dropped unread
# included), and at least a round trip charged to each request counted
posts=$(fake_orders | jq '[.orders[].posts] | add')
stop_daemon
stop_fake
stats=$(grep 'stats: ' "$T/fake.log")
check "the fake logs its counts when it stops" [ -n "$stats" ]
check "its order POSTs are the order log's, plus the two dropped unread" \
	[ "$(sed -n 's/.* order_posts=\([0-9]*\).*/\1/p' <<<"$stats")" = $((posts + 2)) ]
check "every counted request was charged at least its round trip" awk -v s="$stats" 'BEGIN {
	match(s, /counted_requests=[0-9]+/); r = substr(s, RSTART + 17, RLENGTH - 17)
	match(s, /round_trips=[0-9.]+/); t = substr(s, RSTART + 12, RLENGTH - 12)
	exit !(r > 0 && t + 0 >= r)
}'
